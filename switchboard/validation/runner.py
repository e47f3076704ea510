"""Run the checks in order and write the report: a section per check, then a summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable, List, Optional, Sequence

from switchboard.validation import (
    annotations,
    coverage,
    duplicates,
    entities,
    faq,
    rasa_validate,
    references,
    responses,
    similarity,
    syntax,
)
from switchboard.validation.findings import CheckResult, Finding
from switchboard.validation.project import Project


@dataclass(frozen=True)
class Check:
    """A check: its short name (for ``--check``), title, and function."""

    name: str
    title: str
    run: Callable[[Project], CheckResult]


def _check(module: ModuleType) -> Check:
    return Check(module.NAME, module.TITLE, module.run)


CHECKS: Sequence[Check] = tuple(
    _check(module)
    for module in (rasa_validate, duplicates, similarity, coverage, responses, faq, entities, annotations, references)
)
CHECK_NAMES: Sequence[str] = tuple(check.name for check in CHECKS)


def run_checks(
    root: Path,
    skip_rasa: bool = False,
    only: Optional[Iterable[str]] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> List[CheckResult]:
    """The results of the chosen checks on the checkout at ``root`` (YAML syntax always first).

    When a file does not parse, only the syntax result is returned: the other checks
    would report the same broken file in their own ways.
    """
    project = Project(root)
    chosen = set(only) if only else set(CHECK_NAMES)
    if skip_rasa:
        chosen.discard(rasa_validate.NAME)
    parsed = syntax.run(project)
    if parsed.findings:
        parsed.notes.append("the other checks did not run: fix the YAML first")
        return [parsed]
    results = []
    for check in CHECKS:
        if check.name in chosen:
            if progress:
                progress(check.name)
            results.append(check.run(project))
    return results


def all_findings(results: Iterable[CheckResult]) -> List[Finding]:
    """Every finding of ``results``, in report order."""
    return [finding for result in results for finding in result.findings]


def exit_status(results: Iterable[CheckResult]) -> int:
    """1 when any check found an error, else 0 (warnings do not fail)."""
    return 1 if any(result.errors for result in results) else 0


def _counts(errors: int, warnings: int) -> str:
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def format_report(results: Sequence[CheckResult]) -> str:
    """The report: per check a header, its notes and one line per finding; then the summary."""
    lines: List[str] = []
    for result in results:
        lines.append(f"== {result.name}: {result.title} ({_counts(len(result.errors), len(result.warnings))}) ==")
        lines.extend(f"  note: {note}" for note in result.notes)
        lines.extend(finding.format() for finding in result.findings)
        lines.append("")
    errors = sum(len(result.errors) for result in results)
    warnings = sum(len(result.warnings) for result in results)
    per_check = ", ".join(
        f"{result.name} {len(result.errors)}/{len(result.warnings)}" for result in results
    )
    lines.append(f"Summary: {_counts(errors, warnings)} (errors/warnings per check: {per_check})")
    lines.append("FAILED: fix the errors above." if errors else "OK: no errors.")
    return "\n".join(lines)
