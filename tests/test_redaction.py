"""Card numbers never reach storage or Rasa."""

import pytest

from bot.redaction import luhn_valid, redact_card_numbers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("card 4111111111111111 please", "card [card ending 1111] please"),
        ("4111 1111 1111 1111", "[card ending 1111]"),
        ("5500-0000-0000-0004 expires 12/29", "[card ending 0004] expires 12/29"),
        ("amex 3782 822463 10005", "amex [card ending 0005]"),
    ],
)
def test_card_numbers_are_masked(text: str, expected: str) -> None:
    assert redact_card_numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "my account number is 100019021001803",  # 15 digits, fails the Luhn check
        "call me on 0721 234 567",
        "order 4111111111111112",  # one digit off: not a valid card number
        "the year 2026 and 12 items",
    ],
)
def test_other_numbers_are_kept(text: str) -> None:
    assert redact_card_numbers(text) == text


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
