"""Check 1: ``rasa data validate --domain domain --fail-on-warnings``, with its known noise explained.

Rasa's validator prints, besides real problems, messages this project cannot avoid.
Each such message is recognised by :data:`KNOWN` only when the project shows it is
harmless (an ``utter_*`` "not used in any story or rule" is known when a form asks with
it or an action in ``actions/`` sends it; otherwise it is a real unused response), is
dropped, and its explanation is printed once. Everything else Rasa prints (warnings,
errors, a non-zero exit) is kept as findings. Rasa's output is not tied to lines of
our files, so findings point at the domain declaration when the message names one.

The same sorting serves the training log (``rasa train``, see :mod:`switchboard.train`),
whose known messages (the misaligned-entity warning that check (f) reports with a line,
the ResponseSelector warning, the stored CRF and the lookup tables) are listed too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set, Tuple

from switchboard.validation.findings import CheckResult, Finding, Location, Severity
from switchboard.validation.project import RETRIEVAL_SEPARATOR, Project

NAME = "rasa"
TITLE = "rasa data validate --domain domain --fail-on-warnings"
COMMAND = ["-m", "rasa", "data", "validate", "--domain", "domain", "--fail-on-warnings"]
TIMEOUT_SECONDS = 900
WHERE = Location("(rasa data validate)")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PY_WARNING = re.compile(r"^(?P<path>\S.*?):(?P<line>\d+): (?P<category>\w*Warning): (?P<message>.*)$")
_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +(?P<level>[A-Z]+) +(?P<logger>\S+) +- (?P<message>.*)$")
_TF_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] ")
_LIBRARY_CATEGORIES = re.compile(r"(Deprecation|MovedIn20|Future)Warning$")


@dataclass
class RasaMessage:
    """One message of Rasa's output: ``kind`` is warning, error, info, tensorflow or text."""

    kind: str
    text: str
    category: str = ""
    source: str = ""  # the file that raised a Python warning
    more: List[str] = field(default_factory=list)  # continuation lines

    @property
    def full_text(self) -> str:
        """The message with its continuation lines."""
        return "\n".join([self.text, *self.more]).strip()


def parse_output(output: str) -> List[RasaMessage]:
    """Rasa's combined stdout and stderr, split into messages (colour codes removed)."""
    messages: List[RasaMessage] = []
    current: Optional[RasaMessage] = None
    open_warning = False
    for raw in output.splitlines():
        line = _ANSI.sub("", raw).rstrip()
        if not line.strip():
            continue
        warning = _PY_WARNING.match(line)
        log = _LOG.match(line)
        open_warning = open_warning and not (warning or log)
        if warning:
            current = RasaMessage("warning", warning["message"], warning["category"], warning["path"])
            open_warning = True
        elif log:
            level = log["level"]
            kind = "error" if level in ("ERROR", "CRITICAL") else "warning" if level == "WARNING" else "info"
            current = RasaMessage(kind, log["message"], level, log["logger"])
        elif _TF_LOG.match(line):
            current = RasaMessage("tensorflow", line)
        elif current is not None and line[:1].isspace():
            current.more.append(line.strip())
            open_warning = False  # Python's format: the message, then the indented source line
            continue
        elif current is not None and (current.kind == "tensorflow" or open_warning):
            current.more.append(line.strip())  # a multi-line warning message, or TensorFlow's
            continue
        else:
            current = RasaMessage("text", line.strip())
        messages.append(current)
    return messages


@lru_cache(maxsize=8)
def _sent_by_actions(root: Path) -> Tuple[Set[str], Tuple[str, ...]]:
    """Response names the custom actions send: literal names, and prefixes of f-string names."""
    names: Set[str] = set()
    prefixes: Set[str] = set()
    for path in (root / "actions").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        names.update(re.findall(r"[\"'](utter_[A-Za-z0-9_/]+)[\"']", source))
        prefixes.update(re.findall(r"f[\"'](utter_[A-Za-z0-9_]*)\{", source))
    return names, tuple(sorted(prefixes))


