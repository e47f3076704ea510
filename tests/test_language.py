"""Language detection (lingua) and the slots every message updates (components/conversation_slots.py)."""

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from components.conversation_slots import (
    EXTRACTOR,
    Conversation,
    ConversationSlots,
    Turn,
    entity_for,
    slot_updates,
)
from components.language_detection import detect_confident, normalise
from switchboard import paths


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


def test_detected_language_is_set() -> None:
    turn = Turn("Bonjour, je voudrais connaître mes horaires", intent="faq")
    assert slot_updates(turn, Conversation(language="en")) == {"language": "fr"}


def test_explicit_switch_overrides_detection_and_is_pinned() -> None:
    turn = Turn("parlez-vous anglais ?", intent="switch_language", entities=[{"entity": "language", "value": "en"}])
    assert slot_updates(turn, Conversation(language="fr")) == {"language": "en", "language_pinned": True}


def test_language_mention_without_the_switch_intent_is_not_a_choice() -> None:
    turn = Turn("Bonjour, je parle français", intent="greet", entities=[{"entity": "language", "value": "fr"}])
    assert slot_updates(turn, Conversation(language="fr")) == {}


def test_pinned_language_is_kept() -> None:
    turn = Turn("Bonjour tout le monde, merci", intent="greet")
    assert slot_updates(turn, Conversation(language="en", pinned=True)) == {}


def test_channel_metadata_language_counts_as_a_choice() -> None:
    turn = Turn("hello", intent="greet", metadata={"language": "lt"})
    assert slot_updates(turn, Conversation()) == {"language": "lt", "language_pinned": True}


def test_a_choice_already_in_force_changes_nothing() -> None:
    turn = Turn("hello", intent="greet", metadata={"language": "lt"})
    assert slot_updates(turn, Conversation(language="lt", pinned=True)) == {}


def test_first_ambiguous_message_defaults_to_english() -> None:
    assert slot_updates(Turn("ok", intent="affirm"), Conversation()) == {"language": "en"}


def test_channel_from_metadata_only_when_known_and_changed() -> None:
    assert slot_updates(Turn("hello", "greet", metadata={"channel": "voice"}), Conversation("en")) == {"channel": "voice"}
    assert slot_updates(Turn("hello", "greet", metadata={"channel": "carrier-pigeon"}), Conversation("en", channel="chat")) == {}
    assert slot_updates(Turn("hello", "greet", metadata={"channel": "chat"}), Conversation("en", channel="chat")) == {}


def test_fallback_counter_resets_when_understood() -> None:
    assert slot_updates(Turn("hello", "greet"), Conversation("en", fallback_count=1.0)) == {"fallback_count": 0.0}
    assert slot_updates(Turn("hello", "nlu_fallback"), Conversation("en", fallback_count=1.0)) == {}
    assert slot_updates(Turn("hello", "greet"), Conversation("en")) == {}


def _parsed(text: str, intent: str, tracker, metadata=None) -> Message:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
                            "metadata": metadata or {}})
    (parsed,) = ConversationSlots().process([message], tracker)
    return parsed


def test_component_reads_the_tracker_and_adds_marked_entities() -> None:
    domain = Domain.load(str(paths.ROOT / "domain"))
    tracker = DialogueStateTracker.from_events("kim", [SlotSet("language", "en")], slots=domain.slots)
    parsed = _parsed("Bonjour, ma box ne marche plus depuis hier", "faq", tracker, {"channel": "chat"})
    assert parsed.get("entities") == [
        {"entity": entity_for("language"), "value": "fr", "extractor": EXTRACTOR},
        {"entity": entity_for("channel"), "value": "chat", "extractor": EXTRACTOR},
    ]
    pinned = DialogueStateTracker.from_events(
        "kim", [SlotSet("language", "en"), SlotSet("language_pinned", True), SlotSet("channel", "chat")],
        slots=domain.slots)
    assert _parsed("Bonjour tout le monde", "greet", pinned, {"channel": "chat"}).get("entities") == []


def test_without_a_conversation_nothing_is_added() -> None:
    message = Message(data={"text": "Bonjour", "intent": {"name": "greet"}, "entities": []})
    assert ConversationSlots().process([message]) == [message]
    assert message.get("entities") == []


async def test_slots_are_filled_from_the_entities_by_rasa() -> None:
    """Rasa's own slot extraction, with the project's domain, turns the entities into slots."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    domain = Domain.load(str(paths.ROOT / "domain"))
    tracker = DialogueStateTracker.from_events("kim", [], slots=domain.slots)
    parsed = _parsed("Bonjour, ma box ne marche plus depuis hier", "faq", tracker, {"channel": "voice"})
    tracker.update(UserUttered(parsed.get("text"), parsed.get("intent"), parsed.get("entities")))
    events = await ActionExtractSlots(None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain)
    assert {(e.key, e.value) for e in events if isinstance(e, SlotSet)} == {("language", "fr"), ("channel", "voice")}
