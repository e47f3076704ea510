"""Late payment: offer a deferral of the due date, record it and schedule a follow-up."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import day
from actions.identity import verified_account
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
        account = await verified_account(tracker)
        customer = await customer_store().find_customer(account) if account else None
        if customer is None:
            dispatcher.utter_message(response="utter_identity_failed")
            return []
        language = tracker.get_slot("language") or "en"
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
        account = await verified_account(tracker)
        raw_due = tracker.get_slot("new_due_date")
        if not account or not raw_due:
            dispatcher.utter_message(response="utter_identity_failed")
            return []
        new_due = date.fromisoformat(raw_due)
        follow_up = new_due + timedelta(days=1)
        reason = str(tracker.get_slot("late_reason") or "other")
        await customer_store().record_payment_arrangement(account, new_due, reason, follow_up)
        language = tracker.get_slot("language") or "en"
        dispatcher.utter_message(
            response="utter_deferral_confirmed",
            new_due_date=day(new_due, language),
            follow_up=day(follow_up, language),
        )
        return [SlotSet("pending_request", None)]
