"""Complaints, troubleshooting, upgrades and callbacks: the custom actions."""

from datetime import date, datetime, timezone

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.callback import ActionCreateCallback, ValidateCallbackForm, normalise_phone
from actions.complaint import ActionSubmitComplaint, ValidateComplaintForm, add_working_days
from actions.escalation import score_complaint
from actions.troubleshooting import (
    ActionAskStepResult,
    ActionCreateTechTicket,
    ActionResetTroubleshooting,
    ValidateTechnicianForm,
    ValidateTroubleshootForm,
    step_count,
)
from actions.upgrade import ActionAcceptUpgrade, ActionUpgradeBenefits, ActionUpgradeOffer
from tests.actions_support import tracker

DOMAIN = {"responses": {f"utter_step_router_{n}": [] for n in (1, 2, 3)} | {"utter_step_phone_1": []}}
VERIFIED = {"identity_status": "verified", "account_number": "100019021001803", "language": "en"}


def _user(text, intent="inform"):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


# Complaints ---------------------------------------------------------------------------


def test_working_days_skip_weekends() -> None:
    assert add_working_days(date(2026, 11, 20), 5) == date(2026, 11, 27)  # Friday + 5 working days


@pytest.mark.parametrize(
    "texts, language, asked, previous, escalate, reasons",
    [
        (["I was charged twice"], "en", False, 0, False, []),
        (["This is UNACCEPTABLE"], "en", False, 0, True, ["anger_words", "shouting"]),
        (["c'est inadmissible"], "fr", False, 0, True, ["anger_words"]),
        (["我要找你们经理"], "zh", False, 0, True, ["manager_request"]),
        (["double charge"], "en", True, 0, True, ["manager_request"]),
        (["double charge"], "en", False, 1, True, ["repeat_complaint"]),
    ],
)
def test_escalation_signals(texts, language, asked, previous, escalate, reasons) -> None:
    result = score_complaint(texts, language, asked, previous)
    assert result.escalate is escalate
    assert result.reasons == reasons


async def test_topic_outside_the_list_becomes_other() -> None:
    validate = ValidateComplaintForm().validate_complaint_topic
    assert await validate("billing", CollectingDispatcher(), tracker(), {}) == {"complaint_topic": "billing"}
    assert await validate("my cat", CollectingDispatcher(), tracker(), {}) == {"complaint_topic": "other"}


async def test_calm_complaint_is_registered_without_escalation(customer_store) -> None:
    slots = {"complaint_topic": "billing", "complaint_description": "charged twice",
             "complaint_resolution": "refund", "complaint_account": "skip", "language": "en"}
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(
        dispatcher, tracker(slots, events=[_user("I want to complain", "complain")]), {}
    )
    assert dispatcher.messages[0]["response"] == "utter_complaint_registered"
    assert SlotSet("complaint_escalated", False) in events


