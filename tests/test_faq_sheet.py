"""The FAQ spreadsheet round trip (switchboard.faq_sheet) on a temporary copy of the real files."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest
import yaml

from switchboard import paths
from switchboard.faq_sheet import main
from switchboard.languages import LANGUAGES

FAQ_FILES = ["domain/faq.yml"] + [f"data/nlu/{lang}/faq.yml" for lang in LANGUAGES]
Rows = List[List[str]]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A checkout-like folder with copies of the real data/ and domain/."""
    for folder in ("data", "domain"):
        shutil.copytree(paths.ROOT / folder, tmp_path / folder)
    return tmp_path


def snapshot(root: Path) -> Dict[str, bytes]:
    """The bytes of the seven FAQ files."""
    return {name: (root / name).read_bytes() for name in FAQ_FILES}


def run(root: Path, capsys: pytest.CaptureFixture, *args: str) -> Tuple[int, str, str]:
    """Run the CLI on ``root``; return (exit status, stdout, stderr)."""
    status = main(["--root", str(root), *args])
    out, err = capsys.readouterr()
    return status, out, err


def export_rows(root: Path, capsys: pytest.CaptureFixture) -> Rows:
    """Export ``root``'s FAQ and read the CSV back as rows (header first)."""
    status, out, err = run(root, capsys, "export", "--out", str(root / "faq.csv"))
    assert status == 0, f"export failed: {err}"
    with (root / "faq.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: Rows, delimiter: str = ",") -> List[int]:
    """Write rows as Excel does (CRLF, BOM); return the physical line each row starts on."""
    starts, line, buffer = [], 1, io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        before = buffer.tell()
        writer.writerow(row)
        starts.append(line)
        line += buffer.getvalue()[before:].count("\n")
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
    return starts


def find(rows: Rows, topic: str, language: str) -> int:
    """The index of the row for (topic, language)."""
    return next(i for i, row in enumerate(rows) if row[:2] == [topic, language])


def load(root: Path, name: str) -> dict:
    """A FAQ file, parsed."""
    return yaml.safe_load((root / name).read_text(encoding="utf-8"))


def answer(root: Path, topic: str, language: str) -> str:
    """The answer of a topic in a language, as Rasa will read it."""
    for variation in load(root, "domain/faq.yml")["responses"][f"utter_faq/{topic}"]:
        found = variation["condition"][0]["value"] if "condition" in variation else "en"
        if found == language:
            return variation["text"]
    raise AssertionError(f"no {language} variation for {topic}")


def questions(root: Path, topic: str, language: str) -> List[str]:
    """The example questions of a topic in a language, as Rasa will read them."""
    for block in load(root, f"data/nlu/{language}/faq.yml")["nlu"]:
        if block["intent"] == f"faq/{topic}":
            return [line[2:] for line in block["examples"].splitlines()]
    raise AssertionError(f"no faq/{topic} in {language}")


def test_export_is_one_row_per_topic_and_language_in_file_order(root: Path, capsys) -> None:
    rows = export_rows(root, capsys)
    topics = [key.split("/", 1)[1] for key in load(root, "domain/faq.yml")["responses"]]
    assert rows[0] == ["topic", "language", "questions", "answer"], f"header is {rows[0]}"
    expected_keys = [[topic, lang] for topic in topics for lang in LANGUAGES]
    assert [row[:2] for row in rows[1:]] == expected_keys, "rows must follow domain order, then LANGUAGES order"
    roaming_uk = rows[find(rows, "roaming", "uk")]
    assert roaming_uk[2].split("\n") == questions(root, "roaming", "uk"), "questions: one per line, file order"
    assert roaming_uk[3] == answer(root, "roaming", "uk"), "the answer cell is the variation's text"
    assert (root / "faq.csv").read_bytes().startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 BOM for Excel"


def test_export_then_import_changes_nothing_byte_for_byte(root: Path, capsys) -> None:
    before = snapshot(root)
    export_rows(root, capsys)
    status, out, err = run(root, capsys, "import", str(root / "faq.csv"))
    assert status == 0, f"importing an untouched export must succeed, got {status}: {err}"
    changed = [name for name, data in snapshot(root).items() if data != before[name]]
    assert not changed, f"an untouched export must change no byte, but {changed} changed"
    assert "no changes" in out and "---" not in out, f"no diff expected, got:\n{out}"


def test_default_export_path_is_reports_faq_csv(root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "switchboard.faq_sheet", "--root", str(root), "export"],
                          capture_output=True, text=True, cwd=paths.ROOT, timeout=120)
    assert done.returncode == 0, f"the CLI failed: {done.stderr}"
    assert (root / "reports" / "faq.csv").is_file(), "export without --out writes reports/faq.csv (folder created)"


