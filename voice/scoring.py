"""Word error rate of transcripts against references, after undoing writing conventions.

Engines write the same words differently: Whisper writes "Mr." and "7", PocketSphinx and the
references "mister" and "seven". :func:`normalise` makes them comparable, so a WER counts
words heard wrong, not spelling (used by ``voice.bench`` and the speech tests).
"""

from __future__ import annotations

import re
from typing import Sequence

_NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                 "nineteen", "twenty"]


def _number_words(digits: str) -> str:
    if len(digits) <= 2 and int(digits) < len(_NUMBER_WORDS):
        return _NUMBER_WORDS[int(digits)]
    return " ".join(_NUMBER_WORDS[int(d)] for d in digits)  # as people read account numbers


def normalise(text: str) -> str:
    """Lower case, no punctuation, "mr" as "mister", numbers as words (up to twenty a word,
    longer ones digit by digit)."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"\bmr\b\.?", "mister", text)
    text = re.sub(r"\d+", lambda m: f" {_number_words(m.group())} ", text)
    return " ".join(re.sub(r"[^a-z' ]", " ", text).split())


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """The corpus word error rate, both sides normalised."""
    import jiwer

    return jiwer.wer([normalise(r) for r in references], [normalise(h) for h in hypotheses])
