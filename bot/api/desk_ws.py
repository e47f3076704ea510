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
    {"type": "message", ..., "conversation_id"?, "handoff_id"?} a message in a watched conversation
    {"type": "typing", "role": "customer", "handoff_id"}
    {"type": "error", "error", "message"}
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict

from sanic import Blueprint
from sanic.request import Request

from bot.access import visible_handoff
from bot.api.ws_support import parse_frame, pump_events, run_connection, send_error, send_json, serve_frames
from bot.auth import agent_for_token, agent_json
from bot.errors import ApiError
from bot.events import DESK, Subscription, agent_topic, conversation_topic

bp = Blueprint("desk_ws")

AUTH_TIMEOUT = 10.0


async def _authenticate(request: Request, ws: Any):
    """The agent named by the first frame's token, or None after telling the client why."""
    try:
        frame = parse_frame(await asyncio.wait_for(ws.recv(), timeout=AUTH_TIMEOUT))
    except asyncio.TimeoutError:
        await send_error(ws, ApiError(401, "unauthorized", "Send {\"type\": \"auth\", \"token\": ...} first."))
        return None
    except ApiError as error:
        await send_error(ws, error)
        return None
    token = frame.get("token") if frame.get("type") == "auth" else None
    async with request.app.ctx.sessions() as session:
        agent = await agent_for_token(session, token) if isinstance(token, str) else None
    if agent is None:
        await send_error(ws, ApiError(401, "unauthorized", "The first frame must be {\"type\": \"auth\"} with a valid token."))
    return agent


@bp.websocket("/ws/desk")
async def desk_socket(request: Request, ws: Any) -> None:
    """Serve one desk until it closes."""
    agent = await _authenticate(request, ws)
    if agent is None:
        await ws.close(code=4401, reason="unauthorized")
        return
    with request.app.ctx.events.subscribe(DESK, agent_topic(agent.id)) as subscription:
        await send_json(ws, {"type": "ready", "agent": agent_json(agent)})

        async def handle(frame: Dict[str, Any]) -> None:
            await _on_frame(request, agent, subscription, frame)

        await run_connection(ws, serve_frames(ws, handle, subscription), pump_events(ws, subscription))


async def _on_frame(request: Request, agent, subscription: Subscription, frame: Dict[str, Any]) -> None:
    kind = frame["type"]
    if kind not in ("watch", "unwatch"):
        raise ApiError(400, "invalid_frame", f"Unknown frame type {kind!r}; use 'watch' or 'unwatch'.")
    handoff_id = frame.get("handoff_id")
    if not isinstance(handoff_id, int) or isinstance(handoff_id, bool):
        raise ApiError(400, "invalid_field", "'handoff_id' must be a number.")
    async with request.app.ctx.sessions() as session:
        handoff = await visible_handoff(session, agent, request.app.ctx.routing, handoff_id)
    topic = conversation_topic(handoff.conversation_id)
    if kind == "watch":
        subscription.add(topic)
    else:
        subscription.remove(topic)
