"""Technical troubleshooting: clarifying questions, guided steps confirmed one by one,
then a ticket and a technician visit when nothing worked.

The steps are content: responses named ``utter_step_<device>_<n>`` in ``domain/``. Add
``utter_step_router_4`` and the router flow has four steps.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.formatting import slot_time
from actions.language import language_of
from actions.store import customer_store

DEVICES = ("router", "phone")
SLOTS_OFFERED = 3
FIXED, NOT_FIXED = "fixed", "not_fixed"
RESET_SLOTS = ("device", "symptom", "since", "step_result", "troubleshoot_outcome", "appointment_slot",
               "technician_slots", "ticket")


def step_count(domain: DomainDict, device: str) -> int:
    """How many guided steps the content defines for a device."""
    pattern = re.compile(rf"^utter_step_{re.escape(device)}_(\d+)$")
    numbers = [int(m.group(1)) for name in (domain.get("responses") or {}) if (m := pattern.match(name))]
    return max(numbers, default=0)


class ActionResetTroubleshooting(Action):
    """Start a troubleshooting session from a clean slate (keeping a device just named)."""

    def name(self) -> Text:
        return "action_reset_troubleshooting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        mentioned = next(
            (e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
             if e.get("entity") == "device" and e.get("value") in DEVICES),
            None,
        )
        events: List[EventType] = [SlotSet(slot, None) for slot in RESET_SLOTS if slot != "device"]
        return events + [SlotSet("device", mentioned), SlotSet("troubleshoot_step", 1.0)]


class ValidateTroubleshootForm(FormValidationAction):
    """Device must be router or phone; each step is confirmed before the next."""

    def name(self) -> Text:
        return "validate_troubleshoot_form"

    async def validate_device(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        device = str(value or "").strip().lower()
        return {"device": device if device in DEVICES else None}

    async def validate_step_result(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value == FIXED:
            return {"step_result": FIXED, "troubleshoot_outcome": "fixed"}
        step = int(tracker.get_slot("troubleshoot_step") or 1)
        if step >= step_count(domain, tracker.get_slot("device") or ""):
            return {"step_result": NOT_FIXED, "troubleshoot_outcome": "unresolved"}
        return {"step_result": None, "troubleshoot_step": float(step + 1)}


class ActionAskStepResult(Action):
    """Ask the customer to try the current step (the question is part of the step's text)."""

    def name(self) -> Text:
        return "action_ask_step_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        device = tracker.get_slot("device") or "router"
        step = int(tracker.get_slot("troubleshoot_step") or 1)
        dispatcher.utter_message(response=f"utter_step_{device}_{step}")
        return []


class ActionTroubleshootOutcome(Action):
    """State the outcome (fixed or unresolved) for the dialogue to branch on."""

    def name(self) -> Text:
        return "action_troubleshoot_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        fixed = tracker.get_slot("troubleshoot_outcome") == "fixed"
        return [SlotSet("troubleshoot_outcome", "fixed" if fixed else "unresolved")]


class ActionCreateTechTicket(Action):
    """Open a technical ticket and offer the next technician slots as buttons."""

    def name(self) -> Text:
        return "action_create_tech_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        store = customer_store()
        account = tracker.get_slot("account_number") if tracker.get_slot("identity_status") == "verified" else None
        device = tracker.get_slot("device") or "router"
        ticket = await store.create_ticket(
            "technical",
            device,
            f"{tracker.get_slot('symptom') or ''} (since: {tracker.get_slot('since') or '?'})",
            account,
            {"steps_tried": int(tracker.get_slot("troubleshoot_step") or 1), "conversation_id": tracker.sender_id},
        )
        slots = await store.free_technician_slots(datetime.now(timezone.utc), SLOTS_OFFERED)
        language = language_of(tracker)
        dispatcher.utter_message(response="utter_steps_exhausted", ticket=ticket.reference)
        dispatcher.utter_message(
            response="utter_offer_technician_slots",
            buttons=[
                {"title": slot_time(s, language), "payload": f'/inform{{"appointment_slot": "{s.isoformat()}"}}'}
                for s in slots
            ],
        )
        return [SlotSet("ticket", ticket.reference), SlotSet("technician_slots", [s.isoformat() for s in slots])]


class ValidateTechnicianForm(FormValidationAction):
    """The chosen slot must be one of those offered (by button, or by saying 1, 2 or 3)."""

    def name(self) -> Text:
        return "validate_technician_form"

    async def validate_appointment_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        offered: List[str] = tracker.get_slot("technician_slots") or []
        text = str(value or "").strip()
        if text in offered:
            return {"appointment_slot": text}
        choice = re.fullmatch(r"\D*([1-9])\D*", text)
        if choice and int(choice.group(1)) <= len(offered):
            return {"appointment_slot": offered[int(choice.group(1)) - 1]}
        return {"appointment_slot": None}


class ActionBookTechnician(Action):
    """Book the chosen visit against the ticket and confirm it."""

    def name(self) -> Text:
        return "action_book_technician"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        starts_at = datetime.fromisoformat(tracker.get_slot("appointment_slot"))
        ticket = tracker.get_slot("ticket")
        await customer_store().book_appointment(ticket, starts_at)
        language = language_of(tracker)
        dispatcher.utter_message(response="utter_technician_booked", slot=slot_time(starts_at, language), ticket=ticket)
        return []
