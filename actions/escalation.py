"""The escalation score of a complaint, with the reasons behind it.

Signals: anger words and shouting in what the customer wrote, a request for a manager or
a person, and a repeat complaint on the same topic. Lexicons are content, in
``content/lexicons/escalation.yml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List

from actions.content import content

ESCALATE_AT = 0.5
WEIGHTS = {"anger_words": 0.5, "shouting": 0.2, "manager_request": 0.6, "repeat_complaint": 0.6}


@dataclass
class Escalation:
    """A score between 0 and 1 and the reasons that produced it."""

    score: float = 0.0
    reasons: List[str] = field(default_factory=list)

    @property
    def escalate(self) -> bool:
        """Whether the complaint goes to the complaints queue with high priority."""
        return self.score >= ESCALATE_AT


def lexicons() -> Dict[str, Dict[str, List[str]]]:
    """The anger and manager word lists per language."""
    return content("lexicons/escalation.yml")


def _mentions(texts: Iterable[str], words: Iterable[str], language: str) -> bool:
    joined = " ".join(texts).lower()
    for word in words:
        word = word.lower()
        if language == "zh":
            if word in joined:
                return True
        elif re.search(rf"(?<!\w){re.escape(word)}(?!\w)", joined):
            return True
    return False


def _shouting(texts: Iterable[str]) -> bool:
    for text in texts:
        letters = [ch for ch in text if ch.isalpha()]
        if len(letters) >= 8 and sum(ch.isupper() for ch in letters) / len(letters) > 0.7:
            return True
        if "!!" in text:
            return True
    return False


def score_complaint(
    texts: List[str], language: str, asked_for_person: bool, previous_complaints_on_topic: int
) -> Escalation:
    """Score what the customer wrote in the conversation."""
    words = lexicons()
    result = Escalation()
    signals = {
        "anger_words": _mentions(texts, words["anger"].get(language, []) + words["anger"]["en"], language),
        "shouting": _shouting(texts),
        "manager_request": asked_for_person
        or _mentions(texts, words["manager"].get(language, []) + words["manager"]["en"], language),
        "repeat_complaint": previous_complaints_on_topic > 0,
    }
    for reason, present in signals.items():
        if present:
            result.score += WEIGHTS[reason]
            result.reasons.append(reason)
    result.score = round(min(result.score, 1.0), 2)
    return result
