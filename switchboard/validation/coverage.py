"""Check (c): every label has enough examples in every language.

The labels are the domain's intents (less ``nlu_fallback`` and retrieval intents such
as ``faq``, whose examples live under their topics) and every ``faq/<topic>`` label
found in any language. The minimums are :data:`thresholds.MINIMUM_EXAMPLES`.
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, Optional, Set

from switchboard.languages import LANGUAGES
from switchboard.validation.findings import CheckResult, Location, error
from switchboard.validation.project import RETRIEVAL_SEPARATOR, Project
from switchboard.validation.thresholds import MINIMUM_EXAMPLES

NAME = "coverage"
TITLE = "Too few examples for a label in a language"
_NOT_TRAINED = {"nlu_fallback"}


def labels(project: Project) -> Set[str]:
    """Every label that needs examples: domain intents and ``<retrieval>/<topic>`` labels."""
    retrieval = set(project.domain.retrieval_intents)
    topics = {example.label for example in project.examples if RETRIEVAL_SEPARATOR in example.label}
    retrieval |= {label.split(RETRIEVAL_SEPARATOR, 1)[0] for label in topics}
    return (set(project.domain.intents) - _NOT_TRAINED - retrieval) | topics


def _where_to_add(project: Project, label: str, language: str) -> Location:
    """The label's block in that language, else the ``nlu:`` key of the file it lives in elsewhere."""
    home: Optional[str] = None
    for block in project.label_blocks:
        if block.label == label:
            if block.language == language:
                return block.where
            home = home or block.where.file.rsplit("/", 1)[-1]
    name = home or "workflows.yml"
    file = f"data/nlu/{language}/{name}"
    return project.nlu_key_lines.get(file, Location(file, 1))


def run(project: Project) -> CheckResult:
    """An error per (label, language) under its minimum."""
    result = CheckResult(NAME, TITLE)
    counts: Dict[str, Counter] = {language: Counter() for language in LANGUAGES}
    for example in project.examples:
        if example.language in counts:
            counts[example.language][example.label] += 1
    for label in sorted(labels(project)):
        for language in LANGUAGES:
            have, need = counts[language][label], MINIMUM_EXAMPLES[language]
            if have < need:
                result.findings.append(
                    error(
                        NAME,
                        _where_to_add(project, label, language),
                        f"{label} has {have} example(s) in {language}, fewer than the {need} required",
                        f"add {need - have} more natural {language} way(s) of saying it under "
                        f"'- intent: {label}' (paraphrases, not copies)",
                    )
                )
    return result
