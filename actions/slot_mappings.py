"""Slots filled on every turn: the conversation language and the channel."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.language import detect_confident, normalise


def explicit_language(tracker: Tracker) -> Optional[str]:
    """A language the customer asked for, or the channel chose (e.g. the voice menu)."""
    latest = tracker.latest_message or {}
    if (latest.get("intent") or {}).get("name") == "switch_language":
        for entity in latest.get("entities") or []:
            if entity.get("entity") == "language":
                code = normalise(entity.get("value"))
                if code:
                    return code
    metadata = latest.get("metadata") or {}
    return normalise(metadata.get("language"))


class ValidateSlotMappings(ValidationAction):
    """Custom slot mappings, run by Rasa after every customer message."""

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """An explicit choice wins and is kept; otherwise follow what the customer writes."""
        chosen = explicit_language(tracker)
        if chosen:
            return {"language": chosen, "language_pinned": True}
        if tracker.get_slot("language_pinned"):
            return {}
        text = (tracker.latest_message or {}).get("text") or ""
        detected = await asyncio.get_running_loop().run_in_executor(None, detect_confident, text)
        current = tracker.get_slot("language")
        if detected and detected != current:
            return {"language": detected}
        if current is None:
            return {"language": "en"}
        return {}

    async def extract_language_pinned(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Set together with ``language`` above."""
        return {}

    async def extract_channel(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """``chat`` or ``voice``, from the metadata the gateway sends."""
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        channel = metadata.get("channel")
        if channel in ("chat", "voice") and channel != tracker.get_slot("channel"):
            return {"channel": channel}
        return {}

    async def extract_fallback_count(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Back to zero as soon as a message is understood."""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback" and tracker.get_slot("fallback_count"):
            return {"fallback_count": 0.0}
        return {}
