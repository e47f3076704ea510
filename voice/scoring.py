"""Word error rate of transcripts against references, after undoing writing conventions.

Engines write the same words differently: Whisper writes "Mr." and "7", PocketSphinx and the
references "mister" and "seven". :func:`normalise` makes them comparable, so a WER counts
words heard wrong, not spelling. With the reference files and the streaming transcription
that ``voice.bench`` and the speech tests both score.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Sequence

from voice import audio
from voice.stt import Recognizer

# What digits_en.wav (the shared data's real recording) says.
DIGITS_REF = "one zero zero zero one nine oh two one oh zero one eight zero three"

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


def sphinx_transcriptions(path: Path) -> Dict[str, str]:
    """``{utterance id: reference text}`` from a Sphinx ``<s> ... </s> (id)`` file."""
    refs = {}
    for line in path.read_text().splitlines():
        match = re.match(r"\s*<s>(.*)</s>\s*\((.+)\)\s*$", line)
        if match:
            refs[match.group(2)] = " ".join(match.group(1).split())
    return refs


def transcribe(recognizer: Recognizer, pcm: bytes, chunk_ms: int = 100) -> str:
    """Stream ``pcm`` in chunks and join the text of all final results."""
    texts: List[str] = []
    for chunk in audio.split_frames(pcm, chunk_ms):
        result = recognizer.accept(chunk)
        if result is not None and result.final and result.text:
            texts.append(result.text)
    last = recognizer.finish()
    if last.text:
        texts.append(last.text)
    return " ".join(texts)