def test_edited_answer_and_added_question_land_in_the_right_place(root: Path, capsys) -> None:
    before = {name: data.decode("utf-8") for name, data in snapshot(root).items()}
    rows = export_rows(root, capsys)
    old_answer = answer(root, "roaming", "fr")
    new_answer = "Dans l'UE, c'est \"comme chez vous\" : aucun frais."
    rows[find(rows, "roaming", "fr")][3] = new_answer
    last_question = questions(root, "password_reset", "en")[-1]
    rows[find(rows, "password_reset", "en")][2] += "\nI locked myself out of my account"
    write_rows(root / "edited.csv", rows)

    status, out, err = run(root, capsys, "import", str(root / "edited.csv"))

    assert status == 0, f"import failed: {err}"
    assert answer(root, "roaming", "fr") == new_answer, "the fr answer must be the cell's text"
    assert questions(root, "password_reset", "en")[-1] == "I locked myself out of my account"
    after = {name: data.decode("utf-8") for name, data in snapshot(root).items()}
    expected_domain = before["domain/faq.yml"].replace(
        f'text: "{old_answer}"', 'text: "Dans l\'UE, c\'est \\"comme chez vous\\" : aucun frais."', 1)
    assert after["domain/faq.yml"] == expected_domain, "only the fr roaming text line may change in the domain"
    expected_en = before["data/nlu/en/faq.yml"].replace(
        f"      - {last_question}\n", f"      - {last_question}\n      - I locked myself out of my account\n", 1)
    assert after["data/nlu/en/faq.yml"] == expected_en, "only the new question line may appear in en/faq.yml"
    untouched = [name for name in FAQ_FILES[2:] if after[name] != before[name]]
    assert not untouched, f"languages without edits must stay byte-identical: {untouched} changed"
    assert "faq/roaming [fr]: answer changed" in out and "faq/password_reset [en]: 1 question(s) added" in out
    assert "+      - I locked myself out of my account" in out, f"the unified diff must show the change:\n{out}"


def test_dry_run_shows_the_diff_and_writes_nothing(root: Path, capsys) -> None:
    before = snapshot(root)
    rows = export_rows(root, capsys)
    rows[find(rows, "roaming", "en")][3] = "Roaming is free in the EU."
    write_rows(root / "edited.csv", rows)
    status, out, _ = run(root, capsys, "import", str(root / "edited.csv"), "--dry-run")
    assert status == 0
    assert '+    - text: "Roaming is free in the EU."' in out and "--- a/domain/faq.yml" in out, out
    assert snapshot(root) == before, "--dry-run must not write any file"


def test_new_topic_is_appended_to_every_file(root: Path, capsys) -> None:
    before = {name: data.decode("utf-8") for name, data in snapshot(root).items()}
    rows = export_rows(root, capsys)
    for lang in LANGUAGES:
        rows.append(["gift_cards", lang, f"gift card {lang}\nvoucher {lang}", f"Gift cards ({lang})."])
    write_rows(root / "new.csv", rows)

    status, out, err = run(root, capsys, "import", str(root / "new.csv"))

    assert status == 0, f"import failed: {err}"
    assert "faq/gift_cards: new topic (en, fr, ro, uk, lt, zh)" in out, out
    for lang in LANGUAGES:
        assert questions(root, "gift_cards", lang) == [f"gift card {lang}", f"voucher {lang}"], lang
        assert answer(root, "gift_cards", lang) == f"Gift cards ({lang}).", lang
    after = {name: data.decode("utf-8") for name, data in snapshot(root).items()}
    for name in FAQ_FILES:
        assert after[name].startswith(before[name]), f"{name}: a new topic is appended, existing text untouched"
    assert after["data/nlu/en/faq.yml"].endswith(
        "\n\n  - intent: faq/gift_cards\n    examples: |\n      - gift card en\n      - voucher en\n"
    ), "the new en block must follow the file's layout (blank line between intents)"
    assert after["data/nlu/zh/faq.yml"][len(before["data/nlu/zh/faq.yml"]):].startswith("  - intent"), \
        "zh/faq.yml has no blank lines between intents, nor must the new block"
    added_domain = after["domain/faq.yml"][len(before["domain/faq.yml"]):]
    assert added_domain.startswith(
        '\n  utter_faq/gift_cards:\n    - text: "Gift cards (en)."\n    - condition:\n          - type: slot\n'
        '            name: language\n            value: fr\n      text: "Gift cards (fr)."\n'
    ), f"the new response must follow the domain's layout, got:\n{added_domain}"
    write_rows(root / "again.csv", export_rows(root, capsys))
    unchanged = snapshot(root)
    status, out, _ = run(root, capsys, "import", str(root / "again.csv"))
    assert status == 0 and snapshot(root) == unchanged, "re-importing the new export must change nothing"


