"""The states of a conversation and of its handoff, and the handoff's allowed transitions.

The handoff lifecycle (``bot/lifecycle.py``) checks every move against :data:`TRANSITIONS`
before it applies it; a move the table does not allow raises :class:`IllegalTransition`,
which the API answers with 409.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Dict, FrozenSet, Tuple

from bot.errors import ApiError


class ConversationStatus(StrEnum):
    """Who handles the conversation now."""

    BOT = "bot"
    HUMAN = "human"  # a handoff is queued or assigned
    CLOSED = "closed"


class HandoffStatus(StrEnum):
    """Where a handed-over conversation is."""

    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"
    HANDED_BACK = "handed_back"  # the agent gave the conversation back to the bot
    ABANDONED = "abandoned"  # the customer left before anyone answered

    @property
    def is_open(self) -> bool:
        """Queued or assigned: people still owe the customer an answer."""
        return self in OPEN_STATUSES


OPEN_STATUSES: FrozenSet[HandoffStatus] = frozenset({HandoffStatus.QUEUED, HandoffStatus.ASSIGNED})


class Presence(StrEnum):
    """An agent's availability; only ``available`` agents are given work."""

    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


class Transition(StrEnum):
    """Every move a handoff can make after it was queued."""

    CLAIM = "claim"  # an agent takes a queued conversation (accept, accept next, auto-assign)
    TRANSFER_TO_QUEUE = "transfer_to_queue"
    TRANSFER_TO_AGENT = "transfer_to_agent"
    CLOSE = "close"
    HAND_BACK = "hand_back"
    ABANDON = "abandon"
    CALLBACK = "callback"  # the waiting customer asks to be called back instead


# transition -> (the statuses it may start from, the status it ends in)
TRANSITIONS: Dict[Transition, Tuple[FrozenSet[HandoffStatus], HandoffStatus]] = {
    Transition.CLAIM: (frozenset({HandoffStatus.QUEUED}), HandoffStatus.ASSIGNED),
    Transition.TRANSFER_TO_QUEUE: (frozenset({HandoffStatus.ASSIGNED}), HandoffStatus.QUEUED),
    Transition.TRANSFER_TO_AGENT: (frozenset({HandoffStatus.ASSIGNED}), HandoffStatus.ASSIGNED),
    Transition.CLOSE: (frozenset({HandoffStatus.ASSIGNED}), HandoffStatus.CLOSED),
    Transition.HAND_BACK: (frozenset({HandoffStatus.ASSIGNED}), HandoffStatus.HANDED_BACK),
    Transition.ABANDON: (frozenset({HandoffStatus.QUEUED}), HandoffStatus.ABANDONED),
    Transition.CALLBACK: (frozenset({HandoffStatus.QUEUED}), HandoffStatus.QUEUED),
}

# The error code a client sees when a move is refused, by the status it needed.
_CONFLICT_CODES = {
    frozenset({HandoffStatus.QUEUED}): "not_queued",
    frozenset({HandoffStatus.ASSIGNED}): "not_assigned",
}


class IllegalTransition(ApiError):
    """The handoff is not in a state this move can start from (it has moved on)."""

    def __init__(self, handoff_id: int, transition: Transition, status: str) -> None:
        allowed, _ = TRANSITIONS[transition]
        code = _CONFLICT_CODES.get(allowed, "conflict")
        hint = "accept it first" if code == "not_assigned" else "refresh the queue"
        super().__init__(409, code, f"Handoff {handoff_id} is {status}; it cannot {transition.value.replace('_', ' ')} ({hint}).")
        self.transition = transition
        self.current = status


def check_transition(handoff_id: int, transition: Transition, current: str) -> HandoffStatus:
    """The status ``transition`` leads to from ``current``; IllegalTransition if it may not start there."""
    allowed, target = TRANSITIONS[transition]
    if current not in allowed:
        raise IllegalTransition(handoff_id, transition, current)
    return target
