"""Check (e): every FAQ topic has both questions and an answer.

Questions are ``- intent: faq/<topic>`` blocks of ``data/nlu/<lang>/``; the answer is the
``utter_faq/<topic>`` response. A topic with questions but no answer makes the bot
recognise the question and then fail to reply; an answer without questions is never
given. The same holds for any other retrieval intent (``<intent>/<topic>``).
"""

from __future__ import annotations

from typing import Dict

from switchboard.validation.findings import CheckResult, Location, error
from switchboard.validation.project import RETRIEVAL_SEPARATOR, Project

NAME = "faq"
TITLE = "FAQ topics: questions and answers"


def run(project: Project) -> CheckResult:
    """Errors for topics missing their answer, and answers missing their questions."""
    result = CheckResult(NAME, TITLE)
    questions: Dict[str, Location] = {}
    for block in project.label_blocks:
        if RETRIEVAL_SEPARATOR in block.label:
            questions.setdefault(block.label, block.where)
    answers = {
        name[len("utter_") :]: response.where
        for name, response in project.domain.responses.items()
        if name.startswith("utter_") and RETRIEVAL_SEPARATOR in name
    }
    for label, where in questions.items():
        if label not in answers:
            result.findings.append(
                error(
                    NAME,
                    where,
                    f"{label} has questions but no answer: there is no utter_{label} response",
                    f"add `utter_{label}:` with its answer in every language to domain/faq.yml, "
                    "or fix the topic name if it is a typo of an existing one",
                )
            )
    for label, where in answers.items():
        if label not in questions:
            result.findings.append(
                error(
                    NAME,
                    where,
                    f"utter_{label} answers a topic that has no questions in any language",
                    f"add a `- intent: {label}` block of questions to data/nlu/<lang>/faq.yml for every "
                    "language, or delete the answer if the topic is retired",
                )
            )
    return result
