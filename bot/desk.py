"""What agents do in the desk, as domain operations over the handoff lifecycle.

Each function takes the services and the authenticated agent, runs one transaction, publishes
its events after the commit and returns what the API answers. The HTTP handlers in
``bot/api/desk.py`` and ``bot/api/desk_handoffs.py`` only parse, call and serialise.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import select

from bot.access import MAX_ID, handoff_to_take, require_holder, visible_handoff, visible_queues
from bot.conversations import add_bot_replies, add_message, list_messages, message_event
from bot.db.models import Agent, Conversation, Handoff
from bot.dispatch import auto_assign
from bot.errors import ApiError, RasaUnavailable
from bot.events import DESK, Outbox, conversation_topic
from bot.lifecycle import (
    Override, agent_load, agent_views, claim, close, hand_back, ineligibility, transfer_to_agent,
    transfer_to_queue,
)
from bot.services import Services
from bot.states import HandoffStatus, IllegalTransition, Presence

logger = logging.getLogger(__name__)

# What Rasa hears when an agent closes: the bot thanks the customer and runs the survey.
CLOSING_INTENT = "goodbye"


# ------------------------------------------------------------------ what the desk shows


async def held_by(services: Services, agent: Agent) -> List[Dict[str, Any]]:
    """The conversations this agent holds now, oldest assignment first."""
    async with services.sessions() as session:
        rows = (await session.execute(
            select(Handoff).where(Handoff.agent_id == agent.id, Handoff.status == HandoffStatus.ASSIGNED)
            .order_by(Handoff.assigned_at)
        )).scalars()
        return [{"id": h.id, "queue": h.queue, "language": h.language, "reason": h.reason,
                 "summary": (h.context or {}).get("summary"), "channel": (h.context or {}).get("channel")}
                for h in rows]


async def colleagues(services: Services) -> List[Dict[str, Any]]:
    """Everyone a conversation can be transferred to: name, presence, skills, languages, seniority."""
    async with services.sessions() as session:
        agents = (await session.execute(select(Agent).order_by(Agent.display_name))).scalars()
        return [{"id": a.id, "display_name": a.display_name, "presence": a.presence, "skills": a.skills,
                 "languages": a.languages, "senior": a.senior} for a in agents]


async def waiting(services: Services, agent: Agent) -> List[Dict[str, Any]]:
    """The queues this agent may serve, each with its waiting conversations in serving order."""
    now = datetime.now(timezone.utc)
    names = visible_queues(agent, services.routing)
    by_queue: Dict[str, List[Dict[str, Any]]] = {name: [] for name in names}
    async with services.sessions() as session:
        rows = (await session.execute(
            select(Handoff).where(Handoff.status == HandoffStatus.QUEUED, Handoff.queue.in_(names))
            .order_by(Handoff.priority.desc(), Handoff.id)
        )).scalars()
        for handoff in rows:
            context = handoff.context or {}
            by_queue[handoff.queue].append({
                "id": handoff.id, "priority": handoff.priority, "language": handoff.language,
                "reason": handoff.reason, "waited_seconds": int((now - handoff.created_at).total_seconds()),
                "sla_seconds": handoff.sla_seconds, "summary": context.get("summary"),
                "escalation": context.get("escalation"),
            })
    return [{"queue": name, "waiting": by_queue[name]} for name in names]


async def handoff_of(services: Services, agent: Agent, handoff_id: int) -> Handoff:
    """A handoff this agent may see (404, 403 otherwise)."""
    async with services.sessions() as session:
        return await visible_handoff(session, agent, services.routing, handoff_id)


async def messages_of(services: Services, agent: Agent, handoff_id: int, after: int = 0) -> List[Dict[str, Any]]:
    """The conversation's transcript after message ``after``: customer, bot, agent, notes and system lines."""
    async with services.sessions() as session:
        handoff = await visible_handoff(session, agent, services.routing, handoff_id)
        messages = await list_messages(session, handoff.conversation_id)
    return [message_event(m) for m in messages if m.id > after]


# ------------------------------------------------------------------ what the desk does


async def _fresh(session, agent: Agent) -> Agent:
    """The agent's row in this transaction (presence and capacity as they are now)."""
    return await session.get(Agent, agent.id)


async def accept(services: Services, agent: Agent, handoff_id: int, override: Optional[Override] = None
                 ) -> Dict[str, Any]:
    """Take a queued conversation, if the routing rule lets this agent take it now."""
    outbox = Outbox()
    async with services.transaction() as session:
        me = await _fresh(session, agent)
        handoff = await handoff_to_take(session, me, services.routing, handoff_id)
        await claim(session, handoff, me, services.routing, outbox, override=override)
        result = {"id": handoff.id, "status": handoff.status, "agent_id": me.id}
    outbox.publish(services.hub)
    return result


async def accept_next(services: Services, agent: Agent) -> Dict[str, Any]:
    """Take the most urgent waiting conversation this agent may take now."""
    outbox = Outbox()
    taken: Optional[Dict[str, Any]] = None
    async with services.transaction() as session:
        me = await _fresh(session, agent)
        active = (await agent_load(session)).get(me.id, 0)
        if active >= me.capacity:
            raise ApiError(409, "at_capacity", f"You already have {active} conversations (capacity {me.capacity}).")
        candidates = (
            await session.execute(
                select(Handoff)
                .where(Handoff.status == HandoffStatus.QUEUED, Handoff.queue.in_(visible_queues(me, services.routing)))
                .order_by(Handoff.priority.desc(), Handoff.id)
            )
        ).scalars().all()
        views = await agent_views(session)
        for handoff in candidates:
            if await ineligibility(session, handoff, me, services.routing, views):
                continue
            try:
                claimed = await claim(session, handoff, me, services.routing, outbox, checked=True)
            except IllegalTransition:
                continue  # someone else took it a moment ago: try the next one
            if not claimed:  # a concurrent accept filled this agent's capacity
                raise ApiError(409, "at_capacity", f"You already have {me.capacity} conversations "
                                                   f"(capacity {me.capacity}).")
            taken = {"id": handoff.id, "status": handoff.status, "queue": handoff.queue, "agent_id": me.id}
            break
    outbox.publish(services.hub)
    return taken or {"id": None, "status": "nothing_waiting"}


