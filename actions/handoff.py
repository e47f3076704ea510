"""Signal to the gateway that a human should take over the conversation.

The action does not move the conversation itself: Rasa decides, the gateway executes.
It sends a custom JSON message ``{"handoff": {...}}`` that the gateway recognises in
Rasa's replies, with the reason and routing hints (queue, language, intents, identity).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

HANDOFF_KEY = "handoff"
DEFAULT_QUEUE = "general"

# Which skill queue an unfinished request belongs to.
QUEUE_FOR_INTENT = {
    "check_bill": "billing",
    "check_balance": "billing",
    "late_payment": "billing",
    "request_payment_deferral": "billing",
    "report_tech_issue": "technical",
    "complain": "complaints",
    "upgrade_plan": "sales",
    "request_callback": "general",
}


def _recent_intents(tracker: Tracker, limit: int = 10) -> List[str]:
    intents = [
        (event.get("parse_data") or {}).get("intent", {}).get("name")
        for event in tracker.events
        if event.get("event") == "user"
    ]
    return [name for name in intents if name][-limit:]


def handoff_reason(tracker: Tracker) -> str:
    """Why the bot hands over, from the state of the conversation."""
    if tracker.get_slot("identity_status") == "failed":
        return "identity_failed"
    latest = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if latest == "request_human":
        return "customer_request"
    if latest in QUEUE_FOR_INTENT:
        return "needs_agent"
    return "bot_could_not_help"


def handoff_queue(tracker: Tracker) -> str:
    """The skill queue: from the most recent request the bot could route."""
    pending: Optional[str] = tracker.get_slot("pending_request")
    if pending in QUEUE_FOR_INTENT:
        return QUEUE_FOR_INTENT[pending]
    for intent in reversed(_recent_intents(tracker)):
        if intent in QUEUE_FOR_INTENT:
            return QUEUE_FOR_INTENT[intent]
    return DEFAULT_QUEUE


def build_handoff_signal(tracker: Tracker, reason: Optional[str] = None) -> Dict[Text, Any]:
    """Return the handoff payload the gateway acts on."""
    latest = tracker.latest_message or {}
    return {
        "reason": reason or handoff_reason(tracker),
        "queue": handoff_queue(tracker),
        "language": tracker.get_slot("language") or "en",
        "last_intent": (latest.get("intent") or {}).get("name"),
        "identity_verified": tracker.get_slot("identity_status") == "verified",
        "account_number": tracker.get_slot("account_number")
        if tracker.get_slot("identity_status") == "verified"
        else None,
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
        dispatcher.utter_message(json_message={HANDOFF_KEY: build_handoff_signal(tracker)})
        return []
