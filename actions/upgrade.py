"""Upgrade offers: the next plan up, its price and start date; one line on the benefits
if the customer hesitates; recorded when accepted."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.crm.interface import Customer, Plan
from actions.formatting import day, money
from actions.identity import verified_account
from actions.language import language_of
from actions.store import customer_store

DELIVERY_DAYS = 3


async def next_plan(account: Optional[str]) -> Tuple[Optional[Customer], Optional[Plan]]:
    """The verified customer and the plan they can move up to (None when at the top)."""
    store = customer_store()
    customer = await store.find_customer(account) if account else None
    if customer is None or not customer.plan.upgrade_to:
        return customer, None
    return customer, await store.get_plan(customer.plan.upgrade_to)


class ActionUpgradeOffer(Action):
    """Offer the next plan up, or say the customer already has the best one."""

    def name(self) -> Text:
        return "action_upgrade_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        customer, plan = await next_plan(verified_account(tracker))
        language = language_of(tracker)
        if customer is None:
            dispatcher.utter_message(response="utter_identity_failed")
            return [SlotSet("upgrade_available", False)]
        if plan is None:
            dispatcher.utter_message(response="utter_upgrade_not_available", plan=customer.plan.name)
            return [SlotSet("upgrade_available", False)]
        dispatcher.utter_message(
            response="utter_upgrade_offer",
            plan=plan.name,
            price=money(plan.monthly_price, language),
            delivery_date=day(date.today() + timedelta(days=DELIVERY_DAYS), language),
        )
        return [SlotSet("upgrade_available", True), SlotSet("upgrade_plan_code", plan.code)]


class ActionUpgradeBenefits(Action):
    """One short line on what the upgrade brings, and ask once more."""

    def name(self) -> Text:
        return "action_upgrade_benefits"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        customer, plan = await next_plan(verified_account(tracker))
        if customer is None or plan is None:
            dispatcher.utter_message(response="utter_upgrade_declined")
            return []
        language = language_of(tracker)
        difference = money(plan.monthly_price - customer.plan.monthly_price, language)
        dispatcher.utter_message(response="utter_upgrade_benefits", plan=plan.name, difference=difference)
        return []


class ActionAcceptUpgrade(Action):
    """Record the accepted upgrade in the customer store."""

    def name(self) -> Text:
        return "action_accept_upgrade"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        account = verified_account(tracker)
        customer, plan = await next_plan(account)
        if customer is None or plan is None:
            dispatcher.utter_message(response="utter_upgrade_declined")
            return [SlotSet("pending_request", None)]
        delivery = date.today() + timedelta(days=DELIVERY_DAYS)
        ticket = await customer_store().order_upgrade(customer.account_number, plan.code, delivery)
        language = language_of(tracker)
        dispatcher.utter_message(
            response="utter_upgrade_confirmed", plan=plan.name, delivery_date=day(delivery, language),
            ticket=ticket.reference,
        )
        return [SlotSet("pending_request", None)]