def test_topic_missing_from_the_sheet_is_left_untouched(root: Path, capsys) -> None:
    before = snapshot(root)
    rows = [row for row in export_rows(root, capsys) if row[0] != "roaming"]
    write_rows(root / "fewer.csv", rows)
    status, out, _ = run(root, capsys, "import", str(root / "fewer.csv"))
    assert status == 0
    assert snapshot(root) == before, "deleting rows must not delete the topic from the YAML"
    assert "left as they are" in out and "roaming" in out, f"the import must say roaming is left as it is:\n{out}"


def test_chinese_and_ukrainian_round_trip(root: Path, capsys) -> None:
    rows = export_rows(root, capsys)
    zh_answer = "您好，“套餐”包含 5G 流量，逗号,引号\"与换行\n都能保存。"
    uk_question = "чи можна обʼєднати рахунки, «так» чи ні?"
    rows[find(rows, "plans_prices", "zh")][3] = zh_answer
    rows[find(rows, "plans_prices", "uk")][2] += "\n" + uk_question
    write_rows(root / "intl.csv", rows)

    status, _, err = run(root, capsys, "import", str(root / "intl.csv"))

    assert status == 0, f"import failed: {err}"
    assert answer(root, "plans_prices", "zh") == zh_answer, "Chinese text, quotes and a newline must survive"
    assert questions(root, "plans_prices", "uk")[-1] == uk_question, "Ukrainian text must survive"
    again = export_rows(root, capsys)
    assert again[find(again, "plans_prices", "zh")][3] == zh_answer, "the re-export must show the same cell"
    assert again[find(again, "plans_prices", "uk")][2].split("\n")[-1] == uk_question
    assert "套餐" in (root / "faq.csv").read_bytes().decode("utf-8-sig"), "the CSV is UTF-8"


def test_semicolon_separated_sheet_is_read(root: Path, capsys) -> None:
    before = snapshot(root)
    write_rows(root / "semicolon.csv", export_rows(root, capsys), delimiter=";")
    status, out, err = run(root, capsys, "import", str(root / "semicolon.csv"))
    assert status == 0 and snapshot(root) == before, f"Excel's ';' CSV of an untouched export must be a no-op: {err}"


def _set(topic: str, language: str, column: int, value: str) -> Callable[[Rows], List[int]]:
    """A mutation setting one cell; the error is expected on that row."""
    def mutate(rows: Rows) -> List[int]:
        index = find(rows, topic, language)
        rows[index][column] = value
        return [index]
    return mutate


def _append(row: List[str]) -> Callable[[Rows], List[int]]:
    """A mutation adding a row; the error is expected on it."""
    def mutate(rows: Rows) -> List[int]:
        rows.append(row)
        return [len(rows) - 1]
    return mutate


def _header(header: List[str]) -> Callable[[Rows], List[int]]:
    """A mutation replacing the header (and padding rows to its width); the error is on line 1."""
    def mutate(rows: Rows) -> List[int]:
        width = len(header)
        rows[:] = [header] + [(row + [""] * width)[:width] for row in rows[1:]]
        return [0]
    return mutate


def _duplicate(rows: Rows) -> List[int]:
    rows.append(list(rows[find(rows, "roaming", "lt")]))
    return [len(rows) - 1]


def _repeat_question(rows: Rows) -> List[int]:
    index = find(rows, "roaming", "en")
    rows[index][2] += "\n" + rows[index][2].split("\n")[0].upper()
    return [index]


def _question_in_two_topics(rows: Rows) -> List[int]:
    index = find(rows, "refunds", "fr")
    rows[index][2] += "\n" + rows[find(rows, "opening_hours", "fr")][2].split("\n")[0]
    return [index]


