"""Language detection (lingua) and the per-turn language slot."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.language import detect_confident, normalise
from actions.slot_mappings import ValidateSlotMappings
from tests.actions_support import tracker


@pytest.mark.parametrize(
    "text, expected",
    [
        ("what are your opening hours?", "en"),
        ("Bonjour, ma box ne marche plus depuis hier", "fr"),
        ("bună ziua, vreau să plătesc factura", "ro"),
        ("Привіт, у мене не працює інтернет", "uk"),
        ("Laba diena, neveikia internetas", "lt"),
        ("我的路由器坏了", "zh"),
        ("Laba diena", "lt"),
        ("Bonjour", "fr"),
        ("Привіт", "uk"),
        ("你好", "zh"),
    ],
)
def test_detects_the_six_languages(text, expected) -> None:
    assert detect_confident(text) == expected


@pytest.mark.parametrize("text", ["ok", "da", "ne", "bye", "merci", "Salut", "100019021001803", "/affirm", "?!"])
def test_short_or_ambiguous_text_does_not_switch(text) -> None:
    assert detect_confident(text) is None


@pytest.mark.parametrize("raw, expected", [("fr-FR", "fr"), ("ZH", "zh"), ("uk_UA", "uk"), ("de", None), (None, None)])
def test_normalise(raw, expected) -> None:
    assert normalise(raw) == expected


async def _extract(**kwargs):
    return await ValidateSlotMappings().extract_language(CollectingDispatcher(), tracker(**kwargs), {})


async def test_detected_language_is_set() -> None:
    assert await _extract(text="Bonjour, je voudrais connaître mes horaires", slots={"language": "en"}) == {
        "language": "fr"
    }


async def test_explicit_switch_overrides_detection_and_is_pinned() -> None:
    result = await _extract(
        intent="switch_language",
        text="parlez-vous anglais ?",
        entities=[{"entity": "language", "value": "en"}],
        slots={"language": "fr"},
    )
    assert result == {"language": "en", "language_pinned": True}


async def test_pinned_language_is_kept() -> None:
    assert await _extract(text="Bonjour tout le monde, merci", slots={"language": "en", "language_pinned": True}) == {}


async def test_channel_metadata_language_counts_as_a_choice() -> None:
    assert await _extract(text="hello", metadata={"language": "lt"}) == {"language": "lt", "language_pinned": True}


async def test_first_ambiguous_message_defaults_to_english() -> None:
    assert await _extract(text="ok", slots={"language": None}) == {"language": "en"}
