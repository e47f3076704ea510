"""The content checker (``python -m switchboard.validation``): each check catches a seeded
mistake in a copy of the content, at the right file and line, and the real data is clean.

Every seeded test edits a temporary copy of ``data/``, ``domain/``, ``tests/stories`` and
``actions/`` (the checker takes the copy as its root), so the checkout is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from switchboard.paths import ROOT
from switchboard.validation.findings import Finding, Location, Severity
from switchboard.validation.project import Project
from switchboard.validation.rasa_validate import classify, parse_output
from switchboard.validation.runner import format_report, run_checks

COPIED = ("data", "domain", "tests/stories", "actions")


# Helpers ---------------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the content to seed mistakes into."""
    copy = tmp_path / "checkout"
    for folder in COPIED:
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def embedding_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the default embedding cache: fast (real data is cached), and seeded texts stay out of it."""
    from components.embedding_cache import default_path

    source = default_path()
    target = tmp_path / "embeddings.sqlite"
    if source.is_file():
        shutil.copyfile(source, target)
    monkeypatch.setenv("SWITCHBOARD_EMBEDDING_CACHE", str(target))
    return target


def findings(root: Path, check: str) -> List[Finding]:
    """What one check reports on ``root``."""
    results = run_checks(root, skip_rasa=True, only=[check])
    return [finding for result in results for finding in result.findings]


def describe(found: List[Finding]) -> str:
    """The findings as the CLI prints them, for assertion messages."""
    return "\n".join(finding.format() for finding in found) or "(no findings)"


def add_examples(root: Path, file: str, label: str, lines: List[str]) -> List[int]:
    """Put ``lines`` first in ``label``'s examples block of ``file``; their 1-based line numbers."""
    path = root / file
    text = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(text) if line.strip() == f"- intent: {label}")
    examples = next(i for i in range(start, len(text)) if text[i].strip() == "examples: |")
    indent = re.match(r"\s*", text[examples + 1]).group(0)
    text[examples + 1 : examples + 1] = [f"{indent}- {line}" for line in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return [examples + 2 + offset for offset in range(len(lines))]


def keep_examples(root: Path, file: str, label: str, count: int) -> int:
    """Cut ``label``'s block in ``file`` down to ``count`` examples; the line of its ``- intent:``."""
    path = root / file
    text = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(text) if line.strip() == f"- intent: {label}")
    first = start + 2
    end = first
    while end < len(text) and text[end].strip().startswith("- ") and not text[end].strip().startswith("- intent:"):
        end += 1
    del text[first + count : end]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return start + 1


def append(root: Path, file: str, block: str) -> int:
    """Append ``block`` to ``file``; the 1-based line its first line lands on."""
    path = root / file
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    path.write_text(text + block, encoding="utf-8")
    return text.count("\n") + 1


def line_of(root: Path, file: str, needle: str) -> int:
    """The 1-based line of the first line of ``file`` containing ``needle``."""
    lines = (root / file).read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if needle in line)


def at(found: List[Finding], file: str, line: int) -> List[Finding]:
    """The findings located at ``file:line``."""
    return [finding for finding in found if (finding.file, finding.line) == (file, line)]


# (a) the same example under two labels -------------------------------------------------------


def test_an_example_under_two_labels_in_two_languages_is_an_error_showing_both_places(root: Path) -> None:
    original = line_of(root, "data/nlu/en/faq.yml", "- what are your opening hours?")
    [seeded] = add_examples(root, "data/nlu/fr/smalltalk.yml", "greet", ["What are  your opening hours?"])
    found = findings(root, "duplicates")
    assert len(found) == 1, f"one duplicate text should give one finding:\n{describe(found)}"
    finding = found[0]
    places = {finding.location, *finding.related}
    assert finding.severity is Severity.ERROR
    assert places == {Location("data/nlu/en/faq.yml", original), Location("data/nlu/fr/smalltalk.yml", seeded)}, (
        f"both copies (en/faq.yml:{original}, fr/smalltalk.yml:{seeded}) should be located:\n{describe(found)}"
    )
    assert "faq/opening_hours" in finding.message and "greet" in finding.message, finding.message
    assert f"data/nlu/fr/smalltalk.yml:{seeded}" in finding.message, "the printed line should name both places"


def test_the_same_example_under_the_same_label_in_two_files_is_fine(root: Path) -> None:
    add_examples(root, "data/nlu/fr/faq.yml", "faq/opening_hours", ["what are your opening hours?"])
    found = findings(root, "duplicates")
    assert not found, f"a repeat under the same label only weighs the example double:\n{describe(found)}"


