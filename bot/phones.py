"""Checking a phone number a customer leaves for a callback (never a card number)."""

from __future__ import annotations

from typing import Optional

from bot.errors import ApiError
from pii.phones import looks_like_card, normalise_phone

MAX_PHONE_CHARS = 32


def callback_phone(raw: object, language: Optional[str] = None) -> str:
    """The number in E.164 form; 400 with the reason when it is not a dialable phone number.

    A payment card number is refused even if it could be dialled, so that it is never stored
    (in the handoff's context) or read back to the customer (the rule is ``pii.phones``).
    """
    if not isinstance(raw, str) or not raw.strip():
        raise ApiError(400, "invalid_field", "'callback_phone' must be a phone number.")
    if len(raw.strip()) > MAX_PHONE_CHARS:
        raise ApiError(400, "invalid_field", f"'callback_phone' must be at most {MAX_PHONE_CHARS} characters.")
    if looks_like_card(raw):
        raise ApiError(400, "card_number_refused",
                       "That looks like a payment card number, not a phone number. Please never share card "
                       "details here; give a phone number to call you back on.")
    number = normalise_phone(raw, language)
    if number is None:
        raise ApiError(400, "invalid_field", "'callback_phone' is not a possible phone number; check the digits "
                                             "(and the country code if it is not local).")
    return number
