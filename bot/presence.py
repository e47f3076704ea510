"""Is the customer still there? Signs of life, and abandonment when they stop.

When a waiting customer counts as abandoned (the KPIs count these):

- they leave the queue themselves (``leave_queue`` without a phone number): at once;
- a caller hangs up (or the call drops) while queued: at once;
- a chat customer shows no sign of life for ``abandon_after_s`` (default 120 s): no message,
  no open customer websocket (an open one reports every few seconds, see
  :func:`heartbeat_interval`) and no history poll. Reloading the page or a short network drop reconnects well within that,
  so it is not abandonment. The same grace covers a call whose gateway went down.

Conversations waiting in the callback queue (a callback requested, a message left out of
hours) are never abandoned: the customer is not expected to wait on the line.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import List, Optional

from sqlalchemy import select

from bot.conversations import add_message, message_event
from bot.db.models import Conversation, Handoff
from bot.events import Outbox, agent_topic
from bot.handoffs import active_handoff
from bot.lifecycle import AbandonReason, abandon
from bot.services import Services
from bot.states import HandoffStatus

logger = logging.getLogger(__name__)

MAX_HEARTBEAT_SECONDS = 20.0


def heartbeat_interval(services: Services) -> float:
    """How often an open connection reports the customer: well inside the grace period."""
    return max(0.2, min(MAX_HEARTBEAT_SECONDS, services.settings.abandon_after_s / 3))


def customer_seen(conversation: Conversation, now: Optional[datetime] = None) -> None:
    """Note a sign of life from the customer (inside the caller's transaction)."""
    conversation.customer_seen_at = now or datetime.now(timezone.utc)


async def touch(services: Services, conversation_id: str) -> None:
    """A sign of life from the customer's open connection."""
    async with services.transaction() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is not None:
            customer_seen(conversation)


async def heartbeat(services: Services, conversation_id: str) -> None:
    """Report the customer's connection as alive until cancelled (run it as a task)."""
    interval = heartbeat_interval(services)
    while True:
        try:
            await touch(services, conversation_id)
        except Exception:  # noqa: BLE001 - a missed beat only shortens the grace; never end the call
            logger.exception("could not record that the customer of %s is still there", conversation_id)
        await asyncio.sleep(interval)


async def customer_hung_up(services: Services, conversation_id: str) -> Optional[str]:
    """The caller is gone: a queued handoff is abandoned; an agent holding it is told. What happened."""
    outbox = Outbox()
    async with services.transaction() as session:
        handoff = await active_handoff(session, conversation_id)
        if handoff is None:
            return None
        if handoff.status == HandoffStatus.QUEUED:
            done = await abandon(session, handoff, AbandonReason.HUNG_UP, outbox)
            outcome = "abandoned" if done else None
        else:
            conversation = await session.get(Conversation, conversation_id)
            note = await add_message(session, conversation, "system", "the customer hung up")
            outbox.add(agent_topic(handoff.agent_id), {**message_event(note), "handoff_id": handoff.id})
            outcome = "agent_told"
    outbox.publish(services.hub)
    return outcome


async def abandon_gone(services: Services, now: Optional[datetime] = None) -> List[int]:
    """Abandon the queued handoffs whose customer showed no sign of life for the grace period."""
    grace = timedelta(seconds=services.settings.abandon_after_s)
    cutoff = (now or datetime.now(timezone.utc)) - grace
    outbox = Outbox()
    gone: List[int] = []
    async with services.transaction() as session:
        rows = await session.execute(
            select(Handoff)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(
                Handoff.status == HandoffStatus.QUEUED,
                Handoff.queue != services.routing.after_hours_queue,
                Conversation.customer_seen_at.is_not(None),
                Conversation.customer_seen_at < cutoff,
            )
        )
        for handoff in rows.scalars().all():
            if await abandon(session, handoff, AbandonReason.GONE, outbox):
                gone.append(handoff.id)
    outbox.publish(services.hub)
    return gone


async def sweep_forever(services: Services) -> None:
    """Every few seconds, abandon what the customers left (a task for the server's life)."""
    interval = max(1.0, min(15.0, services.settings.abandon_after_s / 4))
    while True:
        await asyncio.sleep(interval)
        try:
            await abandon_gone(services)
        except Exception:  # noqa: BLE001 - the next sweep tries again
            logger.exception("the abandonment sweep failed")
