"""Payment card numbers in text: find them (:mod:`pii.cards`) and mask them (:mod:`pii.redact`).

Pure and standard-library only (``pii.phones`` adds ``phonenumbers``), so the gateway, the
tracker store, the voice recorder and the action server can all import it.
"""

from pii.cards import CardMatch, DigitToken, digit_tokens, find_cards, is_card_number, luhn_valid
from pii.redact import (
    MASK_CVV,
    MASK_EXPIRY,
    MASK_PART,
    SplitCard,
    contains_card,
    find_split_card,
    mask_card,
    redact_follow_up,
    redact_piece,
    redact_text,
    redact_value,
)

__all__ = [
    "CardMatch",
    "DigitToken",
    "MASK_CVV",
    "MASK_EXPIRY",
    "MASK_PART",
    "SplitCard",
    "contains_card",
    "digit_tokens",
    "find_cards",
    "find_split_card",
    "is_card_number",
    "luhn_valid",
    "mask_card",
    "redact_follow_up",
    "redact_piece",
    "redact_text",
    "redact_value",
]
