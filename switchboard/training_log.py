"""What a content editor sees of ``rasa train``: progress, real problems, known noise once.

Rasa's training output is mostly messages nobody editing content can act on: library
deprecation warnings, TensorFlow's start-up lines, and warnings this project's design
makes unavoidable. The same sorting as ``make validate`` (:mod:`switchboard.validation.rasa_validate`)
drops those, and says once per kind why; a component starting to train, or taken from
Rasa's cache, is shown as it happens; anything else Rasa prints (a new warning, an error,
a traceback) is shown in full at the end. Rasa's whole output is kept in a log file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, List

from switchboard.validation.project import Project
from switchboard.validation.rasa_validate import parse_output, sort_messages

_PROGRESS = re.compile(r"rasa\.engine\.training\.hooks +- (?P<what>Starting to train|Restored) component '(?P<name>[^']+)'")
_SAID_BY_US = re.compile(r"Your Rasa model is trained and saved at")  # the caller names the final file


def progress_line(line: str) -> str:
    """The editor's line for a training-progress message of Rasa's, or '' for any other line."""
    found = _PROGRESS.search(line)
    if not found:
        return ""
    if found["what"] == "Restored":
        return f"  {found['name']}: unchanged, from Rasa's cache"
    return f"  training {found['name']} ..."


class TrainingLog:
    """Collects one training run's output: ``feed`` each line, then ``finish``."""

    def __init__(self, root: Path, raw_log: Path, console: IO[str]) -> None:
        self.root = root
        self.raw_log = raw_log
        self.console = console
        self._lines: List[str] = []
        raw_log.parent.mkdir(parents=True, exist_ok=True)
        self._raw = raw_log.open("w", encoding="utf-8")

    def feed(self, line: str) -> None:
        """One line of Rasa's output (with its newline)."""
        self._raw.write(line)
        self._lines.append(line)
        shown = progress_line(line)
        if shown:
            print(shown, file=self.console, flush=True)

    def finish(self) -> None:
        """Show what matters of the whole output, and the known messages' explanations."""
        self._raw.close()
        messages = [m for m in parse_output("".join(self._lines)) if not _SAID_BY_US.search(m.full_text)]
        sorted_messages = sort_messages(Project(self.root), messages)
        for message in sorted_messages.shown:
            print(message.full_text, file=self.console)
        for note in sorted_messages.notes():
            print(f"  {note}", file=self.console)
        print(f"Rasa's full output: {self.raw_log}", file=self.console, flush=True)
