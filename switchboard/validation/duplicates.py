"""Check (a): the same example under two labels, in any language.

One model is trained on every language together, so ``merci`` under ``thank`` in
``fr/`` and under ``goodbye`` in ``en/`` is as contradictory as two lines of one file.
Examples are compared after Rasa strips the entity annotations, case-folded and with
runs of whitespace made one space. The same text twice under the *same* label is
harmless (it only weighs that example double) and is not reported.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, List

from switchboard.validation.findings import CheckResult, error
from switchboard.validation.project import Example, Project

NAME = "duplicates"
TITLE = "Same example under two labels"


def run(project: Project) -> CheckResult:
    """One error per text written under more than one label, at its first place."""
    result = CheckResult(NAME, TITLE)
    by_text: Dict[str, List[Example]] = defaultdict(list)
    for example in project.examples:
        if example.key:
            by_text[example.key].append(example)
    for occurrences in by_text.values():
        labels = sorted({example.label for example in occurrences})
        if len(labels) < 2:
            continue
        first = occurrences[0]
        places = "; ".join(f"{example.label} at {example.where}" for example in occurrences)
        result.findings.append(
            error(
                NAME,
                first.where,
                f"{first.text!r} is an example of {len(labels)} labels ({', '.join(labels)}): {places}",
                "keep it under the one label it means and delete the other line(s); if it is "
                "ambiguous, reword each copy so it says which request it is",
                tuple(example.where for example in occurrences[1:]),
            )
        )
    return result
