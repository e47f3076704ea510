"""The gateway's own customer-facing texts and the agents' canned responses."""

import re

import pytest

from bot.canned import canned_responses, load_answers
from bot.notices import load_notices, notice

LANGUAGES = ("en", "fr", "ro", "uk", "lt", "zh")


@pytest.mark.parametrize("key", sorted(load_notices()))
def test_every_notice_has_six_languages_with_the_same_placeholders(key) -> None:
    texts = load_notices()[key]
    assert set(texts) == set(LANGUAGES)
    placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in texts.items()}
    assert len({frozenset(p) for p in placeholders.values()}) == 1, placeholders


def test_notice_falls_back_to_english_and_fills_values() -> None:
    assert notice("agent_joined", "fr", agent="Alice") == "Alice a rejoint la conversation."
    assert notice("agent_joined", "xx", agent="Alice") == "Alice has joined the conversation."


def test_canned_responses_reuse_every_faq_answer_in_the_language() -> None:
    topics = set(load_answers())
    assert len(topics) >= 25 and "opening_hours" in topics
    french = {r["topic"]: r for r in canned_responses("fr")}
    assert set(french) == topics
    assert all(r["language"] == "fr" and r["text"] for r in french.values())
    assert french["opening_hours"]["text"] != {r["topic"]: r for r in canned_responses("en")}["opening_hours"]["text"]
