"""Custom actions of the workflows: account summary, deferral, survey, fallback, handoff."""

from datetime import date, timedelta

import pytest
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.account import ActionAccountSummary
from actions.fallback import ActionFallback
from actions.handoff import build_handoff_signal
from actions.late_payment import ActionConfirmDeferral, ActionOfferDeferral, deferred_due_date, reason_category
from actions.survey import ActionSaveSurvey, ValidateCsatForm, score_from
from tests.actions_support import tracker

VERIFIED = {"identity_status": "verified", "account_number": "100019021001803", "language": "en"}


async def test_bill_summary_for_a_verified_customer(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionAccountSummary().run(dispatcher, tracker({**VERIFIED, "pending_request": "check_bill"}), {})
    message = dispatcher.messages[0]
    assert message["response"] == "utter_bill_summary"
    assert message["amount"] == "€32.99" and message["plan"] == "Fibre 500"
    assert events == [SlotSet("pending_request", None)]


async def test_no_account_data_without_verification(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAccountSummary().run(
        dispatcher, tracker({"account_number": "100019021001803", "pending_request": "check_balance"}), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_identity_failed"]


async def test_balance_in_french_format(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAccountSummary().run(
        dispatcher, tracker({**VERIFIED, "language": "fr", "pending_request": "check_balance"}), {}
    )
    assert dispatcher.messages[0]["amount"] == "32,99 €"


def test_deferral_counts_from_today_when_the_due_date_has_passed() -> None:
    today = date(2026, 11, 22)
    assert deferred_due_date(date(2026, 11, 25), today, 7) == date(2026, 12, 2)
    assert deferred_due_date(date(2026, 11, 18), today, 7) == date(2026, 11, 29)


async def test_offer_and_confirm_a_deferral(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionOfferDeferral().run(dispatcher, tracker(VERIFIED), {})
    customer = await customer_store.find_customer("100019021001803")
    expected = customer.due_date + timedelta(days=7)
    assert events == [SlotSet("new_due_date", expected.isoformat())]
    assert dispatcher.messages[0]["response"] == "utter_offer_deferral"

    dispatcher = CollectingDispatcher()
    slots = {**VERIFIED, "new_due_date": expected.isoformat(), "late_reason": "my card was declined"}
    await ActionConfirmDeferral().run(dispatcher, tracker(slots), {})
    assert dispatcher.messages[0]["response"] == "utter_deferral_confirmed"
    assert (await customer_store.find_customer("100019021001803")).due_date == expected
    tickets = await customer_store.open_tickets("100019021001803")
    assert tickets[-1].kind == "payment_arrangement"
    assert tickets[-1].details["follow_up_on"] == (expected + timedelta(days=1)).isoformat()
    assert tickets[-1].details["reason"] == "bank_card: my card was declined"


@pytest.mark.parametrize("value, expected", [("5", 5), ("I'd say 4/5", 4), ("ten", None), ("0", None), (None, None)])
def test_score_from(value, expected) -> None:
    assert score_from(value) == expected


async def test_invalid_rating_is_asked_again() -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateCsatForm().validate_csat_score("great", dispatcher, tracker(), {})
    assert result == {"csat_score": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_rating"


async def test_survey_is_stored(customer_store) -> None:
    from sqlalchemy import select

    from actions.crm.tables import SurveyRow

    dispatcher = CollectingDispatcher()
    await ActionSaveSurvey().run(dispatcher, tracker({"csat_score": "4", "csat_comment": "quick"}, sender_id="c42"), {})
    async with customer_store._sessions() as session:
        rows = (await session.execute(select(SurveyRow))).scalars().all()
    assert [(r.conversation_id, r.kind, r.score, r.comment) for r in rows] == [("c42", "csat", 4, "quick")]


async def test_fallback_rephrase_then_menu() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker({"fallback_count": 0}), {})
    assert events == [UserUtteranceReverted(), SlotSet("fallback_count", 1.0)]
    assert dispatcher.messages[0]["response"] == "utter_ask_rephrase"
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker({"fallback_count": 1}), {})
    assert events == [SlotSet("fallback_count", 0.0)]
    assert dispatcher.messages[0]["response"] == "utter_fallback_menu"


def test_handoff_signal_routes_by_the_pending_request() -> None:
    signal = build_handoff_signal(tracker({"pending_request": "late_payment", "language": "ro"}, intent="request_human"))
    assert signal["queue"] == "billing"
    assert signal["reason"] == "customer_request"
    assert signal["language"] == "ro"
    assert signal["identity_verified"] is False and signal["account_number"] is None


def test_handoff_after_failed_identity() -> None:
    signal = build_handoff_signal(tracker({"identity_status": "failed"}, intent="request_human"))
    assert signal["reason"] == "identity_failed"


def test_handoff_queue_from_recent_intents() -> None:
    events = [{"event": "user", "parse_data": {"intent": {"name": "complain"}}}]
    signal = build_handoff_signal(tracker({}, intent="complain", events=events))
    assert signal["queue"] == "complaints"
    assert signal["reason"] == "needs_agent"


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("bank_card", "en", "bank_card"),
        ("my bank card was blocked", "en", "bank_card"),
        ("ma carte a été refusée", "fr", "bank_card"),
        ("nu am bani luna asta", "ro", "money"),
        ("затримали зарплату", "uk", "money"),
        ("银行卡被冻结了", "zh", "bank_card"),
        ("I was on holiday", "en", "other"),
    ],
)
def test_late_reason_categories(text, language, expected) -> None:
    assert reason_category(text, language) == expected
