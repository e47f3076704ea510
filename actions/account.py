"""Account data for a verified customer: the bill and the balance."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import day, money
from actions.identity import verified_customer
from actions.language import language_of


class ActionAccountSummary(Action):
    """Tell a verified customer their bill or balance, then ask if there's anything else."""

    def name(self) -> Text:
        return "action_account_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        customer = await verified_customer(tracker, dispatcher)
        if customer is None:
            return [SlotSet("pending_request", None)]
        language = language_of(tracker)
        due = day(customer.due_date, language)
        if tracker.get_slot("pending_request") == "check_bill":
            dispatcher.utter_message(
                response="utter_bill_summary",
                amount=money(customer.plan.monthly_price, language),
                plan=customer.plan.name,
                due_date=due,
            )
        elif customer.balance <= 0:
            dispatcher.utter_message(response="utter_balance_clear", due_date=due)
        else:
            dispatcher.utter_message(
                response="utter_balance_summary", amount=money(customer.balance, language), due_date=due
            )
        return [SlotSet("pending_request", None)]
