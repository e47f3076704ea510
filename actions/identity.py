"""Identity verification before any account data: account number, then date of birth.

After ``max_identity_attempts`` mismatches the form ends with ``identity_status: failed``;
the dialogue then offers a person and never reveals account data.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.crm.interface import Customer
from actions.language import SUPPORTED, language_of
from actions.store import config, customer_store
from switchboard.accounts import ACCOUNT_DIGITS

_YEAR_FIRST = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")


def account_number_from(text: Optional[str]) -> Optional[str]:
    """The 15-digit account number in ``text`` (spaces and dashes allowed), or None."""
    if not text:
        return None
    for candidate in re.findall(r"\d[\d \-]{13,30}\d", str(text)):
        digits = re.sub(r"\D", "", candidate)
        if len(digits) == ACCOUNT_DIGITS:
            return digits
    digits = re.sub(r"\D", "", str(text))
    return digits if len(digits) == ACCOUNT_DIGITS else None


def parse_date_of_birth(text: Optional[str], language: str) -> Optional[date]:
    """A past date from free text in the conversation's language (dateparser), or None."""
    if not text:
        return None
    year_first = _YEAR_FIRST.search(str(text))
    if year_first:
        try:
            parsed_iso = date(*(int(part) for part in year_first.groups()))
        except ValueError:
            return None
        return parsed_iso if date(1900, 1, 1) <= parsed_iso < date.today() else None
    import dateparser
    from dateparser.search import search_dates

    if language == "lt":  # "1985 m. kovo 12 d.": dateparser knows the month, not the "d." suffix
        text = re.sub(r"\s*d\.?\s*$", "", str(text))

    languages = [language] if language in SUPPORTED and language != "en" else []
    languages.append("en")  # dateparser's codes are ours; English month names are always understood
    order = "YMD" if language in ("lt", "zh") else "DMY"
    settings = {"DATE_ORDER": order, "REQUIRE_PARTS": ["day", "month", "year"]}
    parsed = dateparser.parse(str(text), languages=languages, settings=settings)
    if parsed is None:
        for found in (search_dates(str(text), languages=languages, settings=settings) or []):
            parsed = found[1]
            break
    if parsed is None or parsed.date() >= date.today() or parsed.year < 1900:
        return None
    return parsed.date()


class ValidateIdentityForm(FormValidationAction):
    """Checks each identity answer; the pair is matched against the customer store."""

    def name(self) -> Text:
        return "validate_identity_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        """Nothing to ask once identity is verified or has failed."""
        if tracker.get_slot("identity_status") in ("verified", "failed"):
            return []
        return domain_slots

    async def validate_account_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Keep only a well-formed 15-digit number; whether it exists is checked with the date."""
        number = account_number_from(value)
        if number is None:
            dispatcher.utter_message(response="utter_invalid_account_number")
            return {"account_number": None}
        return {"account_number": number}

    async def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Parse the date, then match both answers; count failures."""
        language = language_of(tracker)
        loop = asyncio.get_running_loop()
        born = await loop.run_in_executor(None, parse_date_of_birth, value, language)
        if born is None:
            dispatcher.utter_message(response="utter_invalid_date_of_birth")
            return {"date_of_birth": None}
        account = tracker.get_slot("account_number") or ""
        customer = await customer_store().verify_identity(account, born)
        if customer is not None:
            dispatcher.utter_message(response="utter_identity_verified", customer_name=customer.name)
            return {
                "date_of_birth": born.isoformat(),
                "identity_status": "verified",
                "customer_name": customer.name,
                "identity_attempts": 0.0,
            }
        attempts = int(tracker.get_slot("identity_attempts") or 0) + 1
        if attempts >= config().max_identity_attempts:
            return {
                "account_number": None,
                "date_of_birth": None,
                "identity_status": "failed",
                "identity_attempts": float(attempts),
            }
        dispatcher.utter_message(response="utter_identity_mismatch")
        return {"account_number": None, "date_of_birth": None, "identity_attempts": float(attempts)}


def verified_account(tracker: Tracker) -> Optional[str]:
    """The account number, only when identity was verified in this conversation."""
    if tracker.get_slot("identity_status") != "verified":
        return None
    return tracker.get_slot("account_number")


async def verified_customer(tracker: Tracker, dispatcher: CollectingDispatcher) -> Optional[Customer]:
    """The verified customer; otherwise tell the customer no account data can be shared."""
    account = verified_account(tracker)
    customer = await customer_store().find_customer(account) if account else None
    if customer is None:
        dispatcher.utter_message(response="utter_identity_failed")
    return customer


class ActionIdentityOutcome(Action):
    """After the identity form: state the outcome (verified or failed) for the dialogue to branch on."""

    def name(self) -> Text:
        return "action_identity_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        outcome = "verified" if tracker.get_slot("identity_status") == "verified" else "failed"
        return [SlotSet("identity_status", outcome)]
