"""The agent desk's JSON API, agent level: login, presence, queues, accepting the next conversation.

What an agent does inside one conversation is in ``desk_handoffs``; the supervisor's views in
``supervisor``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty, json
from sqlalchemy import select

from bot.access import visible_queues
from bot.api.request_body import json_object, required_text
from bot.auth import agent_json, bearer_token, current_agent, login, logout
from bot.db.models import Agent, Handoff
from bot.dispatch import active_chats, auto_assign, claim
from bot.errors import ApiError
from bot.events import DESK, Outbox
from bot.handoffs import ASSIGNED, QUEUED

bp = Blueprint("desk", url_prefix="/api")

CREDENTIAL_MAX_CHARS = 256
PRESENCES = ("available", "away", "offline")


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


@bp.get("/me/handoffs")
async def my_handoffs(request: Request) -> HTTPResponse:
    """The conversations this agent holds now."""
    async with request.app.ctx.sessions() as session:
        agent = await current_agent(request, session)
        rows = (await session.execute(
            select(Handoff).where(Handoff.agent_id == agent.id, Handoff.status == ASSIGNED).order_by(Handoff.assigned_at)
        )).scalars()
        return json({"handoffs": [
            {"id": h.id, "queue": h.queue, "language": h.language, "reason": h.reason,
             "summary": (h.context or {}).get("summary"), "channel": (h.context or {}).get("channel")}
            for h in rows
        ]})


@bp.get("/agents")
async def colleagues(request: Request) -> HTTPResponse:
    """Colleagues an agent can transfer to: name, presence, skills and languages."""
    async with request.app.ctx.sessions() as session:
        await current_agent(request, session)
        agents = (await session.execute(select(Agent).order_by(Agent.display_name))).scalars()
        return json({"agents": [
            {"id": a.id, "display_name": a.display_name, "presence": a.presence, "skills": a.skills,
             "languages": a.languages} for a in agents
        ]})


@bp.get("/queues")
async def queues(request: Request) -> HTTPResponse:
    """The queues this agent may serve, each with its waiting conversations in serving order."""
    now = datetime.now(timezone.utc)
    async with request.app.ctx.sessions() as session:
        agent = await current_agent(request, session)
        names = visible_queues(agent, request.app.ctx.routing)
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


@bp.put("/me/presence")
async def set_presence(request: Request) -> HTTPResponse:
    """Available, away or offline; becoming available may bring pushed work."""
    body = json_object(request)
    presence = required_text(body, "presence", 16)
    if presence not in PRESENCES:
        raise ApiError(400, "invalid_field", f"'presence' must be one of: {', '.join(PRESENCES)}.")
    async with request.app.ctx.sessions() as session, session.begin():
        agent = await current_agent(request, session)
        agent.presence = presence
        result = agent_json(agent)
    request.app.ctx.events.publish(DESK, {"type": "agents_changed"})
    if presence == "available":
        await auto_assign(request.app)
    return json(result)


@bp.post("/queues/next")
async def accept_next(request: Request) -> HTTPResponse:
    """Take the most urgent waiting conversation this agent can serve, if below capacity."""
    outbox = Outbox()
    async with request.app.ctx.sessions() as session, session.begin():
        agent = await current_agent(request, session)
        active = (await active_chats(session)).get(agent.id, 0)
        if active >= agent.capacity:
            raise ApiError(409, "at_capacity", f"You already have {active} conversations (capacity {agent.capacity}).")
        candidates = (
            await session.execute(
                select(Handoff)
                .where(Handoff.status == QUEUED, Handoff.queue.in_(visible_queues(agent, request.app.ctx.routing)))
                .order_by(Handoff.priority.desc(), Handoff.id)
            )
        ).scalars().all()
        languages = agent.languages or []
        taken = None
        for handoff in candidates:
            senior_needed = (handoff.routing or {}).get("senior_required", False)
            if handoff.language in languages and (agent.senior or not senior_needed):
                if await claim(session, handoff, agent, outbox):
                    taken = {"id": handoff.id, "status": ASSIGNED, "queue": handoff.queue, "agent_id": agent.id}
                    break
    outbox.publish(request.app.ctx.events)
    return json(taken or {"id": None, "status": "nothing_waiting"})
