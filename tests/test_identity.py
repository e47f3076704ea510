"""Identity verification: parsing answers, matching the customer store, three strikes."""

from datetime import date

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ValidateIdentityForm, account_number_from, parse_date_of_birth
from tests.actions_support import tracker


@pytest.mark.parametrize(
    "text, expected",
    [
        ("my account number is 100019021001803", "100019021001803"),
        ("1000 1902 1001 803", "100019021001803"),
        ("100-019-021-001-803", "100019021001803"),
        ("12345", None),
        ("no idea", None),
        (None, None),
    ],
)
def test_account_number_from(text, expected) -> None:
    assert account_number_from(text) == expected


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("12 March 1985", "en", date(1985, 3, 12)),
        ("1985-03-12", "en", date(1985, 3, 12)),
        ("12/03/1985", "en", date(1985, 3, 12)),
        ("12 mars 1985", "fr", date(1985, 3, 12)),
        ("12 martie 1985", "ro", date(1985, 3, 12)),
        ("12.03.1985", "uk", date(1985, 3, 12)),
        ("1985 m. kovo 12 d.", "lt", date(1985, 3, 12)),
        ("1985年3月12日", "zh", date(1985, 3, 12)),
    ],
)
def test_parse_date_of_birth(text, language, expected) -> None:
    assert parse_date_of_birth(text, language) == expected


@pytest.mark.parametrize("text", ["tomorrow", "banana", "2999-01-01", ""])
def test_unparseable_or_future_dates_are_rejected(text) -> None:
    assert parse_date_of_birth(text, "en") is None


async def test_bad_account_number_is_asked_again() -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateIdentityForm().validate_account_number("12", dispatcher, tracker(), {})
    assert result == {"account_number": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_account_number"


async def test_matching_details_verify(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateIdentityForm().validate_date_of_birth(
        "12 March 1985", dispatcher, tracker(slots={"account_number": "100019021001803"}), {}
    )
    assert result["identity_status"] == "verified"
    assert result["customer_name"] == "Alex Morgan"
    assert dispatcher.messages[0]["response"] == "utter_identity_verified"


async def test_mismatch_counts_and_clears_the_answers(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateIdentityForm().validate_date_of_birth(
        "1 January 1970", dispatcher, tracker(slots={"account_number": "100019021001803", "identity_attempts": 0}), {}
    )
    assert result == {"account_number": None, "date_of_birth": None, "identity_attempts": 1.0}
    assert dispatcher.messages[0]["response"] == "utter_identity_mismatch"


async def test_third_mismatch_fails_without_revealing_anything(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateIdentityForm().validate_date_of_birth(
        "1 January 1970", dispatcher, tracker(slots={"account_number": "100019021001803", "identity_attempts": 2}), {}
    )
    assert result["identity_status"] == "failed"
    assert "customer_name" not in result
    assert dispatcher.messages == []


async def test_unknown_account_is_a_plain_mismatch(customer_store) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateIdentityForm().validate_date_of_birth(
        "12 March 1985", dispatcher, tracker(slots={"account_number": "100099999999999"}), {}
    )
    assert result["identity_attempts"] == 1.0
    assert dispatcher.messages[0]["response"] == "utter_identity_mismatch"


async def test_no_questions_once_verified() -> None:
    slots = await ValidateIdentityForm().required_slots(
        ["account_number", "date_of_birth"], CollectingDispatcher(), tracker(slots={"identity_status": "verified"}), {}
    )
    assert slots == []
