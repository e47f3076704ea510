"""The voice channel's own prompts (greeting and disclosure, menus, reprompts, hold), per
language, from ``content/voice_prompts.yml``."""

from __future__ import annotations

from pathlib import Path

from switchboard.languages import localized

PROMPTS_FILE = Path(__file__).resolve().parent.parent / "content" / "voice_prompts.yml"


def prompt(key: str, language: str, **values: object) -> str:
    """The prompt ``key`` in ``language`` (English if missing), placeholders filled."""
    return localized(PROMPTS_FILE, key, language, **values)
