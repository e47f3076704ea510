"""The agent desk's JSON API: login, queues, accepting a handed-over conversation."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty, json
from sqlalchemy import func, select

from bot.api.request_body import json_object, required_text
from bot.auth import agent_json, bearer_token, current_agent, login, logout
from bot.conversations import add_bot_replies, add_message
from bot.db.models import Agent, Conversation, Handoff
from bot.errors import ApiError, RasaUnavailable
from bot.handoffs import ASSIGNED, CLOSED, QUEUED, assign, end
from bot.redaction import redact_card_numbers

bp = Blueprint("desk", url_prefix="/api")

CREDENTIAL_MAX_CHARS = 256
WRAP_UP_MAX_CHARS = 4000
DISPOSITIONS = ("resolved", "not_resolved", "follow_up_needed", "callback_scheduled", "spam")
PRESENCES = ("available", "away", "offline")
NOTE_MAX_CHARS = 2000
# What Rasa hears when an agent closes: the bot thanks the customer and runs the survey.
CLOSING_INTENT = "goodbye"


def visible_queues(agent: Agent, request: Request) -> List[str]:
    """Supervisors and admins see every queue; agents see the queues of their skills."""
    queues = request.app.ctx.routing.queues
    if agent.role in ("supervisor", "admin"):
        return sorted(queues)
    return sorted(name for name, queue in queues.items() if queue.skill in (agent.skills or []))


def _age(handoff: Handoff, now: datetime) -> int:
    return int((now - handoff.created_at).total_seconds())


@bp.post("/auth/login")
async def login_route(request: Request) -> HTTPResponse:
    """Exchange a username and password for a bearer token."""
    body = json_object(request)
    username = required_text(body, "username", CREDENTIAL_MAX_CHARS)
    password = required_text(body, "password", CREDENTIAL_MAX_CHARS)
    async with request.app.ctx.sessions() as session, session.begin():
        result = await login(session, username, password)
        if result is None:
            raise ApiError(401, "invalid_credentials", "Wrong username or password.")
        token, agent = result
        return json({"token": token, "agent": agent_json(agent)})


@bp.post("/auth/logout")
async def logout_route(request: Request) -> HTTPResponse:
    """End the session of the token sent."""
    async with request.app.ctx.sessions() as session, session.begin():
        await current_agent(request, session)
        await logout(session, bearer_token(request))
    return empty()


@bp.get("/me")
async def me(request: Request) -> HTTPResponse:
    """The logged-in agent."""
    async with request.app.ctx.sessions() as session:
        return json(agent_json(await current_agent(request, session)))


@bp.get("/queues")
async def queues(request: Request) -> HTTPResponse:
    """The queues this agent may serve, each with its waiting conversations in serving order."""
    now = datetime.now(timezone.utc)
    async with request.app.ctx.sessions() as session:
        agent = await current_agent(request, session)
        names = visible_queues(agent, request)
        rows = (
            await session.execute(
                select(Handoff)
                .where(Handoff.status == QUEUED, Handoff.queue.in_(names))
                .order_by(Handoff.priority.desc(), Handoff.id)
            )
        ).scalars()
        waiting: Dict[str, List[Dict[str, Any]]] = {name: [] for name in names}
        for handoff in rows:
            waiting[handoff.queue].append(
                {
                    "id": handoff.id, "priority": handoff.priority, "language": handoff.language,
                    "reason": handoff.reason, "waited_seconds": _age(handoff, now),
                    "sla_seconds": handoff.sla_seconds, "summary": (handoff.context or {}).get("summary"),
                    "escalation": (handoff.context or {}).get("escalation"),
                }
            )
    return json({"queues": [{"queue": name, "waiting": waiting[name]} for name in names]})


async def _visible_handoff(request: Request, session, handoff_id: int):
    agent = await current_agent(request, session)
    handoff = await session.get(Handoff, handoff_id)
    if handoff is None:
        raise ApiError(404, "not_found", f"There is no handoff {handoff_id}.")
    if handoff.queue not in visible_queues(agent, request) and handoff.agent_id != agent.id:
        raise ApiError(403, "forbidden", f"The {handoff.queue} queue is not one of yours.")
    return agent, handoff


@bp.get("/handoffs/<handoff_id:int>")
async def handoff_detail(request: Request, handoff_id: int) -> HTTPResponse:
    """A handed-over conversation with its whole context packet."""
    async with request.app.ctx.sessions() as session:
        _agent, handoff = await _visible_handoff(request, session, handoff_id)
        return json(
            {
                "id": handoff.id, "status": handoff.status, "queue": handoff.queue, "reason": handoff.reason,
                "priority": handoff.priority, "sla_seconds": handoff.sla_seconds, "agent_id": handoff.agent_id,
                "routing": handoff.routing, "context": handoff.context,
            }
        )


@bp.post("/handoffs/<handoff_id:int>/accept")
async def accept(request: Request, handoff_id: int) -> HTTPResponse:
    """Take a queued conversation."""
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _visible_handoff(request, session, handoff_id)
        if handoff.status != QUEUED:
            raise ApiError(409, "not_queued", f"Handoff {handoff_id} is {handoff.status}, not waiting.")
        assign(handoff, agent)
        return json({"id": handoff.id, "status": handoff.status, "agent_id": agent.id})


async def _assigned_to_me(request: Request, session, handoff_id: int):
    agent, handoff = await _visible_handoff(request, session, handoff_id)
    if handoff.status != ASSIGNED:
        raise ApiError(409, "not_assigned", f"Handoff {handoff_id} is {handoff.status}; accept it first.")
    if handoff.agent_id != agent.id:
        raise ApiError(403, "forbidden", f"Handoff {handoff_id} is assigned to another agent.")
    return agent, handoff


@bp.post("/handoffs/<handoff_id:int>/messages")
async def agent_message(request: Request, handoff_id: int) -> HTTPResponse:
    """The assigned agent writes to the customer (card numbers redacted before storing)."""
    body = json_object(request)
    text = redact_card_numbers(required_text(body, "text", request.app.ctx.settings.max_message_chars))
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _assigned_to_me(request, session, handoff_id)
        conversation = await session.get(Conversation, handoff.conversation_id)
        message = await add_message(session, conversation, "agent", text, {"agent": agent.display_name})
        return json({"id": message.id, "text": text}, status=201)


@bp.post("/handoffs/<handoff_id:int>/close")
async def close(request: Request, handoff_id: int) -> HTTPResponse:
    """Close with a disposition and wrap-up notes; the bot resumes to thank and survey the customer."""
    body = json_object(request)
    disposition = required_text(body, "disposition", 32)
    if disposition not in DISPOSITIONS:
        raise ApiError(400, "invalid_field", f"'disposition' must be one of: {', '.join(DISPOSITIONS)}.")
    wrap_up = str(body.get("wrap_up") or "")[:WRAP_UP_MAX_CHARS]
    async with request.app.ctx.sessions() as session, session.begin():
        _agent, handoff = await _assigned_to_me(request, session, handoff_id)
        handoff.disposition = disposition
        handoff.wrap_up = redact_card_numbers(wrap_up)
        conversation = await session.get(Conversation, handoff.conversation_id)
        end(handoff, conversation, CLOSED)
        conversation_id = conversation.id
    replies = []
    if disposition != "spam":
        try:
            replies = await request.app.ctx.rasa.trigger_intent(conversation_id, CLOSING_INTENT)
        except RasaUnavailable:
            replies = []  # closing must not fail because the bot is down; the survey is skipped
        async with request.app.ctx.sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            await add_bot_replies(session, conversation, replies)
    return json({"id": handoff_id, "status": CLOSED, "disposition": disposition, "bot_replies": len(replies)})


@bp.put("/me/presence")
async def set_presence(request: Request) -> HTTPResponse:
    """Available, away or offline."""
    body = json_object(request)
    presence = required_text(body, "presence", 16)
    if presence not in PRESENCES:
        raise ApiError(400, "invalid_field", f"'presence' must be one of: {', '.join(PRESENCES)}.")
    async with request.app.ctx.sessions() as session, session.begin():
        agent = await current_agent(request, session)
        agent.presence = presence
        return json(agent_json(agent))


@bp.post("/handoffs/<handoff_id:int>/notes")
async def internal_note(request: Request, handoff_id: int) -> HTTPResponse:
    """An internal note on the conversation: agents see it, the customer never does."""
    body = json_object(request)
    text = redact_card_numbers(required_text(body, "text", NOTE_MAX_CHARS))
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _visible_handoff(request, session, handoff_id)
        conversation = await session.get(Conversation, handoff.conversation_id)
        note = await add_message(session, conversation, "note", text, {"agent": agent.display_name})
        return json({"id": note.id, "text": text}, status=201)


@bp.post("/handoffs/<handoff_id:int>/transfer")
async def transfer(request: Request, handoff_id: int) -> HTTPResponse:
    """Move the conversation to another queue, or straight to an agent, with a note for them."""
    body = json_object(request)
    note = redact_card_numbers(required_text(body, "note", NOTE_MAX_CHARS))
    queue = body.get("queue")
    target_agent = body.get("agent_id")
    if (queue is None) == (target_agent is None):
        raise ApiError(400, "invalid_field", "Give either 'queue' or 'agent_id'.")
    routing = request.app.ctx.routing
    if queue is not None and queue not in routing.queues:
        raise ApiError(400, "invalid_field", f"Unknown queue {queue!r}; known: {', '.join(sorted(routing.queues))}.")
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _assigned_to_me(request, session, handoff_id)
        conversation = await session.get(Conversation, handoff.conversation_id)
        if queue is not None:
            handoff.queue = queue
            handoff.status = QUEUED
            handoff.agent_id = None
            handoff.assigned_at = None
            destination = f"queue {queue}"
        else:
            if not isinstance(target_agent, int):
                raise ApiError(400, "invalid_field", "'agent_id' must be a number.")
            colleague = await session.get(Agent, target_agent)
            if colleague is None:
                raise ApiError(400, "invalid_field", f"There is no agent {target_agent}.")
            assign(handoff, colleague)
            destination = f"agent {colleague.display_name}"
        await add_message(session, conversation, "note", f"Transferred to {destination}: {note}",
                          {"agent": agent.display_name, "transfer": destination})
        return json({"id": handoff.id, "status": handoff.status, "queue": handoff.queue, "agent_id": handoff.agent_id})


@bp.post("/queues/next")
async def accept_next(request: Request) -> HTTPResponse:
    """Take the most urgent waiting conversation this agent can serve, if below capacity."""
    async with request.app.ctx.sessions() as session, session.begin():
        agent = await current_agent(request, session)
        active = (
            await session.execute(
                select(func.count(Handoff.id)).where(Handoff.agent_id == agent.id, Handoff.status == ASSIGNED)
            )
        ).scalar_one()
        if active >= agent.capacity:
            raise ApiError(409, "at_capacity", f"You already have {active} conversations (capacity {agent.capacity}).")
        candidates = (
            await session.execute(
                select(Handoff)
                .where(Handoff.status == QUEUED, Handoff.queue.in_(visible_queues(agent, request)))
                .order_by(Handoff.priority.desc(), Handoff.id)
            )
        ).scalars()
        languages = agent.languages or []
        for handoff in candidates:
            senior_needed = (handoff.routing or {}).get("senior_required", False)
            if handoff.language in languages and (agent.senior or not senior_needed):
                assign(handoff, agent)
                return json({"id": handoff.id, "status": ASSIGNED, "queue": handoff.queue, "agent_id": agent.id})
        return json({"id": None, "status": "nothing_waiting"})