# (b) near-duplicates by embedding similarity ------------------------------------------------------


def test_a_near_duplicate_under_another_label_is_a_warning_with_both_texts(root: Path, embedding_cache: Path) -> None:
    original = line_of(root, "data/nlu/en/faq.yml", "- what are your opening hours?")
    [seeded] = add_examples(root, "data/nlu/en/workflows.yml", "request_callback", ["what are your opening hours ??"])
    found = findings(root, "similarity")
    mine = [f for f in found if "what are your opening hours ??" in f.message]
    assert mine, f"the seeded near-copy of an FAQ question was not reported:\n{describe(found)}"
    finding = mine[0]
    assert finding.severity is Severity.WARNING, "near-duplicates are warnings, not errors"
    assert {finding.location, *finding.related} == {
        Location("data/nlu/en/faq.yml", original),
        Location("data/nlu/en/workflows.yml", seeded),
    }, describe(mine)
    assert "request_callback" in finding.message and "faq/opening_hours" in finding.message, finding.message
    assert "what are your opening hours?" in finding.message, "both texts should be shown"


def test_similar_examples_are_only_compared_within_one_language(root: Path, embedding_cache: Path) -> None:
    # An English near copy of an FAQ question, but in the zh folder: languages are compared apart.
    add_examples(root, "data/nlu/zh/smalltalk.yml", "thank", ["what are your opening hours ??"])
    found = findings(root, "similarity")
    crossed = [f for f in found if "what are your opening hours ??" in f.message]
    assert not crossed, f"a zh example was compared with en examples:\n{describe(crossed)}"


# (c) too few examples ------------------------------------------------------------------------------


def test_a_label_with_too_few_examples_in_a_language_is_an_error_at_its_block(root: Path) -> None:
    intent_line = keep_examples(root, "data/nlu/fr/smalltalk.yml", "thank", 5)
    found = findings(root, "coverage")
    assert len(found) == 1, f"only fr/thank was cut down:\n{describe(found)}"
    assert (found[0].file, found[0].line) == ("data/nlu/fr/smalltalk.yml", intent_line), describe(found)
    assert "thank has 5 example(s) in fr, fewer than the 12 required" in found[0].message, found[0].message


def test_a_label_missing_from_a_language_points_at_the_file_to_add_it_to(root: Path) -> None:
    path = root / "data/nlu/lt/smalltalk.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- intent: thank\n", "- intent: greet\n"), encoding="utf-8")
    found = findings(root, "coverage")
    assert [(f.file, f.line) for f in found] == [("data/nlu/lt/smalltalk.yml", 2)], (
        f"lt has no thank block: the finding should point at the nlu: key of lt/smalltalk.yml:\n{describe(found)}"
    )
    assert "thank has 0 example(s) in lt" in found[0].message


def test_the_minimums_are_the_ones_the_content_tests_enforce() -> None:
    from switchboard.validation.thresholds import MINIMUM_EXAMPLES
    from tests.test_content import MINIMUM_EXAMPLES as CONTENT_TEST_MINIMUMS

    assert MINIMUM_EXAMPLES == CONTENT_TEST_MINIMUMS, "the checker and tests/test_content.py must agree"


# (d) responses in every language ---------------------------------------------------------------


def test_a_response_without_a_language_is_an_error_at_the_response(root: Path) -> None:
    path = root / "domain/faq.yml"
    text = path.read_text(encoding="utf-8")
    zh = text.index("    - condition:\n          - type: slot\n            name: language\n            value: zh\n")
    end = text.index("\n\n", zh)
    path.write_text(text[:zh] + text[end + 1 :], encoding="utf-8")  # the first response's zh variation
    found = findings(root, "responses")
    assert len(found) == 1, describe(found)
    assert (found[0].file, found[0].line) == ("domain/faq.yml", 3), describe(found)
    assert "utter_faq/opening_hours has no variation in zh" in found[0].message, found[0].message


def test_a_translated_placeholder_is_an_error_at_that_variation(root: Path) -> None:
    line = line_of(root, "domain/account.yml", "Votre facture actuelle s'élève à {amount}")
    path = root / "domain/account.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = lines[line - 1].replace("{amount}", "{montant}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = findings(root, "responses")
    assert [(f.file, f.line) for f in found] == [("domain/account.yml", line)], describe(found)
    assert "[fr] placeholders differ from English" in found[0].message
    assert "{amount}" in found[0].message and "{montant}" in found[0].message, found[0].message


# (e) FAQ questions and answers -----------------------------------------------------------------


