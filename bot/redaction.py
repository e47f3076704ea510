"""Card-number redaction, applied to every text before it is stored or forwarded.

A run of 13–19 digits (spaces or dashes allowed between them) that passes the Luhn
check is replaced, keeping only the last four digits for the agent's reference.
"""

from __future__ import annotations

import re

_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ \-]?){12,18}\d(?![\d])")


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (only 0-9) passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask(match: "re.Match[str]") -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return match.group(0)
    return f"[card ending {digits[-4:]}]"


def redact_card_numbers(text: str) -> str:
    """Return ``text`` with payment card numbers masked."""
    return _CANDIDATE.sub(_mask, text)
