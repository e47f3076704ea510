"""The context packet an agent sees: everything the bot learned, built from Rasa's tracker,
the gateway's (redacted) transcript and the handoff signal."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

# Bookkeeping slots that mean nothing to an agent.
INTERNAL_SLOTS = {
    "requested_slot", "session_started_metadata", "fallback_count", "language_pinned", "identity_attempts",
    "troubleshoot_step", "technician_slots", "step_result", "new_due_date", "upgrade_plan_code",
}
# Entities that only carry slot updates (components/conversation_slots.py), not what the customer said.
SLOT_UPDATE_EXTRACTOR = "ConversationSlots"


def _user_events(tracker: Dict[str, Any]) -> Iterable[Dict[str, Any]]:
    return (e for e in tracker.get("events") or [] if e.get("event") == "user")


def detected_intents(tracker: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Each customer turn's intent (FAQ topics resolved) with its confidence."""
    found = []
    for event in _user_events(tracker):
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        name = intent.get("name")
        if name == "faq":
            selected = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
            name = selected.get("intent_response_key") or name
        if name:
            found.append({"text": event.get("text"), "intent": name, "confidence": round(float(intent.get("confidence") or 0), 3)})
    return found


def entities(tracker: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Entities extracted from the customer's messages."""
    return [
        {"entity": e.get("entity"), "value": e.get("value")}
        for event in _user_events(tracker)
        for e in (event.get("parse_data") or {}).get("entities") or []
        if e.get("extractor") != SLOT_UPDATE_EXTRACTOR
    ]


def filled_slots(tracker: Dict[str, Any]) -> Dict[str, Any]:
    """Slots with a value, without bookkeeping ones."""
    return {
        name: value
        for name, value in (tracker.get("slots") or {}).items()
        if name not in INTERNAL_SLOTS and value not in (None, "", [], {})
    }


def summary(signal: Dict[str, Any], intents: List[Dict[str, Any]], customer: Optional[Dict[str, Any]]) -> str:
    """A one-line summary for the agent."""
    topics = [i["intent"] for i in intents if i["intent"] not in {"greet", "affirm", "deny", "thank", "inform"}]
    asked = ", ".join(dict.fromkeys(topics)) or "nothing specific"
    who = f"{customer.get('name')} ({customer.get('tier')})" if customer else "unverified customer"
    return f"{who}, {signal.get('language', 'en')}: asked about {asked}; handed over for {signal.get('reason')}."


def build_context(
    signal: Dict[str, Any],
    tracker: Dict[str, Any],
    transcript: List[Dict[str, Any]],
    channel: str,
    ivr_path: Optional[List[str]] = None,
) -> Dict[str, Any]:
    """The whole packet, stored with the handoff and shown in the desk."""
    intents = detected_intents(tracker)
    customer = signal.get("customer")
    slots = filled_slots(tracker)
    escalation = {**(signal.get("escalation") or {"score": 0.0, "reasons": []}), "escalated": bool(signal.get("escalated"))}
    return {
        "reason": signal.get("reason"),
        "summary": summary(signal, intents, customer),
        "language": signal.get("language") or slots.get("language") or "en",
        "channel": channel,
        "ivr_path": ivr_path or [],
        "identity_verified": bool(signal.get("identity_verified")),
        "customer": customer,
        "escalation": escalation,
        "intents": intents,
        "entities": entities(tracker),
        "slots": slots,
        "transcript": transcript,
    }
