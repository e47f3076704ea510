"""Collecting a number a caller reads in groups, and knowing when it is complete.

People read long numbers in groups with pauses between them ("one zero zero zero one ...
nine oh two one oh ..."), and the recogniser ends an utterance at each pause. While the
number is incomplete, the collector waits :data:`GROUP_PAUSE_S` for the next group. Once
the number the prompt expects is complete (all 15 digits of an account number, a valid
phone number), it ends the turn after :data:`COMPLETE_PAUSE_S` instead: the caller is not
kept waiting 2.5 s for a group that will not come.
"""

from __future__ import annotations

from enum import StrEnum
from typing import List, Optional

from switchboard.accounts import ACCOUNT_DIGITS

# An incomplete number: how long to wait for the next group after the caller stops.
GROUP_PAUSE_S = 2.5
# A complete account number: its length is fixed, so the recogniser's end of utterance is enough.
COMPLETE_PAUSE_S = 0.0
# A valid phone number could still be the start of a longer one: a brief pause more.
COMPLETE_PHONE_PAUSE_S = 0.6


class NumberKind(StrEnum):
    """The kind of number a prompt asks for."""

    ACCOUNT = "account"
    PHONE = "phone"


# The assistant's slots that the caller answers with a number read aloud.
EXPECTED = {
    "account_number": NumberKind.ACCOUNT,
    "complaint_account": NumberKind.ACCOUNT,
    "callback_phone": NumberKind.PHONE,
}


def is_complete(kind: NumberKind, digits: str, language: str) -> bool:
    """Whether ``digits`` already are a whole number of ``kind``."""
    if kind == NumberKind.ACCOUNT:
        return len(digits) == ACCOUNT_DIGITS
    import phonenumbers

    from pii.phones import REGION_FOR_LANGUAGE, looks_like_card

    if looks_like_card(digits):
        return False
    try:
        number = phonenumbers.parse(digits, REGION_FOR_LANGUAGE.get(language, "GB"))
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


class DigitCollector:
    """The groups of the number being read for the current prompt, and when it is due."""

    def __init__(self) -> None:
        self.expected: Optional[NumberKind] = None
        self.language = "en"
        self._groups: List[str] = []
        self.due = 0.0  # monotonic time at which the collected number is sent

    def expect(self, slot: Optional[str], language: str) -> None:
        """The assistant now asks for ``slot`` (None: not for a number)."""
        self.expected = EXPECTED.get(slot or "")
        self.language = language

    @property
    def expecting(self) -> bool:
        """Whether the current prompt asks for a number."""
        return self.expected is not None

    @property
    def pending(self) -> bool:
        """Whether some groups are collected and not yet sent."""
        return bool(self._groups)

    @property
    def groups(self) -> List[str]:
        """The groups collected so far, in order."""
        return list(self._groups)

    def complete(self) -> bool:
        """Whether the groups collected already make the whole expected number."""
        return self.expected is not None and is_complete(self.expected, "".join(self._groups), self.language)

    def add(self, group: str, now: float) -> None:
        """A group of digits was heard; it is due after a short pause if complete, else a long one."""
        self._groups.append(group)
        self.due = now + self._pause()

    def hold(self, now: float) -> None:
        """The caller is speaking again: another group is coming, so wait for it."""
        if self._groups:
            self.due = max(self.due, now + GROUP_PAUSE_S)

    def take(self) -> str:
        """The number collected, which is then forgotten."""
        number, self._groups = "".join(self._groups), []
        return number

    def take_if_due(self, now: float) -> Optional[str]:
        """The number, when its pause is over; None while more groups may come."""
        if self._groups and now >= self.due:
            return self.take()
        return None

    def _pause(self) -> float:
        if not self.complete():
            return GROUP_PAUSE_S
        return COMPLETE_PHONE_PAUSE_S if self.expected == NumberKind.PHONE else COMPLETE_PAUSE_S
