"""The content team's checker: ``python -m switchboard.validation`` (``make validate``).

Runs ``rasa data validate`` (known harmless messages explained and filtered) and the
project's own checks on ``data/nlu``, ``domain/``, ``data/rules`` and ``tests/stories``,
each finding at a file and line with how to fix it:

- ``duplicates``: the same example under two labels (error)
- ``similarity``: near-duplicate examples under different labels (warning)
- ``coverage``: too few examples for a label in a language (error)
- ``responses``: a response without every language, or placeholders/buttons unlike English (error)
- ``faq``: FAQ questions without an answer, or an answer without questions (error)
- ``entities``: entity annotations off the tokenizer's token boundaries (error)
- ``annotations``: a word annotated as an entity in some examples of a label, plain in others (warning)
- ``references``: intents, actions, forms, slots, entities used but not in the domain (error)

Thresholds live in :mod:`switchboard.validation.thresholds`.
"""

from pathlib import Path
from typing import Iterable, List, Optional

from switchboard.validation.findings import CheckResult, Finding, Location, Severity

__all__ = ["CheckResult", "Finding", "Location", "Severity", "run_checks"]


def run_checks(root: Path, skip_rasa: bool = False, only: Optional[Iterable[str]] = None) -> List[CheckResult]:
    """The checks' results on the checkout at ``root``: see :func:`switchboard.validation.runner.run_checks`."""
    from switchboard.validation.runner import run_checks as run  # imported late: the checks load Rasa

    return run(root, skip_rasa=skip_rasa, only=only)
