"""Checking a phone number a customer leaves for a callback (never a card number)."""

from __future__ import annotations

from typing import Optional

import phonenumbers

from bot.errors import ApiError
from pii import is_card_number

# Without a country code, a number is read as one of the customer's language's country.
REGION_FOR_LANGUAGE = {"en": "GB", "fr": "FR", "ro": "RO", "uk": "UA", "lt": "LT", "zh": "CN"}
MAX_PHONE_CHARS = 32


def callback_phone(raw: object, language: Optional[str] = None) -> str:
    """The number in E.164 form; 400 with the reason when it is not a dialable phone number.

    A payment card number is refused even if it could be dialled, so that it is never stored
    (in the handoff's context) or read back to the customer.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise ApiError(400, "invalid_field", "'callback_phone' must be a phone number.")
    text = raw.strip()
    if len(text) > MAX_PHONE_CHARS:
        raise ApiError(400, "invalid_field", f"'callback_phone' must be at most {MAX_PHONE_CHARS} characters.")
    digits = "".join(ch for ch in text if ch.isdigit())
    if is_card_number(digits) and not text.startswith("+"):
        raise ApiError(400, "card_number_refused",
                       "That looks like a payment card number, not a phone number. Please never share card "
                       "details here; give a phone number to call you back on.")
    try:
        number = phonenumbers.parse(text, REGION_FOR_LANGUAGE.get(language or "en", "GB"))
    except phonenumbers.NumberParseException as exc:
        raise ApiError(400, "invalid_field", "'callback_phone' must be a phone number (with its country code "
                                             "if it is not local).") from exc
    if not phonenumbers.is_possible_number(number):
        raise ApiError(400, "invalid_field", "'callback_phone' is not a possible phone number; check the digits.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
