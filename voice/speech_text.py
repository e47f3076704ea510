"""Turning the bot's chat replies into something a caller can hear, and what callers say
into what the bot expects.

- Buttons become a numbered menu ("say or press 1 for Billing"); the caller answers with
  the key or the words, and :func:`choice_for` maps that back to the button's payload.
- Emoji and links are dropped; a reply's ``voice`` variant (``custom.voice``) wins over
  its chat text when there is one.
- Spoken digits ("one zero zero … oh") become digits, for account and phone numbers.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

import regex

_LINK = re.compile(r"https?://\S+|www\.\S+")
_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\u200d\ufe0f]")
_SPACES = re.compile(r"\s+")

MENU_LINES = {
    "en": "Say or press {key} for {title}.",
    "fr": "Dites ou tapez {key} pour {title}.",
    "ro": "Spuneți sau apăsați {key} pentru {title}.",
    "uk": "Скажіть або натисніть {key}: {title}.",
    "lt": "Pasakykite arba spauskite {key}: {title}.",
    "zh": "{title}请说或按 {key}。",
}

DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "to": "2", "too": "2", "three": "3",
    "four": "4", "for": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
MIN_DIGIT_RUN = 4


def clean_for_speech(text: str) -> str:
    """The text without links, emoji and runs of whitespace."""
    return _SPACES.sub(" ", _EMOJI.sub("", _LINK.sub("", text or ""))).strip()


def speakable(reply: Dict[str, Any], language: str) -> str:
    """What to say for one bot reply: its voice variant or text, then its buttons as a menu."""
    custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
    text = clean_for_speech(str(custom.get("voice") or reply.get("text") or ""))
    buttons = reply.get("buttons") or []
    line = MENU_LINES.get(language, MENU_LINES["en"])
    menu = " ".join(line.format(key=i, title=clean_for_speech(b.get("title", ""))) for i, b in enumerate(buttons, 1))
    return " ".join(part for part in (text, menu) if part)


def choice_for(heard: str, buttons: Sequence[Dict[str, Any]]) -> Optional[str]:
    """The payload of the button the caller picked by key ("2") or words ("two", the title)."""
    said = heard.strip().lower()
    digits = spoken_digits(said)
    if digits.isdigit() and 1 <= int(digits) <= len(buttons):
        return buttons[int(digits) - 1].get("payload") or buttons[int(digits) - 1].get("title")
    for button in buttons:
        title = clean_for_speech(button.get("title", "")).lower()
        if title and (said == title or f" {title} " in f" {said} "):
            return button.get("payload") or button.get("title")
    return None


def spoken_digits(text: str) -> str:
    """Runs of at least four spoken digits become digits; other words stay as they are."""
    words = text.split()
    out: List[str] = []
    run: List[str] = []

    def flush() -> None:
        if len(run) >= MIN_DIGIT_RUN or (run and len(run) == len(words)):
            out.append("".join(DIGIT_WORDS.get(w, w) for w in run))
        else:
            out.extend(run)
        run.clear()

    for word in words:
        if word.lower() in DIGIT_WORDS or word.isdigit():
            run.append(word.lower())
        else:
            flush()
            out.append(word)
    flush()
    return " ".join(out)


def digits_grammar() -> List[str]:
    """Phrase hints for number prompts: the digit words."""
    return sorted({w for w in DIGIT_WORDS if len(w) > 1 and w not in ("to", "too", "for")})


def button_grammar(buttons: Sequence[Dict[str, Any]]) -> List[str]:
    """Phrase hints for a question with buttons: each title, its number, and yes/no words."""
    numbers = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    phrases = [clean_for_speech(b.get("title", "")).lower() for b in buttons]
    phrases += numbers[: len(buttons)] + ["yes", "no"]
    return [p for p in dict.fromkeys(phrases) if p]
