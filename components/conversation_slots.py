"""The slots every customer message updates (language, channel, fallback counter), decided
inside Rasa's NLU pipeline.

Rasa fills custom slot mappings by calling ``action_validate_slot_mappings`` on the action
server after *every* message: one more HTTP call per turn, with the whole tracker
serialised to JSON. Under chat load that was a sixth of the Rasa server's time (issue 12).
The decision needs only the message and the conversation's current slots, and an NLU
component receives both (Rasa passes the tracker to a component whose ``process`` takes a
``tracker`` argument), so it is made here and handed on as entities that the slots' plain
``from_entity`` mappings read (``domain/core.yml``). A plain FAQ turn now makes no call to
the action server at all.

The entities are marked with :data:`EXTRACTOR` and do not influence the conversation; the
gateway leaves them out of the context it shows agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.language_detection import detect_confident, normalise
from switchboard.languages import DEFAULT_LANGUAGE

EXTRACTOR = "ConversationSlots"
CHANNELS = ("chat", "voice")
SWITCH_LANGUAGE_INTENT = "switch_language"
FALLBACK_INTENT = "nlu_fallback"
LANGUAGE, LANGUAGE_PINNED, CHANNEL, FALLBACK_COUNT = "language", "language_pinned", "channel", "fallback_count"
SLOTS = (LANGUAGE, LANGUAGE_PINNED, CHANNEL, FALLBACK_COUNT)
LANGUAGE_MENTION = "language"  # the NLU entity in "can we speak French?"


def entity_for(slot: Text) -> Text:
    """The entity that carries ``slot``'s new value (``set_language``...; never an NLU entity's name)."""
    return f"set_{slot}"


@dataclass(frozen=True)
class Turn:
    """What one customer message says, after the rest of the NLU pipeline."""

    text: Text
    intent: Optional[Text] = None
    entities: Sequence[Mapping[Text, Any]] = ()
    metadata: Mapping[Text, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversation:
    """The slots the decision reads, as they were before this message."""

    language: Optional[Text] = None
    pinned: bool = False
    channel: Optional[Text] = None
    fallback_count: float = 0.0

    @classmethod
    def of(cls, tracker: DialogueStateTracker) -> "Conversation":
        """The current values in ``tracker``."""
        return cls(
            language=tracker.get_slot(LANGUAGE),
            pinned=bool(tracker.get_slot(LANGUAGE_PINNED)),
            channel=tracker.get_slot(CHANNEL),
            fallback_count=float(tracker.get_slot(FALLBACK_COUNT) or 0.0),
        )


def explicit_language(turn: Turn) -> Optional[Text]:
    """A language the customer asked for, or the channel chose (e.g. the voice menu)."""
    if turn.intent == SWITCH_LANGUAGE_INTENT:
        for entity in turn.entities:
            if entity.get("entity") == LANGUAGE_MENTION:
                code = normalise(entity.get("value"))
                if code:
                    return code
    return normalise(turn.metadata.get("language"))


def language_updates(turn: Turn, now: Conversation) -> Dict[Text, Any]:
    """An explicit choice wins and is kept (pinned); otherwise follow what the customer writes."""
    chosen = explicit_language(turn)
    if chosen:
        updates: Dict[Text, Any] = {} if chosen == now.language else {LANGUAGE: chosen}
        if not now.pinned:
            updates[LANGUAGE_PINNED] = True
        return updates
    if now.pinned:
        return {}
    detected = detect_confident(turn.text)
    if detected and detected != now.language:
        return {LANGUAGE: detected}
    if now.language is None:
        return {LANGUAGE: DEFAULT_LANGUAGE}
    return {}


def slot_updates(turn: Turn, now: Conversation) -> Dict[Text, Any]:
    """The slots this message changes, and their new values (nothing that stays the same)."""
    updates = language_updates(turn, now)
    channel = turn.metadata.get("channel")
    if channel in CHANNELS and channel != now.channel:
        updates[CHANNEL] = channel
    if turn.intent != FALLBACK_INTENT and now.fallback_count:
        updates[FALLBACK_COUNT] = 0.0  # back to zero as soon as a message is understood
    return updates


def _turn(message: Message) -> Turn:
    return Turn(
        text=message.get(TEXT) or "",
        intent=(message.get(INTENT) or {}).get(INTENT_NAME_KEY),
        entities=message.get(ENTITIES) or [],
        metadata=message.get("metadata") or {},
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ConversationSlots(GraphComponent):
    """Adds one entity per slot this message changes; last in the pipeline (it reads the intent)."""

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ConversationSlots":
        """Nothing to configure or train."""
        return cls()

    def process(self, messages: List[Message], tracker: Optional[DialogueStateTracker] = None) -> List[Message]:
        """Add the entities; without a conversation (NLU evaluation) there is nothing to update."""
        if tracker is None:
            return messages
        now = Conversation.of(tracker)
        for message in messages:
            updates = slot_updates(_turn(message), now)
            if updates:
                entities = list(message.get(ENTITIES) or [])
                entities.extend(
                    {"entity": entity_for(slot), "value": value, "extractor": EXTRACTOR}
                    for slot, value in updates.items()
                )
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples have no conversation: unchanged."""
        return training_data