def test_faq_questions_without_an_answer_and_an_answer_without_questions(root: Path) -> None:
    question = append(
        root,
        "data/nlu/en/faq.yml",
        "\n  - intent: faq/pet_policy\n    examples: |\n      - can I bring my dog to the store\n",
    ) + 1
    answer = append(root, "domain/faq.yml", '\n  utter_faq/orphan_topic:\n    - text: "Nobody asks this."\n') + 1
    found = findings(root, "faq")
    by_place = {(f.file, f.line): f.message for f in found}
    assert ("data/nlu/en/faq.yml", question) in by_place, f"faq/pet_policy has no answer:\n{describe(found)}"
    assert "no utter_faq/pet_policy response" in by_place[("data/nlu/en/faq.yml", question)]
    assert ("domain/faq.yml", answer) in by_place, f"utter_faq/orphan_topic has no questions:\n{describe(found)}"
    assert len(found) == 2, describe(found)


# (f) entities off token boundaries ----------------------------------------------------------------


def test_entity_annotations_off_token_boundaries_are_errors_with_a_fix(root: Path) -> None:
    english, aligned = add_examples(
        root,
        "data/nlu/en/workflows.yml",
        "give_date_of_birth",
        ["born on [12 May 1990.](date_of_birth)", "fine [1995-04-12](date_of_birth)"],
    )
    [chinese_cut] = add_examples(
        root, "data/nlu/zh/workflows.yml", "rate_service", ['给[五]{"entity": "rating", "value": "5"}星']
    )
    found = findings(root, "entities")
    english_found = at(found, "data/nlu/en/workflows.yml", english)
    assert english_found, f"'[12 May 1990.]' ends on a dropped '.':\n{describe(found)}"
    assert "move '.' outside the brackets" in english_found[0].fix, english_found[0].fix
    chinese_found = at(found, "data/nlu/zh/workflows.yml", chinese_cut)
    assert chinese_found, f"jieba reads 五星 as one token, so [五] cuts through it:\n{describe(found)}"
    assert "'五星'" in chinese_found[0].fix, chinese_found[0].fix
    assert not at(found, "data/nlu/en/workflows.yml", aligned), "a well-aligned entity was reported"


# (h) a word annotated in some examples of a label and plain in others ---------------------------


def test_a_word_annotated_elsewhere_in_the_label_but_plain_here_is_a_warning(root: Path) -> None:
    plain, other_label, scale = add_examples(
        root,
        "data/nlu/en/workflows.yml",
        "report_tech_issue",
        ["the Router reboots every night", "the router is fine but my tv has no picture", "my [phone](device) and router"],
    )
    [elsewhere] = add_examples(root, "data/nlu/en/smalltalk.yml", "greet", ["hi router people"])
    found = findings(root, "annotations")
    seeded = at(found, "data/nlu/en/workflows.yml", plain)
    assert len(seeded) == 1, f"'Router' is annotated as a device elsewhere in report_tech_issue:\n{describe(found)}"
    assert seeded[0].severity is Severity.WARNING
    assert "'Router'" in seeded[0].message and "[Router](device)" in seeded[0].fix
    assert seeded[0].related and seeded[0].related[0].file == "data/nlu/en/workflows.yml"
    assert at(found, "data/nlu/en/workflows.yml", other_label), "an unannotated 'router' beside a plain 'tv'"
    assert not at(found, "data/nlu/en/workflows.yml", scale), "an example that annotates a device names it once"
    assert not at(found, "data/nlu/en/smalltalk.yml", elsewhere), "another label may use the word plainly"


# (g) names missing from the domain ------------------------------------------------------------------


def test_rules_and_stories_naming_things_the_domain_lacks(root: Path) -> None:
    start = append(
        root,
        "data/rules/callback.yml",
        "\n  - rule: seeded typos\n"
        "    steps:\n"
        "      - intent: request_callbak\n"
        "      - action: utter_restate_callbak\n"
        "      - action: action_create_callbak\n"
        "      - action: callback_form\n"
        "      - active_loop: callback_frm\n"
        "      - slot_was_set:\n"
        "          - callback_phon: 0800\n"
        "      - action: utter_faq\n"
        "      - action: action_listen\n",
    )
    story = append(
        root,
        "tests/stories/test_en.yml",
        "\n  - story: seeded typo\n    steps:\n      - user: |\n          hello\n        intent: greeet\n",
    )
    found = findings(root, "references")
    expected: Dict[int, str] = {
        start + 3: "intent 'request_callbak' is not in the domain",
        start + 4: "response 'utter_restate_callbak' is not in the domain",
        start + 5: "action 'action_create_callbak' is not listed under the domain's actions",
        start + 7: "active_loop 'callback_frm' is not a form",
        start + 9: "slot 'callback_phon' is not in the domain",
    }
    for line, message in expected.items():
        assert [f.message for f in at(found, "data/rules/callback.yml", line)] == [message], (
            f"data/rules/callback.yml:{line} should report {message!r}:\n{describe(found)}"
        )
    assert [f.message for f in at(found, "tests/stories/test_en.yml", story + 5)] == [
        "intent 'greeet' is not in the domain"
    ], describe(found)
    assert len(found) == 6, f"callback_form, utter_faq (retrieval) and action_listen are valid:\n{describe(found)}"