async def test_repeat_complaint_is_escalated_with_its_reasons(customer_store) -> None:
    await customer_store.create_ticket("complaint", "billing", "first time", "100019021001803")
    slots = {"complaint_topic": "billing", "complaint_description": "charged twice again",
             "complaint_resolution": "refund", "complaint_account": "100019021001803", "language": "en"}
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(
        dispatcher, tracker(slots, events=[_user("complaint", "complain")]), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_complaint_registered", "utter_complaint_escalated"]
    assert SlotSet("complaint_escalated", True) in events
    assert SlotSet("escalation_reasons", ["repeat_complaint"]) in events
    tickets = await customer_store.open_tickets("100019021001803")
    assert tickets[-1].details["priority"] == "high"


# Troubleshooting -----------------------------------------------------------------------


def test_step_count_comes_from_the_content() -> None:
    assert step_count(DOMAIN, "router") == 3
    assert step_count(DOMAIN, "phone") == 1
    assert step_count(DOMAIN, "tv") == 0


async def test_reset_keeps_a_device_just_named() -> None:
    events = await ActionResetTroubleshooting().run(
        CollectingDispatcher(), tracker({"device": "router"}, entities=[{"entity": "device", "value": "phone"}]), {}
    )
    assert SlotSet("device", "phone") in events and SlotSet("troubleshoot_step", 1.0) in events


async def test_steps_advance_until_fixed_or_exhausted() -> None:
    validate = ValidateTroubleshootForm().validate_step_result
    router = {"device": "router", "troubleshoot_step": 1}
    assert await validate("not_fixed", CollectingDispatcher(), tracker(router), DOMAIN) == {
        "step_result": None, "troubleshoot_step": 2.0}
    assert await validate("fixed", CollectingDispatcher(), tracker(router), DOMAIN) == {
        "step_result": "fixed", "troubleshoot_outcome": "fixed"}
    last = {"device": "router", "troubleshoot_step": 3}
    assert await validate("not_fixed", CollectingDispatcher(), tracker(last), DOMAIN) == {
        "step_result": "not_fixed", "troubleshoot_outcome": "unresolved"}


async def test_each_step_is_asked_from_the_content() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskStepResult().run(dispatcher, tracker({"device": "phone", "troubleshoot_step": 1}), {})
    assert dispatcher.messages[0]["response"] == "utter_step_phone_1"


async def test_unresolved_issue_gets_a_ticket_and_three_slots(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCreateTechTicket().run(
        dispatcher, tracker({"device": "router", "symptom": "red light", "since": "today"}), {}
    )
    assert dispatcher.messages[0]["response"] == "utter_steps_exhausted"
    buttons = dispatcher.messages[1]["buttons"]
    assert len(buttons) == 3 and all(b["payload"].startswith('/inform{"appointment_slot": ') for b in buttons)
    offered = next(e["value"] for e in events if e["name"] == "technician_slots")
    validate = ValidateTechnicianForm().validate_appointment_slot
    assert await validate("2", CollectingDispatcher(), tracker({"technician_slots": offered}), {}) == {
        "appointment_slot": offered[1]}
    assert await validate(offered[0], CollectingDispatcher(), tracker({"technician_slots": offered}), {}) == {
        "appointment_slot": offered[0]}
    assert await validate("next year", CollectingDispatcher(), tracker({"technician_slots": offered}), {}) == {
        "appointment_slot": None}


# Upgrades ------------------------------------------------------------------------------


async def test_offer_is_the_next_plan_up(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionUpgradeOffer().run(dispatcher, tracker(VERIFIED), {})
    assert dispatcher.messages[0]["response"] == "utter_upgrade_offer"
    assert dispatcher.messages[0]["plan"] == "Fibre 1000" and dispatcher.messages[0]["price"] == "€44.99"
    assert SlotSet("upgrade_available", True) in events


async def test_top_plan_has_nothing_to_offer(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    slots = {**VERIFIED, "account_number": "100020000000003"}  # Fibre 1000
    events = await ActionUpgradeOffer().run(dispatcher, tracker(slots), {})
    assert dispatcher.messages[0]["response"] == "utter_upgrade_not_available"
    assert events == [SlotSet("upgrade_available", False)]


async def test_no_offer_without_verification(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    await ActionUpgradeOffer().run(dispatcher, tracker({"account_number": "100019021001803"}), {})
    assert dispatcher.messages[0]["response"] == "utter_identity_failed"


async def test_benefits_then_acceptance_is_recorded(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    await ActionUpgradeBenefits().run(dispatcher, tracker(VERIFIED), {})
    assert dispatcher.messages[0]["difference"] == "€12.00"
    dispatcher = CollectingDispatcher()
    await ActionAcceptUpgrade().run(dispatcher, tracker(VERIFIED), {})
    assert dispatcher.messages[0]["response"] == "utter_upgrade_confirmed"
    assert (await customer_store.find_customer("100019021001803")).plan.code == "fibre_1000"


# Callbacks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("+44 7700 900123", "en", "+447700900123"),
        ("06 12 34 56 78", "fr", "+33612345678"),
        ("0721 234 567", "ro", "+40721234567"),
        ("call me maybe", "en", None),
        ("123", "en", None),
        ("4111 1111 1111 1111", "en", None),  # a card number is never a callback phone
        ("5555-5555-5555-4444", "fr", None),
        ("[card ending 1111]", "en", None),
    ],
)
def test_phone_numbers(text, language, expected) -> None:
    assert normalise_phone(text, language) == expected


async def test_invalid_phone_is_asked_again() -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateCallbackForm().validate_callback_phone("nope", dispatcher, tracker(), {})
    assert result == {"callback_phone": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_phone"


async def test_callback_ticket(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    await ActionCreateCallback().run(
        dispatcher, tracker({"callback_phone": "+447700900123", "callback_time": "tomorrow 9am"}), {}
    )
    message = dispatcher.messages[0]
    assert message["response"] == "utter_callback_confirmed" and message["ticket"].startswith("NW-")


# Small actions ---------------------------------------------------------------------------


async def test_greeting_has_the_recording_notice_on_voice() -> None:
    from actions.greet import ActionGreet

    for channel, response in (("voice", "utter_greet_voice"), ("chat", "utter_greet"), (None, "utter_greet")):
        dispatcher = CollectingDispatcher()
        await ActionGreet().run(dispatcher, tracker({"channel": channel}), {})
        assert dispatcher.messages[0]["response"] == response


async def test_outcome_actions_restate_the_slot() -> None:
    from actions.identity import ActionIdentityOutcome
    from actions.troubleshooting import ActionTroubleshootOutcome

    run = ActionIdentityOutcome().run
    assert await run(CollectingDispatcher(), tracker({"identity_status": "verified"}), {}) == [
        SlotSet("identity_status", "verified")]
    assert await run(CollectingDispatcher(), tracker({"identity_status": None}), {}) == [
        SlotSet("identity_status", "failed")]
    run = ActionTroubleshootOutcome().run
    assert await run(CollectingDispatcher(), tracker({"troubleshoot_outcome": None}), {}) == [
        SlotSet("troubleshoot_outcome", "unresolved")]


async def test_skipped_survey_stores_nothing(customer_store) -> None:
    from sqlalchemy import func, select

    from actions.crm.tables import SurveyRow
    from actions.survey import ActionSaveSurvey, ValidateCsatForm

    assert await ValidateCsatForm().validate_csat_score("skip", CollectingDispatcher(), tracker(), {}) == {
        "csat_score": "skip", "csat_comment": "-"}
    dispatcher = CollectingDispatcher()
    await ActionSaveSurvey().run(dispatcher, tracker({"csat_score": "skip", "csat_comment": "-"}), {})
    assert dispatcher.messages == []
    async with customer_store._sessions() as session:
        assert (await session.execute(select(func.count(SurveyRow.id)))).scalar_one() == 0


async def test_complaint_account_is_optional() -> None:
    validate = ValidateComplaintForm().validate_complaint_account
    assert await validate("1000 1902 1001 803", CollectingDispatcher(), tracker(), {}) == {
        "complaint_account": "100019021001803"}
    assert await validate("I don't have it", CollectingDispatcher(), tracker(), {}) == {"complaint_account": "skip"}


async def test_technician_visit_is_booked(customer_store) -> None:
    from actions.troubleshooting import ActionBookTechnician

    ticket = await customer_store.create_ticket("technical", "router", "red light")
    slot = datetime(2026, 11, 24, 9, tzinfo=timezone.utc).isoformat()
    dispatcher = CollectingDispatcher()
    await ActionBookTechnician().run(dispatcher, tracker({"appointment_slot": slot, "ticket": ticket.reference}), {})
    assert dispatcher.messages[0]["response"] == "utter_technician_booked"
    assert dispatcher.messages[0]["slot"] == "24/11/2026 09:00"
    later = await customer_store.free_technician_slots(datetime(2026, 11, 23, tzinfo=timezone.utc), 1)
    assert later[0].isoformat() != slot
