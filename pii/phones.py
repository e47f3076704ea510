"""Phone numbers a customer leaves for a callback, never a payment card number.

Shared by the gateway (``bot/phones.py``, the API's leave-queue) and the action server
(``actions/callback.py``, the callback form), so both accept and refuse the same numbers.
Uses ``phonenumbers`` (imported when first needed).
"""

from __future__ import annotations

from typing import Optional

from pii.cards import is_card_number
from pii.redact import contains_card, mask_card

# Without a country code, a number is read as one of the customer's language's country.
REGION_FOR_LANGUAGE = {"en": "GB", "fr": "FR", "ro": "RO", "uk": "UA", "lt": "LT", "zh": "CN"}
_MASKED_CARD = mask_card("0000")[: -len("0000]")]  # "[card ending ": a card already masked upstream


def looks_like_card(text: str) -> bool:
    """A card number (or its mask) rather than a phone number; a leading ``+`` is an international phone."""
    raw = text.strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    return _MASKED_CARD in raw or contains_card(raw) or (is_card_number(digits) and not raw.startswith("+"))


def normalise_phone(text: object, language: Optional[str] = None) -> Optional[str]:
    """The number in E.164 form when it is a possible phone number and not a card; else None."""
    import phonenumbers

    raw = str(text or "").strip()
    if not raw or looks_like_card(raw):
        return None
    try:
        number = phonenumbers.parse(raw, REGION_FOR_LANGUAGE.get(language or "en", "GB"))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
