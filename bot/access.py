"""Who in the desk may see and act on what: queue visibility and handoff ownership.

The same rule serves HTTP and the desk websocket (checked at every event there): supervisors
and admins see everything; an agent sees what waits in their queues and what they hold or
held. A colleague's conversation is not theirs to read (403).
"""

from __future__ import annotations

from typing import List

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Agent, Handoff
from bot.errors import ApiError
from bot.routing.config import RoutingConfig
from bot.states import HandoffStatus

OVERSEERS = ("supervisor", "admin")
MAX_ID = 2**63 - 1  # the largest id a database integer column holds


def visible_queues(agent: Agent, routing: RoutingConfig) -> List[str]:
    """Supervisors and admins see every queue; agents see the queues of their skills."""
    if agent.role in OVERSEERS:
        return sorted(routing.queues)
    return sorted(name for name, queue in routing.queues.items() if queue.skill in (agent.skills or []))


def may_see(agent: Agent, handoff: Handoff, routing: RoutingConfig) -> bool:
    """Whether ``agent`` may read ``handoff`` and its conversation now."""
    if agent.role in OVERSEERS or handoff.agent_id == agent.id:
        return True
    return handoff.status == HandoffStatus.QUEUED and handoff.queue in visible_queues(agent, routing)


async def visible_handoff(session: AsyncSession, agent: Agent, routing: RoutingConfig, handoff_id: int) -> Handoff:
    """The handoff if this agent may see it: 404 if there is none, 403 if it is not theirs to see."""
    handoff = await session.get(Handoff, handoff_id) if 0 < handoff_id <= MAX_ID else None
    if handoff is None:
        raise ApiError(404, "not_found", f"There is no handoff {handoff_id}.")
    if not may_see(agent, handoff, routing):
        if handoff.agent_id is not None and handoff.queue in visible_queues(agent, routing):
            raise ApiError(403, "forbidden", f"Handoff {handoff_id} is a colleague's conversation.")
        raise ApiError(403, "forbidden", f"The {handoff.queue} queue is not one of yours.")
    return handoff


async def handoff_to_take(session: AsyncSession, agent: Agent, routing: RoutingConfig, handoff_id: int) -> Handoff:
    """The handoff an agent asks to accept: any in their queues, even one a colleague took a
    moment ago (taking it then fails as the move's 409, ``not_queued``, which is what happened,
    not a 403); else as :func:`visible_handoff`."""
    handoff = await session.get(Handoff, handoff_id) if 0 < handoff_id <= MAX_ID else None
    if handoff is not None and handoff.queue in visible_queues(agent, routing):
        return handoff
    return await visible_handoff(session, agent, routing, handoff_id)


def require_holder(handoff: Handoff, agent: Agent) -> None:
    """Only the agent holding a conversation may write in it or show typing."""
    if handoff.status != HandoffStatus.ASSIGNED:
        raise ApiError(409, "not_assigned", f"Handoff {handoff.id} is {handoff.status}; accept it first.")
    if handoff.agent_id != agent.id:
        raise ApiError(403, "forbidden", f"Handoff {handoff.id} is assigned to another agent.")
