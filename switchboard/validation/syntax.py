"""Check 0: every content file parses as YAML (the other checks need the files read).

A content edit that breaks the YAML (a tab, a missing ``|``, an unclosed quote) stops
everything else, so it is reported first, at the line where the parser gave up.
"""

from __future__ import annotations

from switchboard.validation.findings import CheckResult, error
from switchboard.validation.project import ContentFileError, Project

NAME = "syntax"
TITLE = "YAML syntax of the content files"


def run(project: Project) -> CheckResult:
    """An error per file the YAML parser rejects."""
    result = CheckResult(NAME, TITLE)
    for path in project.content_files:
        try:
            project.compose(path)
        except ContentFileError as problem:
            result.findings.append(
                error(
                    NAME,
                    problem.where,
                    f"not valid YAML: {problem.problem}",
                    "compare the line (and the one before) with its neighbours: indent with spaces, "
                    "keep `examples: |`, close every quote",
                )
            )
    return result
