"""Contact-centre KPIs over a time window, from the gateway's conversations and handoffs.

- containment: conversations the bot finished without handing over;
- wait: time from queueing to an agent taking the conversation (mean and 90th percentile),
  and the share answered within the queue's SLA;
- abandonment: handoffs the customer left before anyone answered, of all that ended waiting;
- average handle time (AHT): from an agent taking the conversation to closing it;
- first-contact resolution (FCR): closures marked resolved whose customer did not come back
  within ``repeat_days``, of all closures.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Conversation, Handoff
from bot.states import HandoffStatus

ABANDONED, CLOSED = HandoffStatus.ABANDONED, HandoffStatus.CLOSED

REPEAT_DAYS = 7


def _mean(values: Sequence[float]) -> Optional[float]:
    return round(sum(values) / len(values), 1) if values else None


def _percentile(values: Sequence[float], share: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def _ratio(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 3) if whole else None


def compute(
    conversations: List[Conversation], handoffs: List[Handoff], later_contacts: Dict[str, List[datetime]],
    repeat_days: int = REPEAT_DAYS,
) -> Dict[str, Any]:
    """The KPIs from rows already selected for the window (pure, for unit tests)."""
    handed_over = {h.conversation_id for h in handoffs}
    answered = [h for h in handoffs if h.assigned_at is not None]
    waits = [(h.assigned_at - h.created_at).total_seconds() for h in answered]
    within_sla = sum(1 for h, wait in zip(answered, waits) if wait <= h.sla_seconds)
    abandoned = [h for h in handoffs if h.status == ABANDONED]
    closed = [h for h in handoffs if h.status == CLOSED and h.assigned_at is not None and h.closed_at is not None]
    handle = [(h.closed_at - h.assigned_at).total_seconds() for h in closed]
    by_conversation = {c.id: c for c in conversations}
    resolved_first_time = 0
    for h in closed:
        if h.disposition != "resolved":
            continue
        conversation = by_conversation.get(h.conversation_id)
        key = f"{conversation.channel}:{conversation.external_id}" if conversation else ""
        horizon = h.closed_at + timedelta(days=repeat_days)
        if not any(h.closed_at < t <= horizon for t in later_contacts.get(key, [])):
            resolved_first_time += 1
    return {
        "conversations": len(conversations),
        "handoffs": len(handoffs),
        "containment_rate": _ratio(len(conversations) - len(handed_over & set(by_conversation)), len(conversations)),
        "wait_seconds_mean": _mean(waits),
        "wait_seconds_p90": _percentile(waits, 0.9),
        "answered_within_sla_rate": _ratio(within_sla, len(answered)),
        "abandonment_rate": _ratio(len(abandoned), len(abandoned) + len(answered)),
        "average_handle_seconds": _mean(handle),
        "first_contact_resolution_rate": _ratio(resolved_first_time, len(closed)),
    }


async def kpis(session: AsyncSession, hours: int, now: Optional[datetime] = None) -> Dict[str, Any]:
    """The KPIs of the last ``hours`` hours."""
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(hours=hours)
    conversations = list((await session.execute(select(Conversation).where(Conversation.created_at >= since))).scalars())
    handoffs = list((await session.execute(select(Handoff).where(Handoff.created_at >= since))).scalars())
    later: Dict[str, List[datetime]] = {}
    rows = await session.execute(
        select(Conversation.channel, Conversation.external_id, Conversation.created_at).where(Conversation.created_at >= since)
    )
    for channel, external_id, created_at in rows:
        later.setdefault(f"{channel}:{external_id}", []).append(created_at)
    # A repeat contact in the same conversation counts too: a later handoff of the same conversation.
    by_id = {c.id: c for c in conversations}
    for h in handoffs:
        conversation = by_id.get(h.conversation_id)
        if conversation is not None:
            later.setdefault(f"{conversation.channel}:{conversation.external_id}", []).append(h.created_at)
    return {"window_hours": hours, "since": since.isoformat(), **compute(conversations, handoffs, later)}