def test_an_nlu_label_the_domain_does_not_declare(root: Path) -> None:
    path = root / "data/nlu/ro/smalltalk.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- intent: thank\n", "- intent: thanks\n"), encoding="utf-8")
    line = line_of(root, "data/nlu/ro/smalltalk.yml", "- intent: thanks")
    found = findings(root, "references")
    assert [(f.file, f.line) for f in found] == [("data/nlu/ro/smalltalk.yml", line)], describe(found)


# YAML syntax, the CLI and the report ---------------------------------------------------------------


def test_broken_yaml_is_reported_at_its_line_and_stops_the_other_checks(root: Path) -> None:
    path = root / "domain/survey.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(4, "\ttext: indented with a tab")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = run_checks(root, skip_rasa=True)
    assert [result.name for result in results] == ["syntax"], "no other check can read a broken file"
    [finding] = results[0].findings
    assert (finding.file, finding.line) == ("domain/survey.yml", 5), finding.format()


def test_cli_prints_one_line_per_finding_and_exits_1_on_errors(root: Path) -> None:
    [seeded] = add_examples(root, "data/nlu/uk/smalltalk.yml", "goodbye", ["привіт"])  # a uk greeting
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "switchboard.validation", "--root", str(root), "--skip-rasa"]
    failing = subprocess.run(
        [*command, "--check", "duplicates", "--check", "faq"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert failing.returncode == 1, f"an error must fail the run:\n{failing.stdout}\n{failing.stderr}"
    lines = failing.stdout.splitlines()
    assert any(line.startswith("== duplicates:") for line in lines), failing.stdout
    assert any(line.startswith("== faq:") for line in lines), failing.stdout
    pattern = re.compile(r"^data/nlu/\S+\.yml:\d+: error: .+ \(fix: .+\)$")
    errors = [line for line in lines if ": error: " in line]
    assert errors and all(pattern.match(line) for line in errors), "\n".join(errors)
    assert any(f"data/nlu/uk/smalltalk.yml:{seeded}" in line for line in errors), failing.stdout
    assert "Summary: 1 error, 0 warnings" in failing.stdout, failing.stdout

    passing = subprocess.run([*command, "--check", "faq"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert passing.returncode == 0, f"no errors must exit 0:\n{passing.stdout}\n{passing.stderr}"


def test_warnings_alone_do_not_fail() -> None:
    from switchboard.validation.findings import CheckResult, warning
    from switchboard.validation.runner import exit_status

    result = CheckResult("similarity", "t", [warning("similarity", Location("a.yml", 3), "m", "f")])
    assert exit_status([result]) == 0
    assert "a.yml:3: warning: m (fix: f)" in format_report([result])


# Rasa's validator output ------------------------------------------------------------------------

RASA_OUTPUT = """\
/venv/lib/python3.11/site-packages/rasa/shared/utils/validation.py:134: DeprecationWarning: pkg_resources is deprecated as an API.
  import pkg_resources
/venv/lib/python3.11/site-packages/pkg_resources/__init__.py:3117: DeprecationWarning: Deprecated call to `pkg_resources.declare_namespace('ruamel')`.
Implementing implicit namespace packages (as specified in PEP 420) is preferred to `pkg_resources.declare_namespace`.
  declare_namespace(pkg)
\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: The following duplicated intents have been found across multiple domain files: faq
  More info at https://rasa.com/docs/rasa/domain
\x1b[0m2026-12-02 00:21:40 INFO     rasa.validator  - Validating intents...
\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: The intent 'give_account_number' is not used in any story or rule.
\x1b[0m\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: The utterance 'utter_ask_identity_form_account_number' is not used in any story or rule.
\x1b[0m\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: The utterance 'utter_step_router_3' is not used in any story or rule.
\x1b[0m\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: The utterance 'utter_bill_summary' is not used in any story or rule.
\x1b[0m\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: The utterance 'utter_never_sent' is not used in any story or rule.
\x1b[0m\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: The intent 'thank' is not used in any story or rule.
\x1b[0m\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: Misaligned entity annotation in message '四星，挺快的' with intent 'rate_service'. Make sure ...
  1) entities include trailing whitespaces or punctuation
\x1b[0m\x1b[93m/venv/lib/python3.11/site-packages/rasa/shared/utils/io.py:100: UserWarning: You have defined training data with examples for training a response selector, but your NLU configuration does not include a response selector component. To train a model on your response selector data, add a 'ResponseSelector' to your configuration.
\x1b[0m2026-12-02 00:21:41 INFO     rasa.validator  - No story structure conflicts found.
"""


def test_known_rasa_messages_are_explained_once_and_the_rest_kept(root: Path) -> None:
    never_sent = append(root, "domain/smalltalk.yml", '\n  utter_never_sent:\n    - text: "Nobody sends me."\n') + 1
    zh = root / "data/nlu/zh/workflows.yml"  # a misaligned annotation our entities check reports too
    zh.write_text(zh.read_text(encoding="utf-8").replace('[四星]{"entity": "rating", "value": "4"}，挺快的',
                                                         '[四]{"entity": "rating", "value": "4"}星，挺快的'),
                  encoding="utf-8")
    result = classify(Project(root), parse_output(RASA_OUTPUT), returncode=0)
    kept = {finding.message: finding for finding in result.findings}
    assert set(kept) == {
        "Rasa: The utterance 'utter_never_sent' is not used in any story or rule.",
        "Rasa: The intent 'thank' is not used in any story or rule.",
    }, f"only the genuinely unused response and intent should remain:\n{describe(result.findings)}"
    response = kept["Rasa: The utterance 'utter_never_sent' is not used in any story or rule."]
    assert (response.file, response.line) == ("domain/smalltalk.yml", never_sent), response.format()
    assert all(finding.severity is Severity.WARNING for finding in result.findings), "Rasa exited 0"
    notes = "\n".join(result.notes)
    for explained in ("Deprecation warnings of libraries", "retrieval intent (faq)", "slot mappings",
                      "asked by the forms", "misaligned-entity", "ResponseSelector"):
        assert notes.count(explained) == 1, f"{explained!r} should be explained exactly once:\n{notes}"
    assert "known, filtered (2x): Deprecation" in notes, notes
    assert "known, filtered (3x): Responses named" in notes, notes


def test_a_failing_rasa_run_is_an_error() -> None:
    output = "2026-12-02 00:21:41 ERROR    rasa.validator  - Found inconsistent story 'x'.\n"
    result = classify(Project(ROOT), parse_output(output), returncode=1)
    severities = [finding.severity for finding in result.findings]
    assert severities == [Severity.ERROR, Severity.ERROR], f"Rasa's error and its exit status:\n{describe(result.findings)}"
    assert "exit status 1" in result.findings[-1].message


# The real data ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Dict[str, List[Finding]]:
    """Every project check on the checkout's own content (Rasa's run has its own test)."""
    return {result.name: result.findings for result in run_checks(ROOT, skip_rasa=True)}


@pytest.mark.parametrize("check", ["duplicates", "coverage", "responses", "faq", "annotations", "references"])
def test_the_real_data_has_no_errors(real: Dict[str, List[Finding]], check: str) -> None:
    assert "syntax" not in real, describe(real.get("syntax", []))
    errors = [finding for finding in real[check] if finding.severity is Severity.ERROR]
    assert not errors, f"the content has {len(errors)} {check} error(s):\n{describe(errors)}"


def test_the_real_entity_annotations_align_with_tokens(real: Dict[str, List[Finding]]) -> None:
    assert not real["entities"], f"{len(real['entities'])} misaligned entities:\n{describe(real['entities'])}"


def test_the_similarity_threshold_reports_a_few_dozen_pairs_on_the_real_data(real: Dict[str, List[Finding]]) -> None:
    pairs = real["similarity"]
    assert all(finding.severity is Severity.WARNING for finding in pairs)
    assert 0 < len(pairs) <= 60, (
        f"{len(pairs)} near-duplicate pairs: the threshold in switchboard/validation/thresholds.py should flag "
        "a few dozen genuinely confusable pairs, not none and not hundreds"
    )


def test_rasa_data_validate_on_the_real_data_leaves_nothing_unexplained() -> None:
    from switchboard.validation import rasa_validate

    result = rasa_validate.run(Project(ROOT))
    assert not result.findings, (
        f"rasa data validate printed something not known to be harmless:\n{describe(result.findings)}"
    )
    assert any("asked by the forms" in note for note in result.notes), result.notes
