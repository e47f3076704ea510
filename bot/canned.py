"""Canned responses for agents: the FAQ answers the bot gives, in the conversation's language.

Reusing ``domain/faq.yml`` means content teams maintain one set of answers for bot and agents.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, List

import yaml

FAQ_FILE = Path(__file__).resolve().parent.parent / "domain" / "faq.yml"
PREFIX = "utter_faq/"
DEFAULT_LANGUAGE = "en"


def _language_of(variation: Dict) -> str:
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=2)
def load_answers(path: Path = FAQ_FILE) -> Dict[str, Dict[str, str]]:
    """FAQ topic -> language -> answer text."""
    responses = yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}
    answers: Dict[str, Dict[str, str]] = {}
    for name, variations in responses.items():
        if name.startswith(PREFIX):
            answers[name[len(PREFIX):]] = {_language_of(v): v["text"] for v in variations if v.get("text")}
    return answers


def canned_responses(language: str) -> List[Dict[str, str]]:
    """Every FAQ answer in ``language`` (English where a translation is missing), by topic."""
    return [
        {"topic": topic, "language": language if language in texts else DEFAULT_LANGUAGE,
         "text": texts.get(language, texts.get(DEFAULT_LANGUAGE, ""))}
        for topic, texts in sorted(load_answers().items())
    ]
