"""Reading handoffs: the conversation's open handoff, the customer's place in the queue, and
what the customer's client is told. Every change of a handoff goes through ``bot.lifecycle``."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Handoff, Message
from bot.states import OPEN_STATUSES, HandoffStatus

DEFAULT_HANDLE_SECONDS = 300


def transcript(messages: List[Message]) -> List[Dict[str, Any]]:
    """The stored (already redacted) messages, as the agent reads them."""
    return [
        {"role": m.role, "text": m.text, "at": m.created_at.isoformat() if m.created_at else None}
        for m in messages
        if m.text
    ]


async def active_handoff(session: AsyncSession, conversation_id: str) -> Optional[Handoff]:
    """The conversation's queued or assigned handoff, if any."""
    result = await session.execute(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    return result.scalars().first()


async def queue_position(session: AsyncSession, handoff: Handoff) -> int:
    """1 + the queued handoffs of the same queue that will be served first."""
    ahead = await session.execute(
        select(func.count(Handoff.id)).where(
            Handoff.queue == handoff.queue,
            Handoff.status == HandoffStatus.QUEUED,
            Handoff.id != handoff.id,
            or_(
                Handoff.priority > handoff.priority,
                (Handoff.priority == handoff.priority) & (Handoff.id < handoff.id),
            ),
        )
    )
    return int(ahead.scalar_one()) + 1


def public_status(handoff: Handoff, position: int, handle_seconds: int = DEFAULT_HANDLE_SECONDS) -> Dict[str, Any]:
    """What the customer's client is told about the handoff."""
    queued = handoff.status == HandoffStatus.QUEUED
    return {
        "id": handoff.id,
        "status": handoff.status,
        "queue": handoff.queue,
        "reason": handoff.reason,
        "position": position if queued else None,
        "estimated_wait_seconds": position * handle_seconds if queued else 0,
        "open": bool((handoff.routing or {}).get("open_sites")),
    }