def _several(rows: Rows) -> List[int]:
    return _set("roaming", "ro", 3, "")(rows) + _set("privacy", "zh", 1, "cn")(rows)


ERROR_CASES = {
    "unknown column": (_header(["topic", "language", "questions", "answer", "notes"]), "unknown column(s) notes"),
    "missing column": (_header(["topic", "language", "questions"]), "missing column(s) answer"),
    "unknown language": (_set("roaming", "fr", 1, "FR"), "unknown language 'FR'; use one of en, fr"),
    "bad topic name": (_set("roaming", "fr", 0, "Roaming Charges"), "(e.g. roaming_charges)"),
    "empty answer": (_set("roaming", "fr", 3, "   "), "roaming/fr has questions but an empty answer"),
    "answer without questions": (_set("roaming", "uk", 2, "\n"), "roaming/uk has an answer but no questions"),
    "empty row": (_append(["roaming_new", "en", "", ""]), "neither questions nor an answer"),
    "duplicate row": (_duplicate, "second row for roaming/lt (the first is on line"),
    "duplicate question": (_repeat_question, "appears twice in roaming/en"),
    "question under two topics": (_question_in_two_topics, "(fr) is also under topic opening_hours (line"),
    "placeholder differs": (_set("roaming", "zh", 3, "{name} 您好"), "placeholders {name} but the English answer has none"),
    "new topic without english": (_append(["gift_cards", "fr", "carte cadeau", "Oui."]), "has no English (en) row"),
    "too many cells": (_append(["gift_cards", "en", "q", "a", "stray"]), "the row has 5 cells but the header has 4"),
    "several errors at once": (_several, "unknown language 'cn'"),
}


