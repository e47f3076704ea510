"""The agent desk's JSON API, agent level: login, presence, queues, accepting the next conversation.

What an agent does inside one conversation is in ``desk_handoffs``; the supervisor's views in
``supervisor``. Handlers parse, call one domain function (``bot.desk``, ``bot.auth``) and
serialise.
"""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty, json
from bot import desk
from bot.api.request_body import json_object, required_text
from bot.auth import agent_json, authenticated, bearer_token, login, logout
from bot.services import services_of

bp = Blueprint("desk", url_prefix="/api")

CREDENTIAL_MAX_CHARS = 256


def client_address(request: Request) -> str:
    """The client's address (behind a proxy, Sanic's forwarded-header settings decide)."""
    return request.remote_addr or request.ip or "unknown"


@bp.post("/auth/login")
async def login_route(request: Request) -> HTTPResponse:
    """Exchange a username and password for a bearer token (throttled after wrong passwords)."""
    body = json_object(request)
    username = required_text(body, "username", CREDENTIAL_MAX_CHARS)
    password = required_text(body, "password", CREDENTIAL_MAX_CHARS)
    token, agent = await login(services_of(request), username, password, client_address(request))
    return json({"token": token, "agent": agent_json(agent)})


@bp.post("/auth/logout")
async def logout_route(request: Request) -> HTTPResponse:
    """End the session of the token sent; its desk websockets close at once."""
    services = services_of(request)
    await authenticated(services, request)
    await logout(services, bearer_token(request))
    return empty()


@bp.get("/me")
async def me(request: Request) -> HTTPResponse:
    """The logged-in agent."""
    return json(agent_json(await authenticated(services_of(request), request)))


@bp.get("/me/handoffs")
async def my_handoffs(request: Request) -> HTTPResponse:
    """The conversations this agent holds now."""
    services = services_of(request)
    return json({"handoffs": await desk.held_by(services, await authenticated(services, request))})


@bp.get("/agents")
async def colleagues(request: Request) -> HTTPResponse:
    """Colleagues an agent can transfer to: name, presence, skills and languages."""
    services = services_of(request)
    await authenticated(services, request)
    return json({"agents": await desk.colleagues(services)})


@bp.get("/queues")
async def queues(request: Request) -> HTTPResponse:
    """The queues this agent may serve, each with its waiting conversations in serving order."""
    services = services_of(request)
    return json({"queues": await desk.waiting(services, await authenticated(services, request))})


@bp.put("/me/presence")
async def set_presence(request: Request) -> HTTPResponse:
    """Available, away or offline; becoming available may bring pushed work."""
    services = services_of(request)
    agent = await authenticated(services, request)
    presence = required_text(json_object(request), "presence", 16)
    return json(agent_json(await desk.set_presence(services, agent, presence)))


@bp.post("/queues/next")
async def accept_next(request: Request) -> HTTPResponse:
    """Take the most urgent waiting conversation this agent may take now."""
    services = services_of(request)
    return json(await desk.accept_next(services, await authenticated(services, request)))
