"""Signal to the gateway that a human should take over the conversation.

The action does not move the conversation itself: Rasa decides, the gateway executes.
It sends a custom JSON message ``{"handoff": {...}}`` that the gateway recognises in
Rasa's replies, with the reason and routing hints (queue, language, intents, identity).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from datetime import datetime, timedelta, timezone

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.escalation import score_complaint
from actions.language import language_of
from actions.store import customer_store

RECENT_CONTACT_DAYS = 30

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
        "language": language_of(tracker),
        "last_intent": (latest.get("intent") or {}).get("name"),
        "identity_verified": tracker.get_slot("identity_status") == "verified",
        "account_number": tracker.get_slot("account_number")
        if tracker.get_slot("identity_status") == "verified"
        else None,
    }


async def customer_profile(account_number: Optional[str]) -> Optional[Dict[str, Any]]:
    """What the agent should know about a verified customer, from the customer store."""
    if not account_number:
        return None
    store = customer_store()
    customer = await store.find_customer(account_number)
    if customer is None:
        return None
    tickets = await store.open_tickets(account_number)
    since = datetime.now(timezone.utc) - timedelta(days=RECENT_CONTACT_DAYS)
    recent = [t for t in tickets if t.created_at >= since]
    return {
        "account_number": customer.account_number,
        "name": customer.name,
        "tier": customer.tier,
        "plan": customer.plan.name,
        "balance": customer.balance,
        "due_date": customer.due_date.isoformat(),
        "open_tickets": [{"reference": t.reference, "kind": t.kind, "topic": t.topic, "summary": t.summary} for t in tickets],
        "contacts_last_30_days": len(recent),
    }


def escalation_of(tracker: Tracker, repeat_contacts: int) -> Dict[str, Any]:
    """The escalation score of the conversation so far, with its reasons."""
    if tracker.get_slot("complaint_escalated"):
        return {"score": float(tracker.get_slot("escalation_score") or 1.0),
                "reasons": list(tracker.get_slot("escalation_reasons") or ["complaint_escalated"])}
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user" and e.get("text")]
    result = score_complaint(texts, language_of(tracker), False, repeat_contacts)
    return {"score": result.score, "reasons": result.reasons}


class ActionHandoff(Action):
    """Ask the gateway to put the conversation in a human queue, with the full context."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[EventType]:
        signal = build_handoff_signal(tracker)
        profile = await customer_profile(signal["account_number"])
        signal["customer"] = profile
        signal["escalation"] = escalation_of(tracker, (profile or {}).get("contacts_last_30_days", 0) > 1)
        signal["escalated"] = bool(tracker.get_slot("complaint_escalated")) or signal["escalation"]["score"] >= 0.5
        dispatcher.utter_message(json_message={HANDOFF_KEY: signal})
        return []
