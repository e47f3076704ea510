"""The voice main menu and the language menu: keys and spoken words to choices
(``content/voice_menu.yml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

import yaml

MENU_FILE = Path(__file__).resolve().parent.parent / "content" / "voice_menu.yml"


@dataclass(frozen=True)
class MenuChoice:
    """A main-menu option: the key (also the routing.yml IVR key) and the intent it starts."""

    key: str
    intent: str


@lru_cache(maxsize=2)
def _load(path: Path = MENU_FILE) -> Dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def menu_choice(key_or_words: str, language: str) -> Optional[MenuChoice]:
    """The option for a pressed key, or for words the caller said (whole-word match)."""
    options = _load()["options"]
    said = key_or_words.strip().lower()
    if said in options:
        return MenuChoice(said, options[said]["intent"])
    heard = set(said.split())
    for key, option in options.items():
        words = option["words"].get(language, []) + option["words"].get("en", [])
        if any(w in heard or (len(w) > 1 and not w.isascii() and w in said) for w in words):
            return MenuChoice(key, option["intent"])
    return None


def menu_words(language: str) -> List[str]:
    """Phrase hints for the main menu."""
    options = _load()["options"]
    return sorted({w for o in options.values() for w in o["words"].get(language, []) + o["words"]["en"]})


def language_choice(key_or_words: str) -> Optional[str]:
    """The language for a pressed key or a spoken language name."""
    languages = _load()["languages"]
    said = key_or_words.strip().lower()
    if said in languages:
        return languages[said]["code"]
    for option in languages.values():
        if any(w in said.split() or (not w.isascii() and w in said) for w in option["words"]):
            return option["code"]
    return None


def language_words() -> List[str]:
    """Phrase hints for the language menu (the names an English recogniser can hear)."""
    return sorted({w for o in _load()["languages"].values() for w in o["words"] if w.isascii()})
