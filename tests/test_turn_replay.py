"""Rasa answers a turn it already holds from its tracker (``components/turn_replay.py``): which
replies belong to which message, and that such a turn is never processed again."""

from __future__ import annotations

from typing import Any, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components import turn_replay


def _user(text: str, message_id: Any) -> UserUttered:
    return UserUttered(text, {"name": "greet", "confidence": 1.0}, metadata={"switchboard": {"message_id": message_id}})


EVENTS = [
    ActionExecuted("action_session_start"),
    _user("hello", 7),
    BotUttered("Hi!"),
    BotUttered("How can I help?", {"buttons": [{"title": "Bills", "payload": "/bills"}]}),
    ActionExecuted("action_listen"),
    _user("opening hours", 8),
    BotUttered("Monday to Friday", {"custom": {"handoff": {"reason": "x"}}}),
    _user("thanks", 9),
]


def test_the_replies_of_each_message_are_those_before_the_next_user_message() -> None:
    assert [e.text for e in turn_replay.replies_to(EVENTS, 7)] == ["Hi!", "How can I help?"]
    assert [e.text for e in turn_replay.replies_to(EVENTS, 8)] == ["Monday to Friday"]
    assert turn_replay.replies_to(EVENTS, 9) == []  # held, not answered yet: nothing to send again
    assert turn_replay.replies_to(EVENTS, 10) is None


@pytest.mark.parametrize("metadata", [None, {}, {"switchboard": {}}, {"switchboard": {"message_id": "7"}},
                                      {"switchboard": {"message_id": True}}, {"switchboard": 7}])
def test_only_an_int_message_id_counts(metadata) -> None:
    assert turn_replay.gateway_message_id(metadata) is None


def test_the_gateways_key_names_are_the_same() -> None:
    from bot.redaction import MESSAGE_ID_KEY, METADATA_KEY

    assert (turn_replay.SIGNAL_KEY, turn_replay.MESSAGE_ID_KEY) == (METADATA_KEY, MESSAGE_ID_KEY)


class _Processor:
    """What handle_message uses of Rasa's MessageProcessor: its tracker store."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())


@pytest.fixture
def processed(monkeypatch) -> List[Any]:
    """Messages that reached Rasa's own handle_message."""
    seen: List[Any] = []

    async def original(self: Any, message: Any) -> List[Any]:
        seen.append(message)
        return []

    monkeypatch.setattr(turn_replay, "_original_handle_message", original)
    return seen


async def test_a_held_turn_is_answered_from_the_tracker(processed) -> None:
    processor = _Processor()
    await processor.tracker_store.save(DialogueStateTracker.from_events("conv", EVENTS))
    output = CollectingOutputChannel()
    message = UserMessage("hello", output, "conv", metadata={"switchboard": {"message_id": 7}})
    replies = await turn_replay.handle_message(processor, message)
    assert replies == [
        {"recipient_id": "conv", "text": "Hi!"},
        {"recipient_id": "conv", "text": "How can I help?", "buttons": [{"title": "Bills", "payload": "/bills"}]},
    ]
    assert processed == []
    assert len((await processor.tracker_store.retrieve("conv")).events) == len(EVENTS)  # nothing stored


async def test_a_new_turn_is_processed(processed) -> None:
    processor = _Processor()
    await processor.tracker_store.save(DialogueStateTracker.from_events("conv", EVENTS))
    new = UserMessage("bye", CollectingOutputChannel(), "conv", metadata={"switchboard": {"message_id": 10}})
    unmarked = UserMessage("bye", CollectingOutputChannel(), "other")
    await turn_replay.handle_message(processor, new)
    await turn_replay.handle_message(processor, unmarked)
    assert processed == [new, unmarked]
