"""Build rasa_sdk Trackers for action tests."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker


def tracker(
    slots: Optional[Dict[str, Any]] = None,
    intent: str = "greet",
    text: str = "hello",
    entities: Optional[List[Dict[str, Any]]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    sender_id: str = "test-conversation",
    active_loop: Optional[str] = None,
) -> Tracker:
    """A tracker whose latest message has the given intent, text and entities."""
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message={
            "intent": {"name": intent, "confidence": 0.95},
            "text": text,
            "entities": entities or [],
            "metadata": metadata or {},
        },
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )
