"""Complaints: collect topic, description and wished resolution, register a ticket,
state the timeline, and flag the complaint for escalation when it warrants it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.escalation import score_complaint
from actions.formatting import day
from actions.identity import account_number_from
from actions.language import language_of
from actions.store import customer_store

TOPICS = ("billing", "service", "technician", "other")
RESOLUTION_WORKING_DAYS = 5
REPEAT_WINDOW_DAYS = 90
SKIP = "skip"


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def customer_texts(tracker: Tracker) -> List[str]:
    """Everything the customer wrote in this conversation."""
    return [e.get("text") or "" for e in tracker.events if e.get("event") == "user" and e.get("text")]


def asked_for_person(tracker: Tracker) -> bool:
    """Whether the customer asked for a person at any point."""
    return any(
        ((e.get("parse_data") or {}).get("intent") or {}).get("name") == "request_human"
        for e in tracker.events
        if e.get("event") == "user"
    )


class ValidateComplaintForm(FormValidationAction):
    """The topic is one of four; the account number is optional (links repeat complaints)."""

    def name(self) -> Text:
        return "validate_complaint_form"

    async def validate_complaint_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        topic = str(value or "").strip().lower()
        return {"complaint_topic": topic if topic in TOPICS else "other"}

    async def validate_complaint_account(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        number = account_number_from(value)
        return {"complaint_account": number or SKIP}


class ActionSubmitComplaint(Action):
    """Register the complaint as a ticket, tell the timeline, decide on escalation."""

    def name(self) -> Text:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        store = customer_store()
        language = language_of(tracker)
        topic = tracker.get_slot("complaint_topic") or "other"
        account: Optional[str] = None
        if tracker.get_slot("identity_status") == "verified":
            account = tracker.get_slot("account_number")
        elif tracker.get_slot("complaint_account") not in (None, SKIP):
            candidate = tracker.get_slot("complaint_account")
            account = candidate if await store.find_customer(candidate) else None
        since = datetime.now(timezone.utc) - timedelta(days=REPEAT_WINDOW_DAYS)
        previous = await store.count_tickets(account, "complaint", topic, since) if account else 0
        escalation = score_complaint(customer_texts(tracker), language, asked_for_person(tracker), previous)
        ticket = await store.create_ticket(
            "complaint",
            topic,
            str(tracker.get_slot("complaint_description") or "")[:2000],
            account,
            {
                "wanted_resolution": tracker.get_slot("complaint_resolution"),
                "escalation_score": escalation.score,
                "escalation_reasons": escalation.reasons,
                "priority": "high" if escalation.escalate else "normal",
                "conversation_id": tracker.sender_id,
            },
        )
        deadline = add_working_days(date.today(), RESOLUTION_WORKING_DAYS)
        dispatcher.utter_message(
            response="utter_complaint_registered", ticket=ticket.reference, deadline=day(deadline, language)
        )
        events: List[EventType] = [
            SlotSet("complaint_ticket", ticket.reference),
            SlotSet("escalation_score", escalation.score),
            SlotSet("escalation_reasons", escalation.reasons),
        ]
        if escalation.escalate:
            dispatcher.utter_message(response="utter_complaint_escalated")
        events.append(SlotSet("complaint_escalated", escalation.escalate))
        return events
