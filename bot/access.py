"""Who in the desk may see and act on what: queue visibility and handoff ownership."""

from __future__ import annotations

from typing import List

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, Handoff
from bot.errors import ApiError
from bot.handoffs import ASSIGNED
from bot.routing.config import RoutingConfig

OVERSEERS = ("supervisor", "admin")


def visible_queues(agent: Agent, routing: RoutingConfig) -> List[str]:
    """Supervisors and admins see every queue; agents see the queues of their skills."""
    if agent.role in OVERSEERS:
        return sorted(routing.queues)
    return sorted(name for name, queue in routing.queues.items() if queue.skill in (agent.skills or []))


async def visible_handoff(session: AsyncSession, agent: Agent, routing: RoutingConfig, handoff_id: int) -> Handoff:
    """The handoff if this agent may see it: 404 if there is none, 403 if it is not theirs to see."""
    handoff = await session.get(Handoff, handoff_id)
    if handoff is None:
        raise ApiError(404, "not_found", f"There is no handoff {handoff_id}.")
    if handoff.queue not in visible_queues(agent, routing) and handoff.agent_id != agent.id:
        raise ApiError(403, "forbidden", f"The {handoff.queue} queue is not one of yours.")
    return handoff


def require_assigned_to(handoff: Handoff, agent: Agent) -> None:
    """Only the agent holding a conversation may write in it, transfer, close or hand it back."""
    if handoff.status != ASSIGNED:
        raise ApiError(409, "not_assigned", f"Handoff {handoff.id} is {handoff.status}; accept it first.")
    if handoff.agent_id != agent.id:
        raise ApiError(403, "forbidden", f"Handoff {handoff.id} is assigned to another agent.")
