"""The customer websocket, ``/ws/chat?sender=<id>``: the whole conversation in real time.

Protocol (JSON text frames; see README, "Customer websocket"):

client -> server
    {"type": "message", "text": "...", "metadata": {...}}   a customer turn
    {"type": "typing"}                                      the customer is typing (for the agent)
    {"type": "history", "after": 0}                         replay stored messages after an id
    {"type": "leave_queue", "callback_phone": "+44..."}     stop waiting (phone: callback instead)
server -> client
    {"type": "ready", "conversation_id": ..., "status": ...}
    {"type": "message", "id", "role": "customer|bot|agent", "text", "buttons", "agent", "at"}
    {"type": "queue", "status", "queue", "position", "estimated_wait_seconds", "open"}
    {"type": "handoff", "id", "status", "agent"?}           assigned, closed, handed back, abandoned
    {"type": "typing", "role": "agent"}
    {"type": "error", "error": "<code>", "message": "..."}  bad input; the connection stays open
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

from sanic import Blueprint
from sanic.request import Request

from bot.api.request_body import optional_object, required_text
from bot.api.ws_support import pump_events, run_connection, send_error, send_json, serve_frames
from bot.conversations import CUSTOMER_VISIBLE_ROLES, get_or_open, latest_conversation, list_messages, message_event
from bot.customer_turns import customer_turn
from bot.errors import ApiError
from bot.events import Subscription, agent_topic, conversation_topic
from bot.handoffs import active_handoff, public_status, queue_position
from bot.leaving import leave_queue
from bot.presence import heartbeat
from bot.services import Services, services_of
from bot.states import ConversationStatus, HandoffStatus

bp = Blueprint("chat_ws")

CHANNEL = "chat"
SENDER_MAX_CHARS = 128


class CustomerConnection:
    """One customer's open websocket: which conversation it follows, and its frame handlers."""

    def __init__(self, services: Services, sender: str, subscription: Subscription) -> None:
        self.services = services
        self.sender = sender
        self.subscription = subscription
        self.conversation_id: Optional[str] = None
        self.last_queue: Optional[Dict[str, Any]] = None
        self._heartbeat: Optional["asyncio.Task[None]"] = None

    def follow(self, conversation_id: str) -> None:
        """Listen to this conversation's events (and stop listening to a previous one); keep it alive."""
        if conversation_id != self.conversation_id:
            if self.conversation_id:
                self.subscription.remove(conversation_topic(self.conversation_id))
            self.subscription.add(conversation_topic(conversation_id))
            self.conversation_id = conversation_id
            self.stop()
            self._heartbeat = asyncio.create_task(heartbeat(self.services, conversation_id))

    def stop(self) -> None:
        """The connection is over: stop reporting the customer as present."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None

    async def handle(self, frame: Dict[str, Any]) -> None:
        """Dispatch one client frame."""
        handlers = {
            "message": self.on_message, "typing": self.on_typing,
            "history": self.on_history, "leave_queue": self.on_leave_queue,
        }
        handler = handlers.get(frame["type"])
        if handler is None:
            raise ApiError(400, "invalid_frame", f"Unknown frame type {str(frame['type'])[:40]!r}; "
                                                 f"use one of: {', '.join(handlers)}.")
        await handler(frame)

    async def on_message(self, frame: Dict[str, Any]) -> None:
        text = required_text(frame, "text", self.services.settings.max_message_chars)
        metadata = optional_object(frame, "metadata")
        async with self.services.transaction() as session:
            conversation = await get_or_open(session, CHANNEL, self.sender)
        self.follow(conversation.id)  # before the turn, so its events reach this client
        await customer_turn(self.services, CHANNEL, self.sender, text, metadata)

    async def on_typing(self, _frame: Dict[str, Any]) -> None:
        if not self.conversation_id:
            return
        async with self.services.sessions() as session:
            handoff = await active_handoff(session, self.conversation_id)
        if handoff is not None and handoff.status == HandoffStatus.ASSIGNED and handoff.agent_id is not None:
            self.services.hub.publish(agent_topic(handoff.agent_id),
                                      {"type": "typing", "role": "customer", "handoff_id": handoff.id})

    async def on_history(self, frame: Dict[str, Any]) -> None:
        after = frame.get("after", 0)
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
            raise ApiError(400, "invalid_field", "'after' must be a message id (a whole number).")
        async with self.services.sessions() as session:
            conversation = await latest_conversation(session, CHANNEL, self.sender)
            messages = await list_messages(session, conversation.id) if conversation else []
        for message in messages:
            if message.id > after and message.role in CUSTOMER_VISIBLE_ROLES:
                self.subscription.deliver(message_event(message))

    async def on_leave_queue(self, frame: Dict[str, Any]) -> None:
        await leave_queue(self.services, CHANNEL, self.sender, frame.get("callback_phone"))

    async def queue_refresh(self) -> Optional[Dict[str, Any]]:
        """While waiting, a fresh position and estimate when they change (checked when idle)."""
        if not self.conversation_id:
            return None
        async with self.services.sessions() as session:
            handoff = await active_handoff(session, self.conversation_id)
            if handoff is None or handoff.status != HandoffStatus.QUEUED:
                return None
            status = {"type": "queue", **public_status(handoff, await queue_position(session, handoff))}
        if status == self.last_queue:
            return None
        self.last_queue = status
        return status


@bp.websocket("/ws/chat")
async def customer_socket(request: Request, ws: Any) -> None:
    """Serve one customer's websocket until they go."""
    services = services_of(request)
    sender = (request.args.get("sender") or "").strip()
    if not sender or len(sender) > SENDER_MAX_CHARS:
        await send_error(ws, ApiError(400, "invalid_field", "The query parameter 'sender' is required (1-128 characters)."))
        await ws.close(code=4400, reason="sender required")
        return
    with services.hub.subscribe() as subscription:
        connection = CustomerConnection(services, sender, subscription)
        try:
            async with services.sessions() as session:
                conversation = await latest_conversation(session, CHANNEL, sender)
            status = None
            if conversation is not None and conversation.status != ConversationStatus.CLOSED:
                connection.follow(conversation.id)
                status = conversation.status
            await services.hub.settled()  # "ready": events from every gateway instance reach this client
            await send_json(ws, {"type": "ready", "conversation_id": connection.conversation_id, "status": status})
            await run_connection(
                ws, serve_frames(ws, connection.handle, subscription),
                pump_events(ws, subscription, connection.queue_refresh),
            )
        finally:
            connection.stop()