async def write_to_customer(services: Services, agent: Agent, handoff_id: int, text: str) -> Dict[str, Any]:
    """The assigned agent writes to the customer (stored redacted)."""
    async with services.transaction() as session:
        handoff = await visible_handoff(session, agent, services.routing, handoff_id)
        require_holder(handoff, agent)
        conversation = await session.get(Conversation, handoff.conversation_id)
        message = await add_message(session, conversation, "agent", text, {"agent": agent.display_name})
        event = message_event(message)
    services.hub.publish(conversation_topic(handoff.conversation_id), event)
    return {"id": message.id, "text": message.text}


async def typing(services: Services, agent: Agent, handoff_id: int) -> None:
    """The assigned agent is typing: the customer's client shows it."""
    async with services.sessions() as session:
        handoff = await visible_handoff(session, agent, services.routing, handoff_id)
        require_holder(handoff, agent)
    services.hub.publish(conversation_topic(handoff.conversation_id),
                         {"type": "typing", "role": "agent", "agent": agent.display_name})


async def add_note(services: Services, agent: Agent, handoff_id: int, text: str) -> Dict[str, Any]:
    """An internal note on a conversation the agent may see: agents see it, the customer never does."""
    async with services.transaction() as session:
        handoff = await visible_handoff(session, agent, services.routing, handoff_id)
        conversation = await session.get(Conversation, handoff.conversation_id)
        note = await add_message(session, conversation, "note", text, {"agent": agent.display_name})
    return {"id": note.id, "text": note.text}


async def transfer(services: Services, agent: Agent, handoff_id: int, note: str, queue: Optional[str] = None,
                   colleague_id: Optional[int] = None, override: Optional[Override] = None) -> Dict[str, Any]:
    """Move the conversation to another queue, or straight to a colleague who may take it."""
    outbox = Outbox()
    async with services.transaction() as session:
        me = await _fresh(session, agent)
        handoff = await visible_handoff(session, me, services.routing, handoff_id)
        if (queue is None) == (colleague_id is None):
            raise ApiError(400, "invalid_field", "Give either 'queue' or 'agent_id'.")
        if queue is not None:
            await transfer_to_queue(session, handoff, me, queue, note, services.routing, outbox)
        else:
            colleague = await session.get(Agent, colleague_id) if 0 < colleague_id <= MAX_ID else None
            if colleague is None:
                raise ApiError(400, "invalid_field", f"There is no agent {colleague_id}.")
            await transfer_to_agent(session, handoff, me, colleague, note, services.routing, outbox, override)
        result = {"id": handoff.id, "status": handoff.status, "queue": handoff.queue, "agent_id": handoff.agent_id}
    outbox.publish(services.hub)
    await auto_assign(services)
    return result


async def close_conversation(services: Services, agent: Agent, handoff_id: int, disposition: str, wrap_up: str
                             ) -> Dict[str, Any]:
    """Close with a disposition; the bot resumes to thank and survey the customer (not for spam)."""
    outbox = Outbox()
    async with services.transaction() as session:
        handoff = await visible_handoff(session, agent, services.routing, handoff_id)
        conversation = await close(session, handoff, agent, disposition, wrap_up, outbox)
        conversation_id = conversation.id
    outbox.publish(services.hub)
    replies = []
    if disposition != "spam":
        try:
            replies = await services.rasa.trigger_intent(conversation_id, CLOSING_INTENT)
        except RasaUnavailable:
            logger.warning("Rasa is unavailable: handoff %s closed without the survey", handoff_id)
        async with services.transaction() as session:
            conversation = await session.get(Conversation, conversation_id)
            for message in await add_bot_replies(session, conversation, replies):
                outbox.add(conversation_topic(conversation_id), message_event(message))
        outbox.publish(services.hub)
    await auto_assign(services)
    return {"id": handoff_id, "status": HandoffStatus.CLOSED.value, "disposition": disposition,
            "bot_replies": len(replies)}


async def give_back(services: Services, agent: Agent, handoff_id: int) -> Dict[str, Any]:
    """Give the conversation back to the bot without closing the contact (no survey yet)."""
    outbox = Outbox()
    async with services.transaction() as session:
        handoff = await visible_handoff(session, agent, services.routing, handoff_id)
        await hand_back(session, handoff, agent, outbox)
    outbox.publish(services.hub)
    await auto_assign(services)
    return {"id": handoff_id, "status": HandoffStatus.HANDED_BACK.value}


async def set_presence(services: Services, agent: Agent, presence: str) -> Agent:
    """Available, away or offline; becoming available may bring pushed work."""
    if presence not in set(Presence):
        raise ApiError(400, "invalid_field", f"'presence' must be one of: {', '.join(Presence)}.")
    async with services.transaction() as session:
        me = await _fresh(session, agent)
        me.presence = presence
    services.hub.publish(DESK, {"type": "agents_changed"})
    if presence == Presence.AVAILABLE:
        await auto_assign(services)
    return me
