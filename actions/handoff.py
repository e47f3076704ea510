"""Signal to the gateway that a human should take over the conversation.

The action does not move the conversation itself: Rasa decides, the gateway executes.
It sends a custom JSON message ``{"handoff": {...}}`` that the gateway recognises in
Rasa's replies. The routing hints are a first version; the handoff issue extends them.
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

HANDOFF_KEY = "handoff"
DEFAULT_QUEUE = "general"


def build_handoff_signal(tracker: Tracker, reason: Text) -> Dict[Text, Any]:
    """Return the handoff payload the gateway acts on."""
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    return {
        "reason": reason,
        "queue": DEFAULT_QUEUE,
        "language": tracker.get_slot("language") or "en",
        "last_intent": intent,
    }


class ActionHandoff(Action):
    """Ask the gateway to put the conversation in a human queue."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[EventType]:
        reason = "customer_request"
        dispatcher.utter_message(json_message={HANDOFF_KEY: build_handoff_signal(tracker, reason)})
        return []
