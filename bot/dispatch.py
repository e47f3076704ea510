"""Giving waiting conversations to agents: announcing an assignment, and pushing work to free
agents when ``auto_assign`` is on in routing.yml.

The choice itself is the routing engine's pure :func:`bot.routing.engine.choose_agent`; this
module feeds it a snapshot of the agents from the database and applies its answer with a
conditional update, so two gateway instances never hand the same conversation out twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Dict, List, Tuple

from sanic import Sanic
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations import add_message, message_event
from bot.db.models import Agent, Conversation, Handoff
from bot.events import DESK, Outbox, agent_topic, conversation_topic
from bot.handoffs import ASSIGNED, QUEUED
from bot.notices import notice
from bot.routing.engine import AgentView, RoutingDecision, choose_agent

logger = logging.getLogger(__name__)


async def active_chats(session: AsyncSession) -> Dict[int, int]:
    """Agent id -> the number of conversations assigned to them now."""
    rows = await session.execute(
        select(Handoff.agent_id, func.count(Handoff.id)).where(Handoff.status == ASSIGNED).group_by(Handoff.agent_id)
    )
    return {agent_id: count for agent_id, count in rows if agent_id is not None}


async def agent_views(session: AsyncSession) -> List[AgentView]:
    """Every agent as routing sees them, with their current load."""
    load = await active_chats(session)
    agents = (await session.execute(select(Agent))).scalars()
    return [
        AgentView(
            id=str(a.id), skills=tuple(a.skills or ()), languages=tuple(a.languages or ()), senior=a.senior,
            site=a.site, presence=a.presence, active_chats=load.get(a.id, 0), capacity=a.capacity,
        )
        for a in agents
    ]


def decision_of(handoff: Handoff) -> RoutingDecision:
    """The routing decision stored with a handoff, for choosing its agent."""
    routing = handoff.routing or {}
    return RoutingDecision(
        queue=handoff.queue, skill=routing.get("skill") or "general", language=handoff.language,
        priority=handoff.priority, sla_seconds=handoff.sla_seconds,
        senior_required=bool(routing.get("senior_required")), open_sites=list(routing.get("open_sites") or []),
    )


async def claim(session: AsyncSession, handoff: Handoff, agent: Agent, outbox: Outbox) -> bool:
    """Assign a queued handoff to ``agent`` unless someone got there first; announce it."""
    now = datetime.now(timezone.utc)
    result = await session.execute(
        update(Handoff)
        .where(Handoff.id == handoff.id, Handoff.status == QUEUED)
        .values(status=ASSIGNED, agent_id=agent.id, assigned_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    await session.refresh(handoff)
    await announce_assignment(session, handoff, agent, outbox)
    return True


async def announce_assignment(session: AsyncSession, handoff: Handoff, agent: Agent, outbox: Outbox) -> None:
    """Tell the customer who joined, the agent what they got, and every desk that queues changed."""
    conversation = await session.get(Conversation, handoff.conversation_id)
    text = notice("agent_joined", conversation.language, agent=agent.display_name)
    message = await add_message(session, conversation, "bot", text, {"notice": "agent_joined", "agent": agent.display_name})
    topic = conversation_topic(conversation.id)
    outbox.add(topic, message_event(message))
    outbox.add(topic, {"type": "handoff", "id": handoff.id, "status": ASSIGNED, "agent": agent.display_name})
    outbox.add(agent_topic(agent.id), {"type": "assigned", "handoff_id": handoff.id, "queue": handoff.queue})
    outbox.add(DESK, {"type": "queues_changed"})


def _lock(app: Sanic) -> asyncio.Lock:
    lock = getattr(app.ctx, "dispatch_lock", None)
    if lock is None:
        lock = app.ctx.dispatch_lock = asyncio.Lock()
    return lock


async def auto_assign(app: Sanic) -> List[Tuple[int, int]]:
    """Push waiting conversations, most urgent first, to free agents; returns (handoff, agent) pairs."""
    routing = app.ctx.routing
    if not routing.auto_assign:
        return []
    done: List[Tuple[int, int]] = []
    outbox = Outbox()
    async with _lock(app), app.ctx.sessions() as session, session.begin():
        views = {v.id: v for v in await agent_views(session)}
        waiting = (
            await session.execute(
                select(Handoff).where(Handoff.status == QUEUED).order_by(Handoff.priority.desc(), Handoff.id)
            )
        ).scalars().all()
        now = datetime.now(timezone.utc)
        for handoff in waiting:
            if handoff.queue == routing.after_hours_queue:
                continue  # callbacks and messages left out of hours are worked by hand
            waited = (now - handoff.created_at).total_seconds()
            chosen, steps = choose_agent(decision_of(handoff), routing, list(views.values()), waited)
            if chosen is None:
                continue
            agent = await session.get(Agent, int(chosen.id))
            if await claim(session, handoff, agent, outbox):
                views[chosen.id] = replace(chosen, active_chats=chosen.active_chats + 1)
                done.append((handoff.id, agent.id))
                logger.info("handoff %s pushed to agent %s%s", handoff.id, agent.username,
                            f" after {'; '.join(steps)}" if steps else "")
    outbox.publish(app.ctx.events)
    return done
