"""Executing a handoff: route it, store it with its context, and report the customer's place."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import build_context
from bot.conversations import BOT, list_messages
from bot.db.models import Agent, Conversation, Handoff, Message
from bot.routing.config import RoutingConfig
from bot.routing.engine import RoutingRequest, route

logger = logging.getLogger(__name__)

QUEUED, ASSIGNED, CLOSED, ABANDONED = "queued", "assigned", "closed", "abandoned"
HANDED_BACK = "handed_back"  # the agent gave the conversation back to the bot
WITH_HUMANS = "human"  # conversation status while a handoff is open
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
        .where(Handoff.conversation_id == conversation_id, Handoff.status.in_((QUEUED, ASSIGNED)))
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    return result.scalars().first()


async def open_handoff(
    session: AsyncSession,
    conversation: Conversation,
    signal: Dict[str, Any],
    tracker: Dict[str, Any],
    routing: RoutingConfig,
    metadata: Dict[str, Any],
    now: Optional[datetime] = None,
) -> Handoff:
    """Route the conversation and queue it with its context packet."""
    messages = await list_messages(session, conversation.id)
    context = build_context(signal, tracker, transcript(messages), conversation.channel, metadata.get("ivr_path"))
    customer = signal.get("customer") or {}
    decision = route(
        RoutingRequest(
            language=context["language"],
            queue_hint=signal.get("queue"),
            tier=customer.get("tier", "standard"),
            ivr_choice=metadata.get("ivr_choice"),
            escalated=bool(signal.get("escalated")),
        ),
        routing,
        now,
    )
    queue, priority, sla = decision.queue, decision.priority, decision.sla_seconds
    if not decision.open:
        queue = routing.after_hours_queue
        priority, sla = routing.queues[queue].priority, routing.queues[queue].sla_seconds
        decision.reasons.append(f"out of hours: {queue} queue")
    handoff = Handoff(
        conversation_id=conversation.id,
        status=QUEUED,
        reason=str(signal.get("reason") or "unknown"),
        queue=queue,
        language=decision.language,
        priority=priority,
        sla_seconds=sla,
        context=context,
        routing={
            "skill": decision.skill,
            "intended_queue": decision.queue,
            "after_hours": not decision.open,
            "senior_required": decision.senior_required,
            "open_sites": decision.open_sites,
            "reasons": decision.reasons,
        },
        created_at=now or datetime.now(timezone.utc),
    )
    session.add(handoff)
    conversation.status = WITH_HUMANS
    conversation.language = decision.language
    await session.flush()
    logger.info("conversation %s queued in %s (priority %s): %s", conversation.id, queue,
                priority, "; ".join(decision.reasons))
    return handoff


async def queue_position(session: AsyncSession, handoff: Handoff) -> int:
    """1 + the queued handoffs of the same queue that will be served first."""
    ahead = await session.execute(
        select(func.count(Handoff.id)).where(
            Handoff.queue == handoff.queue,
            Handoff.status == QUEUED,
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
    queued = handoff.status == QUEUED
    return {
        "id": handoff.id,
        "status": handoff.status,
        "queue": handoff.queue,
        "reason": handoff.reason,
        "position": position if queued else None,
        "estimated_wait_seconds": position * handle_seconds if queued else 0,
        "open": bool((handoff.routing or {}).get("open_sites")),
    }


def assign(handoff: Handoff, agent: Agent) -> None:
    """Give the handoff to an agent, now."""
    handoff.status = ASSIGNED
    handoff.agent_id = agent.id
    handoff.assigned_at = datetime.now(timezone.utc)


def end(handoff: Handoff, conversation: Conversation, status: str) -> None:
    """Close, abandon or hand back the handoff; the conversation goes back to the bot."""
    handoff.status = status
    handoff.closed_at = datetime.now(timezone.utc)
    conversation.status = BOT
