"""Late payment: offer a deferral of the due date, record it and schedule a follow-up."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.content import content
from actions.formatting import day
from actions.identity import verified_account, verified_customer
from actions.language import language_of
from actions.store import config, customer_store

LATE_REASONS = ("bank_card", "money", "other")


def deferred_due_date(current_due: date, today: date, days: int) -> date:
    """The new due date: ``days`` after the current one, or after today if that has passed."""
    return max(current_due, today) + timedelta(days=days)


class ActionOfferDeferral(Action):
    """Propose moving the due date by the configured number of days."""

    def name(self) -> Text:
        return "action_offer_deferral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        customer = await verified_customer(tracker, dispatcher)
        if customer is None:
            return []
        language = language_of(tracker)
        new_due = deferred_due_date(customer.due_date, date.today(), config().deferral_days)
        dispatcher.utter_message(
            response="utter_offer_deferral",
            old_due_date=day(customer.due_date, language),
            new_due_date=day(new_due, language),
        )
        return [SlotSet("new_due_date", new_due.isoformat())]


class ActionConfirmDeferral(Action):
    """Record the agreed deferral and its follow-up date in the customer store."""

    def name(self) -> Text:
        return "action_confirm_deferral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        account = verified_account(tracker)
        raw_due = tracker.get_slot("new_due_date")
        if not account or not raw_due:
            dispatcher.utter_message(response="utter_identity_failed")
            return []
        new_due = date.fromisoformat(raw_due)
        follow_up = new_due + timedelta(days=1)
        language = language_of(tracker)
        said = str(tracker.get_slot("late_reason") or "")
        reason = f"{reason_category(said, language)}: {said}"
        await customer_store().record_payment_arrangement(account, new_due, reason, follow_up)
        dispatcher.utter_message(
            response="utter_deferral_confirmed",
            new_due_date=day(new_due, language),
            follow_up=day(follow_up, language),
        )
        return [SlotSet("pending_request", None)]


def reason_category(text: str, language: str) -> str:
    """bank_card, money or other, from a button value or the customer's own words."""
    value = str(text or "").strip().lower()
    if value in LATE_REASONS:
        return value
    lexicon = late_reason_lexicon()
    for category in ("bank_card", "money"):
        words = lexicon[category].get(language, []) + lexicon[category]["en"]
        if any(word.lower() in value for word in words):
            return category
    return "other"


def late_reason_lexicon() -> Dict[str, Dict[str, List[str]]]:
    """Category words per language (content/lexicons/late_reasons.yml)."""
    return content("lexicons/late_reasons.yml")