@pytest.mark.parametrize("mutate, message", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_validation_error_names_the_line_and_writes_nothing(root: Path, capsys, mutate, message) -> None:
    before = snapshot(root)
    rows = export_rows(root, capsys)
    bad_rows = mutate(rows)
    starts = write_rows(root / "bad.csv", rows)

    status, out, err = run(root, capsys, "import", str(root / "bad.csv"))

    assert status == 2, f"an invalid sheet must exit 2, got {status}; stdout:\n{out}"
    assert snapshot(root) == before, "nothing may be written when the sheet has errors"
    errors = err.strip().splitlines()[:-1]
    assert len(errors) == len(bad_rows), f"expected {len(bad_rows)} error(s), got:\n{err}"
    for index, line in zip(bad_rows, errors):
        assert line.startswith(f"{root / 'bad.csv'}:{starts[index]}: "), \
            f"the error must name the file and line {starts[index]} where the row starts: {line}"
    assert message in err, f"expected {message!r} in:\n{err}"
    assert err.strip().endswith("nothing was written"), err


def test_non_utf8_sheet_is_refused_with_a_fix(root: Path, capsys) -> None:
    before = snapshot(root)
    (root / "ansi.csv").write_bytes("topic,language,questions,answer\r\nroaming,fr,été,Dès\r\n".encode("cp1252"))
    status, _, err = run(root, capsys, "import", str(root / "ansi.csv"))
    assert status == 2 and snapshot(root) == before
    assert f"{root / 'ansi.csv'}:2: the file is not UTF-8" in err and "CSV UTF-8" in err, err



def test_missing_translation_exports_empty_and_filling_it_in_adds_it(root: Path, capsys) -> None:
    domain, fr_nlu = root / "domain/faq.yml", root / "data/nlu/fr/faq.yml"
    old_fr, new_fr = answer(root, "roaming", "fr"), "Itinérance : voir l'application."
    fr_roaming_answer = ("    - condition:\n          - type: slot\n            name: language\n"
                         f'            value: fr\n      text: "{old_fr}"\n')
    domain.write_text(domain.read_text(encoding="utf-8").replace(fr_roaming_answer, "", 1), encoding="utf-8")
    text = fr_nlu.read_text(encoding="utf-8")
    start = text.index("  - intent: faq/privacy\n")
    fr_nlu.write_text(text[:start] + text[text.index("  - intent: faq/", start + 1):], encoding="utf-8")
    before = {name: data.decode("utf-8") for name, data in snapshot(root).items()}
    rows = export_rows(root, capsys)
    roaming, privacy = find(rows, "roaming", "fr"), find(rows, "privacy", "fr")
    assert rows[roaming][3] == "" and rows[privacy][2] == "", "a missing translation exports as an empty cell"
    write_rows(root / "as_is.csv", rows)
    status, _, err = run(root, capsys, "import", str(root / "as_is.csv"))
    assert status == 0 and snapshot(root) == {k: v.encode() for k, v in before.items()}, \
        f"rows the editor did not touch are never errors, even incomplete ones: {err}"

    rows[roaming][3] = new_fr
    rows[privacy][2] = "que faites-vous de mes données ?\npolitique de confidentialité"
    write_rows(root / "filled.csv", rows)
    status, out, err = run(root, capsys, "import", str(root / "filled.csv"))

    assert status == 0, f"filling in a missing translation must import: {err}"
    assert answer(root, "roaming", "fr") == new_fr
    assert questions(root, "privacy", "fr") == ["que faites-vous de mes données ?", "politique de confidentialité"]
    new_domain = domain.read_text(encoding="utf-8")
    zh_roaming = f'value: zh\n      text: "{answer(root, "roaming", "zh")}"\n'
    expected_domain = before["domain/faq.yml"].replace(
        zh_roaming, zh_roaming + fr_roaming_answer.replace(old_fr, new_fr), 1)
    assert new_domain == expected_domain, "the fr variation goes after roaming's last one, in the same layout"
    assert fr_nlu.read_text(encoding="utf-8") == before["data/nlu/fr/faq.yml"] + (
        "\n  - intent: faq/privacy\n    examples: |\n      - que faites-vous de mes données ?\n"
        "      - politique de confidentialité\n"), "a language's missing intent block is appended to its file"
    assert "faq/roaming [fr]: answer changed" in out and "faq/privacy [fr]: 2 question(s) added" in out, out


def test_comments_and_other_quoting_styles_survive(root: Path, capsys) -> None:
    domain, en_nlu = root / "domain/faq.yml", root / "data/nlu/en/faq.yml"
    styled = domain.read_text(encoding="utf-8")
    roaming_en, moving_en, reset_zh = (answer(root, t, lang) for t, lang in
                                       [("roaming", "en"), ("moving_house", "en"), ("password_reset", "zh")])
    styled = styled.replace("  utter_faq/roaming:\n", "  # reviewed by legal\n  utter_faq/roaming:\n", 1)
    styled = styled.replace(f'text: "{roaming_en}"', f"text: '{roaming_en}'  # single-quoted", 1)
    styled = styled.replace(f'text: "{reset_zh}"', f"text: {reset_zh}", 1)
    styled = styled.replace(f'- text: "{moving_en}"', f"- text: |\n        {moving_en}", 1)
    domain.write_text(styled, encoding="utf-8")
    en_nlu.write_text(en_nlu.read_text(encoding="utf-8").replace("nlu:\n", "nlu:\n  # FAQ questions\n", 1),
                      encoding="utf-8")
    before = snapshot(root)
    rows = export_rows(root, capsys)
    write_rows(root / "same.csv", rows)
    status, _, err = run(root, capsys, "import", str(root / "same.csv"))
    assert status == 0 and snapshot(root) == before, f"comments and quoting styles must survive a no-op: {err}"

    rows[find(rows, "moving_house", "en")][3] = "Tell us your new address."
    write_rows(root / "edited.csv", rows)
    status, _, err = run(root, capsys, "import", str(root / "edited.csv"))
    assert status == 0, err
    assert domain.read_text(encoding="utf-8") == styled.replace(
        f"- text: |\n        {moving_en}", '- text: "Tell us your new address."', 1), \
        "an edited block-style answer becomes one double-quoted line; the next variation stays intact"


def test_a_shape_the_sheet_cannot_hold_is_refused(root: Path, capsys) -> None:
    domain = root / "domain/faq.yml"
    text = domain.read_text(encoding="utf-8")
    fr = f'            value: fr\n      text: "{answer(root, "roaming", "fr")}"\n'
    domain.write_text(text.replace(fr, fr + "    - condition:\n          - type: slot\n            name: language\n"
                                         '            value: fr\n      text: "Une autre variante."\n', 1),
                      encoding="utf-8")
    status, _, err = run(root, capsys, "export", "--out", str(root / "faq.csv"))
    assert status == 2 and not (root / "faq.csv").exists(), "two fr variations cannot be one cell: refuse"
    assert f"{domain}:" in err and "two fr variations" in err and "merge them" in err, err
