"""What a check reports: a :class:`Finding` at a file and line, with how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import List, Tuple


class Severity(Enum):
    """An error fails the run (exit status 1); a warning is shown and does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """A place in the project: a path relative to the root, and a 1-based line (0: the whole file)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Finding:
    """One problem, where it is, and what the content editor should do about it."""

    check: str
    severity: Severity
    file: str
    line: int
    message: str
    fix: str
    related: Tuple[Location, ...] = ()

    @property
    def location(self) -> Location:
        """Where the problem is (the first place to look)."""
        return Location(self.file, self.line)

    def format(self) -> str:
        """``path:line: error|warning: message (fix: ...)``, as editors and CI logs show it."""
        text = f"{self.location}: {self.severity.value}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


def error(check: str, where: Location, message: str, fix: str, related: Tuple[Location, ...] = ()) -> Finding:
    """An :attr:`Severity.ERROR` finding at ``where``."""
    return Finding(check, Severity.ERROR, where.file, where.line, message, fix, related)


def warning(check: str, where: Location, message: str, fix: str, related: Tuple[Location, ...] = ()) -> Finding:
    """A :attr:`Severity.WARNING` finding at ``where``."""
    return Finding(check, Severity.WARNING, where.file, where.line, message, fix, related)


@dataclass
class CheckResult:
    """What one check found, plus notes (explanations of filtered known messages) printed once."""

    name: str
    title: str
    findings: List[Finding] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def errors(self) -> List[Finding]:
        """The findings that fail the run."""
        return [finding for finding in self.findings if finding.severity is Severity.ERROR]

    @property
    def warnings(self) -> List[Finding]:
        """The findings that are only shown."""
        return [finding for finding in self.findings if finding.severity is Severity.WARNING]
