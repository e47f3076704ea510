"""Which of the six supported languages a customer's text is in (lingua, offline models)."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional, Tuple

from switchboard.languages import LANGUAGES

# Short Latin-script texts ("ok", "da", "merci") are ambiguous: switch only when sure.
MIN_CONFIDENCE = 0.55
MIN_CONFIDENCE_SHORT = 0.8
SHORT_TEXT_LETTERS = 12
TOO_SHORT_LETTERS = 3  # "ok", "da", "ne": never enough to switch


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.ENGLISH,
        Language.FRENCH,
        Language.ROMANIAN,
        Language.UKRAINIAN,
        Language.LITHUANIAN,
        Language.CHINESE,
    ).build()


def _is_cjk_or_cyrillic(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u0400" <= ch <= "\u04ff" for ch in text)


def detect(text: str) -> Optional[Tuple[str, float]]:
    """The language code and confidence for ``text``, or None when it cannot be told."""
    letters = sum(ch.isalpha() for ch in text)
    if letters == 0 or text.lstrip().startswith("/"):
        return None
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]
    code = best.language.iso_code_639_1.name.lower()
    return code, float(best.value)


def detect_confident(text: str) -> Optional[str]:
    """The language of ``text`` when the detection is confident enough to switch to it."""
    found = detect(text)
    if found is None:
        return None
    code, confidence = found
    if _is_cjk_or_cyrillic(text):
        return code  # the script alone settles it among the six languages
    letters = sum(ch.isalpha() for ch in text)
    if letters <= TOO_SHORT_LETTERS:
        return None
    needed = MIN_CONFIDENCE_SHORT if letters < SHORT_TEXT_LETTERS else MIN_CONFIDENCE
    return code if confidence >= needed else None


def normalise(code: Optional[str]) -> Optional[str]:
    """A supported language code from a code or tag such as ``fr-FR``, else None."""
    if not code:
        return None
    base = str(code).strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None
