"""Measure false positives: run :func:`pii.redact_text` over the project's own texts.

    python -m pii.false_positives [ROOT]

Scans every NLU training example (``data/nlu/*/*.yml``, entity annotations stripped to
their text), every string value of ``content/customers.yml`` and every user line of
``tests/stories/*.yml``, then prints how many texts were scanned and each one that the
redaction changed, with its file, so a person can check it is a real card number.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from pii.redact import redact_text

ROOT = Path(__file__).resolve().parent.parent

_ANNOTATION = re.compile(r"\[([^\]\n]*)\](?:\([^)\n]*\)|\{[^}\n]*\})")


@dataclass(frozen=True)
class Change:
    """One text that the redaction changed."""

    source: str  # file, relative to the root
    text: str
    redacted: str


@dataclass(frozen=True)
class Report:
    """What a scan found: texts scanned per source kind, and every changed text."""

    scanned: Tuple[Tuple[str, int], ...]
    changed: Tuple[Change, ...]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.scanned)


def strip_annotations(text: str) -> str:
    """Rasa NLU text without entity markup: ``[4111](card)`` and ``[x]{"entity": …}`` → text."""
    return _ANNOTATION.sub(r"\1", text)


def _load(path: Path) -> Any:
    import yaml  # only the measurement script needs YAML

    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def nlu_examples(data: Any) -> Iterator[str]:
    """The examples of the intents in one parsed Rasa NLU file."""
    for item in (data or {}).get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield strip_annotations(line[2:].strip())


def string_values(data: Any) -> Iterator[str]:
    """Every string value in a parsed YAML document (keys excluded)."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from string_values(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            yield from string_values(value)


def story_user_lines(data: Any) -> Iterator[str]:
    """The user messages of the stories (and rules) in one parsed story file."""
    for section in ("stories", "rules"):
        for story in (data or {}).get(section) or []:
            for step in story.get("steps") or []:
                if isinstance(step, dict) and isinstance(step.get("user"), str):
                    yield strip_annotations(step["user"].strip())


def _sources(root: Path) -> Iterator[Tuple[str, Path, Any]]:
    for path in sorted(root.glob("data/nlu/*/*.yml")):
        yield "nlu", path, nlu_examples
    customers = root / "content" / "customers.yml"
    if customers.is_file():
        yield "customers", customers, string_values
    for path in sorted(root.glob("tests/stories/*.yml")):
        yield "stories", path, story_user_lines


def scan(root: Path = ROOT) -> Report:
    """Run the redaction over the project's texts under ``root``."""
    counts: Dict[str, int] = {}
    changed: List[Change] = []
    for kind, path, texts in _sources(root):
        source = path.relative_to(root).as_posix()
        for text in texts(_load(path)):
            counts[kind] = counts.get(kind, 0) + 1
            redacted = redact_text(text)
            if redacted != text:
                changed.append(Change(source, text, redacted))
    return Report(tuple(counts.items()), tuple(changed))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the scan of ROOT (default: this checkout); returns 0."""
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else ROOT
    report = scan(root)
    parts = ", ".join(f"{kind} {count}" for kind, count in report.scanned)
    print(f"scanned {report.total} texts ({parts})")
    print(f"changed {len(report.changed)}")
    for change in report.changed:
        print(f"  {change.source}: {change.text!r} -> {change.redacted!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