def _asked_by_forms(project: Project) -> Set[str]:
    asked = set()
    for form, slots in project.domain.form_slots.items():
        for slot in slots:
            asked.update({f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"})
    return asked


def _unused_utterance_is_known(project: Project, name: str) -> bool:
    """Whether a response Rasa calls unused is asked by a form, retrieved, or sent by an action."""
    if RETRIEVAL_SEPARATOR in name and name.split(RETRIEVAL_SEPARATOR, 1)[0][len("utter_") :] in (
        project.domain.retrieval_intents
    ):
        return True
    names, prefixes = _sent_by_actions(project.root)
    if name in _asked_by_forms(project) or name in names:
        return True
    return bool(prefixes) and name.startswith(prefixes)


@dataclass(frozen=True)
class Known:
    """A message Rasa prints that is not a problem here, and why."""

    key: str
    pattern: "re.Pattern[str]"
    explanation: str
    applies: Callable[[Project, "re.Match[str]", Dict[str, object]], bool] = lambda project, match, context: True


def _duplicated_intents_known(project: Project, match: "re.Match[str]", _context: Dict[str, object]) -> bool:
    names = {name.strip() for name in match["names"].split(",")}
    return names <= set(project.domain.retrieval_intents)


def _intent_known(project: Project, match: "re.Match[str]", _context: Dict[str, object]) -> bool:
    return match["name"] in project.domain.mapping_intents


def _utterance_known(project: Project, match: "re.Match[str]", _context: Dict[str, object]) -> bool:
    return _unused_utterance_is_known(project, match["name"])


def _misaligned_known(project: Project, match: "re.Match[str]", context: Dict[str, object]) -> bool:
    if "misaligned" not in context:
        from switchboard.validation.entities import misaligned_texts

        context["misaligned"] = set(misaligned_texts(project))
    return match["text"] in context["misaligned"]  # type: ignore[operator]


KNOWN: Tuple[Known, ...] = (
    Known(
        "duplicated-retrieval-intent",
        re.compile(r"duplicated intents have been found across multiple domain files: (?P<names>[^\n]+)"),
        "Rasa adds the retrieval intent (faq) to every domain file whose responses are utter_faq/*, "
        "and domain/core.yml declares it as well; merging the files then reports it as duplicated.",
        _duplicated_intents_known,
    ),
    Known(
        "intent-used-by-slot-mappings",
        re.compile(r"The intent '(?P<name>[^']+)' is not used in any story or rule"),
        "Intents such as give_account_number, inform and rate_service are consumed by the forms' slot "
        "mappings (domain/core.yml), not by rules or stories.",
        _intent_known,
    ),
    Known(
        "utterance-sent-elsewhere",
        re.compile(r"The utterance '(?P<name>[^']+)' is not used in any story or rule"),
        "Responses named utter_ask_<form>_<slot> are asked by the forms, utter_faq/* are chosen through "
        "the faq retrieval intent, and the rest are sent by custom actions in actions/ "
        "(dispatcher.utter_message(response=...)); none needs a rule or story.",
        _utterance_known,
    ),
    Known(
        "misaligned-entity",
        re.compile(r"Misaligned entity annotation in message '(?P<text>.*)' with intent"),
        "Rasa's misaligned-entity training warning: the 'entities' check reports the same example with "
        "its file, line and fix.",
        _misaligned_known,
    ),
    Known(
        "response-selector",
        re.compile(r"does not include a response selector component"),
        "No ResponseSelector is configured on purpose: components.intent_classifier."
        "MultilingualIntentClassifier classifies faq/<topic> itself and fills response_selector.",
    ),
    Known(
        "stored-crf",
        re.compile(r"does not include an entity extractor trained on your training data"),
        "Rasa looks for its own CRFEntityExtractor by class; components.stored_crf.StoredCRFEntityExtractor "
        "is that extractor, stored as its trained model, and it trains on the annotated examples.",
    ),
    Known(
        "lookup-tables",
        re.compile(r"consisting of lookup tables, but your NLU configuration does not include any components"),
        "The lookup tables (devices) are matched by RegexEntityExtractor directly, not turned into features.",
    ),
)
_LIBRARY = (
    "library-deprecation",
    "Deprecation warnings of libraries (pkg_resources, SQLAlchemy, TensorFlow, argparse, matplotlib, "
    "Python itself): they come from Rasa 3.6 and its pinned dependencies, not from our content.",
)
_TENSORFLOW = ("tensorflow-startup", "TensorFlow start-up messages (no GPU, no TensorRT): harmless on CPU.")


def _is_library_warning(message: RasaMessage, root: Path) -> bool:
    """A deprecation warning raised outside our own code (in a library or the standard library)."""
    ours = message.source.startswith(str(root)) and "site-packages" not in message.source
    return bool(_LIBRARY_CATEGORIES.search(message.category)) and not ours


def _location(project: Project, text: str) -> Location:
    """The domain declaration a Rasa message names, else the generic place."""
    quoted = re.findall(r"'([^']+)'", text)
    domain = project.domain
    for name in quoted:
        if name in domain.responses:
            return domain.responses[name].where
        for table in (domain.intents, domain.slots, domain.forms, domain.actions, domain.entities):
            if name in table:
                return table[name]
        if name.endswith(".yml"):
            return Location(name)
    return WHERE


@dataclass
class SortedMessages:
    """Rasa's messages split into those to show and the known ones, counted with their explanation."""

    shown: List[RasaMessage] = field(default_factory=list)
    known: Dict[str, Tuple[int, str]] = field(default_factory=dict)  # key -> (count, explanation)

    def notes(self) -> List[str]:
        """One line per kind of known message."""
        return [f"known, filtered ({count}x): {explanation}" for count, explanation in self.known.values()]


def sort_messages(project: Project, messages: List[RasaMessage]) -> SortedMessages:
    """Drop what is known to be harmless here (see :data:`KNOWN`); info lines are dropped too."""
    result = SortedMessages()
    context: Dict[str, object] = {}

    def known(key: str, explanation: str) -> None:
        count, _ = result.known.get(key, (0, explanation))
        result.known[key] = (count + 1, explanation)

    for message in messages:
        if message.kind == "info":
            continue
        if message.kind == "tensorflow":
            known(*_TENSORFLOW)
            continue
        if message.kind == "warning" and _is_library_warning(message, project.root):
            known(*_LIBRARY)
            continue
        text = message.full_text
        match = next(
            ((entry, found) for entry in KNOWN for found in [entry.pattern.search(text)] if found),
            None,
        )
        if match and match[0].applies(project, match[1], context):
            known(match[0].key, match[0].explanation)
            continue
        result.shown.append(message)
    return result


def classify(project: Project, messages: List[RasaMessage], returncode: int = 0) -> CheckResult:
    """Findings for the messages that matter; one note per kind of known message."""
    result = CheckResult(NAME, TITLE)
    sorted_messages = sort_messages(project, messages)
    for message in sorted_messages.shown:
        severity = Severity.ERROR if message.kind == "error" or returncode != 0 else Severity.WARNING
        text = message.full_text
        first_line = text.splitlines()[0] if text else ""
        result.findings.append(
            Finding(
                NAME,
                severity,
                *_split(_location(project, first_line)),
                f"Rasa: {first_line}",
                _fix_for(first_line),
            )
        )
    if returncode != 0:
        result.findings.append(
            Finding(
                NAME,
                Severity.ERROR,
                WHERE.file,
                0,
                f"rasa data validate failed (exit status {returncode})",
                "fix the Rasa messages above; run `python -m rasa data validate --domain domain "
                "--fail-on-warnings` for its full output",
            )
        )
    result.notes.extend(sorted_messages.notes())
    return result


def _split(location: Location) -> Tuple[str, int]:
    return location.file, location.line


def _fix_for(text: str) -> str:
    if "is not used in any story or rule" in text and "utterance" in text:
        return "use the response in a rule or story, send it from an action, or delete it"
    if "is not used in any story or rule" in text:
        return "add a rule for the intent, use it in a slot mapping, or delete it and its examples"
    return "see Rasa's message; `python -m rasa data validate --domain domain --fail-on-warnings` shows it in full"


def run_rasa(root: Path) -> Tuple[int, str]:
    """Run the validator in ``root``; its exit status and combined output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    try:
        completed = subprocess.run(
            [sys.executable, *COMMAND],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as expired:
        output = expired.output if isinstance(expired.output, str) else ""
        return 124, output + f"\nrasa data validate did not finish in {TIMEOUT_SECONDS} s"
    return completed.returncode, completed.stdout


def run(project: Project) -> CheckResult:
    """Run Rasa's validator on the project and classify what it prints."""
    returncode, output = run_rasa(project.root)
    return classify(project, parse_output(output), returncode)
