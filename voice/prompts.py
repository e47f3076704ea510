"""The voice channel's own prompts (greeting and disclosure, menus, reprompts, hold), per
language, from ``content/voice_prompts.yml``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict

import yaml

PROMPTS_FILE = Path(__file__).resolve().parent.parent / "content" / "voice_prompts.yml"


@lru_cache(maxsize=2)
def load_prompts(path: Path = PROMPTS_FILE) -> Dict[str, Dict[str, str]]:
    """Every prompt by key, then language."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def prompt(key: str, language: str, **values: object) -> str:
    """The prompt ``key`` in ``language`` (English if missing), placeholders filled."""
    texts = load_prompts()[key]
    return texts.get(language, texts["en"]).format(**values)
