"""The desk websocket, ``/ws/desk``: live queue changes, pushed assignments and customer messages.

Protocol (JSON text frames; see README, "Desk websocket"). The token is sent in the first
frame rather than the URL, so it never lands in access logs.

client -> server
    {"type": "auth", "token": "..."}        first frame, within AUTH_TIMEOUT seconds
    {"type": "watch", "handoff_id": 12}     follow a conversation's messages (if visible to you)
    {"type": "unwatch", "handoff_id": 12}
server -> client
    {"type": "ready", "agent": {...}}
    {"type": "queues_changed"} / {"type": "agents_changed"}     refresh the lists
    {"type": "assigned", "handoff_id", "queue"}                 a conversation was given to you
    {"type": "released", "handoff_id"}                          it is no longer yours (closed, transferred)
    {"type": "message", ..., "conversation_id"?, "handoff_id"?} a message in a conversation you may see
    {"type": "typing", "role": "customer", "handoff_id"}
    {"type": "session_ended", "reason"}                         logged out or expired; then close 4401
    {"type": "error", "error", "message"}

Access is checked at every event: the login must still be valid, and a conversation's events
reach the desk only while its agent may see that conversation (the HTTP rule, ``bot.access``).
A logout closes the desk's sockets at once.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

from sanic import Blueprint
from sanic.request import Request
from sqlalchemy import select

from bot.access import may_see, visible_handoff
from bot.api.ws_support import (
    CloseSocket, parse_frame, pump_events, run_connection, send_error, send_json, serve_frames,
)
from bot.auth import agent_for_token, agent_json, session_topic
from bot.db.models import Agent, Handoff
from bot.errors import ApiError
from bot.events import DESK, Subscription, agent_topic, conversation_topic
from bot.services import Services, services_of

bp = Blueprint("desk_ws")

AUTH_TIMEOUT = 10.0
# Events that carry no conversation data and are addressed to this desk alone or to every desk.
_NOTHING_TO_HIDE = {"queues_changed", "agents_changed", "released", "error"}


async def _authenticate(services: Services, ws: Any):
    """(agent, token) named by the first frame, or (None, None) after telling the client why."""
    try:
        frame = parse_frame(await asyncio.wait_for(ws.recv(), timeout=AUTH_TIMEOUT))
    except asyncio.TimeoutError:
        await send_error(ws, ApiError(401, "unauthorized", "Send {\"type\": \"auth\", \"token\": ...} first."))
        return None, None
    except ApiError as error:
        await send_error(ws, error)
        return None, None
    token = frame.get("token") if frame.get("type") == "auth" else None
    agent = None
    if isinstance(token, str) and 0 < len(token) <= 256:
        async with services.sessions() as session:
            agent = await agent_for_token(session, token)
    if agent is None:
        await send_error(ws, ApiError(401, "unauthorized", "The first frame must be {\"type\": \"auth\"} with a valid token."))
        return None, None
    return agent, token


class DeskConnection:
    """One open desk: its agent, login, subscriptions, and the check every event passes."""

    def __init__(self, services: Services, agent: Agent, token: str, subscription: Subscription) -> None:
        self.services = services
        self.agent = agent
        self.token = token
        self.subscription = subscription

    async def on_frame(self, frame: Dict[str, Any]) -> None:
        """watch / unwatch a conversation the agent may see."""
        kind = frame["type"]
        if kind not in ("watch", "unwatch"):
            raise ApiError(400, "invalid_frame", f"Unknown frame type {str(kind)[:40]!r}; use 'watch' or 'unwatch'.")
        handoff_id = frame.get("handoff_id")
        if not isinstance(handoff_id, int) or isinstance(handoff_id, bool):
            raise ApiError(400, "invalid_field", "'handoff_id' must be a number.")
        async with self.services.sessions() as session:
            agent = await self._still_logged_in(session)
            handoff = await visible_handoff(session, agent, self.services.routing, handoff_id)
        topic = conversation_topic(handoff.conversation_id)
        if kind == "watch":
            self.subscription.add(topic)
        else:
            self.subscription.remove(topic)

    async def _still_logged_in(self, session, reason: str = "expired") -> Agent:
        agent = await agent_for_token(session, self.token)
        if agent is None:
            raise CloseSocket(4401, "session ended", {"type": "session_ended", "reason": reason})
        self.agent = agent
        return agent

    async def _handoff_of(self, session, event: Dict[str, Any]) -> Optional[Handoff]:
        handoff_id = event.get("handoff_id")
        if handoff_id is None and event.get("type") in ("queue", "handoff"):
            handoff_id = event.get("id")
        if isinstance(handoff_id, int):
            return await session.get(Handoff, handoff_id)
        conversation_id = event.get("conversation_id")
        if isinstance(conversation_id, str):
            return (await session.execute(
                select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc()).limit(1)
            )).scalars().first()
        return None

    async def screen(self, event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """The event if this desk may have it now; None to drop it; CloseSocket when the login ended."""
        if event.get("type") == "session_ended":
            raise CloseSocket(4401, "session ended", event)
        async with self.services.sessions() as session:
            agent = await self._still_logged_in(session)
            if event.get("type") in _NOTHING_TO_HIDE:
                return event
            handoff = await self._handoff_of(session, event)
        if handoff is not None and may_see(agent, handoff, self.services.routing):
            return event
        if handoff is not None:
            self.subscription.remove(conversation_topic(handoff.conversation_id))
        return None

    async def idle(self) -> None:
        """Nothing happened for a while: check the login is still valid (expiry, logout elsewhere)."""
        async with self.services.sessions() as session:
            await self._still_logged_in(session)
        return None


@bp.websocket("/ws/desk")
async def desk_socket(request: Request, ws: Any) -> None:
    """Serve one desk until it closes."""
    services = services_of(request)
    agent, token = await _authenticate(services, ws)
    if agent is None:
        await ws.close(code=4401, reason="unauthorized")
        return
    topics = (DESK, agent_topic(agent.id), session_topic(token))
    with services.hub.subscribe(*topics) as subscription:
        connection = DeskConnection(services, agent, token, subscription)
        await services.hub.settled()  # "ready": events from every gateway instance reach this desk
        await send_json(ws, {"type": "ready", "agent": agent_json(agent)})
        await run_connection(
            ws, serve_frames(ws, connection.on_frame, subscription),
            pump_events(ws, subscription, connection.idle, screen=connection.screen),
        )
