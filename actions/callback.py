"""Callback requests: a valid phone number and a preferred time become a ticket in the
callback queue."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.language import language_of
from actions.store import customer_store
from pii.phones import normalise_phone

class ValidateCallbackForm(FormValidationAction):
    """Check the phone number; the time is free text."""

    def name(self) -> Text:
        return "validate_callback_form"

    async def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        phone = normalise_phone(value, language_of(tracker))
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_phone")
        return {"callback_phone": phone}


class ActionCreateCallback(Action):
    """Create the callback ticket with the conversation for context."""

    def name(self) -> Text:
        return "action_create_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        phone = tracker.get_slot("callback_phone")
        when = tracker.get_slot("callback_time")
        account = tracker.get_slot("account_number") if tracker.get_slot("identity_status") == "verified" else None
        ticket = await customer_store().create_ticket(
            "callback", "callback", f"Call back on {phone} ({when})", account,
            {"phone": phone, "preferred_time": when, "queue": "callback", "conversation_id": tracker.sender_id},
        )
        dispatcher.utter_message(response="utter_callback_confirmed", phone=phone, time=when, ticket=ticket.reference)
        return []
