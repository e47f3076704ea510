"""Callback requests: a valid phone number and a preferred time become a ticket in the
callback queue."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.language import language_of
from pii import contains_card, is_card_number
from actions.store import customer_store

# Without a country code, numbers are read as from the customer's language's country.
REGION_FOR_LANGUAGE = {"en": "GB", "fr": "FR", "ro": "RO", "uk": "UA", "lt": "LT", "zh": "CN"}


def normalise_phone(text: Any, language: str) -> Optional[str]:
    """The number in E.164 form when it is a possible phone number, else None.

    A payment card number is never a phone number here (it must not be stored in a ticket
    or read back), even in the rare case that its digits could be dialled.
    """
    import phonenumbers

    raw = str(text or "").strip()
    if "[card ending" in raw or contains_card(raw) or (is_card_number("".join(c for c in raw if c.isdigit())) and not raw.startswith("+")):
        return None
    try:
        number = phonenumbers.parse(str(text or ""), REGION_FOR_LANGUAGE.get(language, "GB"))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
