"""Pushing waiting conversations to free agents when ``auto_assign`` is on in routing.yml.

The choice is the routing engine's pure :func:`bot.routing.engine.choose_agent` over a fresh
snapshot of the agents; the claim is the lifecycle's, which enforces the agent's capacity in
its conditional update, so two gateway instances never hand the same conversation out twice
nor give an agent more than they can take.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import List, Tuple

from sqlalchemy import select

from bot.db.models import Agent, Handoff
from bot.events import Outbox
from bot.lifecycle import agent_views, claim, decision_of
from bot.routing.engine import choose_agent
from bot.services import Services
from bot.states import HandoffStatus, IllegalTransition

logger = logging.getLogger(__name__)


async def auto_assign(services: Services) -> List[Tuple[int, int]]:
    """Push waiting conversations, most urgent first, to free agents; returns (handoff, agent) pairs."""
    routing = services.routing
    if not routing.auto_assign:
        return []
    done: List[Tuple[int, int]] = []
    outbox = Outbox()
    async with services.dispatch_lock, services.transaction() as session:
        views = {v.id: v for v in await agent_views(session)}
        waiting = (
            await session.execute(
                select(Handoff).where(Handoff.status == HandoffStatus.QUEUED).order_by(Handoff.priority.desc(), Handoff.id)
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
            try:
                claimed = await claim(session, handoff, agent, routing, outbox, checked=True)
            except IllegalTransition:
                continue  # taken (or left) in the meantime
            if claimed:
                views[chosen.id] = replace(chosen, active_chats=chosen.active_chats + 1)
                done.append((handoff.id, agent.id))
                logger.info("handoff %s pushed to agent %s%s", handoff.id, agent.username,
                            f" after {'; '.join(steps)}" if steps else "")
    outbox.publish(services.hub)
    return done
