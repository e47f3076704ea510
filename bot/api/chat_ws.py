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

from typing import Any, Dict, Optional

from sanic import Blueprint
from sanic.request import Request

from bot.api.ws_support import run_connection, send_error, send_json, serve_frames, pump_events
from bot.conversations import CUSTOMER_VISIBLE_ROLES, get_or_open, latest_conversation, list_messages, message_event
from bot.customer_turns import customer_turn
from bot.errors import ApiError
from bot.events import Subscription, agent_topic, conversation_topic
from bot.handoffs import ASSIGNED, QUEUED, active_handoff, public_status, queue_position
from bot.leaving import leave_queue, valid_phone
from bot.redaction import redact_card_numbers
from bot.api.request_body import optional_object, required_text

bp = Blueprint("chat_ws")

CHANNEL = "chat"
SENDER_MAX_CHARS = 128


class CustomerConnection:
    """One customer's open websocket: which conversation it follows, and its frame handlers."""

    def __init__(self, request: Request, ws: Any, sender: str, subscription: Subscription) -> None:
        self.app = request.app
        self.ws = ws
        self.sender = sender
        self.subscription = subscription
        self.conversation_id: Optional[str] = None
        self.last_queue: Optional[Dict[str, Any]] = None

    def follow(self, conversation_id: str) -> None:
        """Listen to this conversation's events (and stop listening to a previous one)."""
        if conversation_id != self.conversation_id:
            if self.conversation_id:
                self.subscription.remove(conversation_topic(self.conversation_id))
            self.subscription.add(conversation_topic(conversation_id))
            self.conversation_id = conversation_id

    async def handle(self, frame: Dict[str, Any]) -> None:
        """Dispatch one client frame."""
        handlers = {
            "message": self.on_message, "typing": self.on_typing,
            "history": self.on_history, "leave_queue": self.on_leave_queue,
        }
        handler = handlers.get(frame["type"])
        if handler is None:
            raise ApiError(400, "invalid_frame", f"Unknown frame type {frame['type']!r}; use one of: {', '.join(handlers)}.")
        await handler(frame)

    async def on_message(self, frame: Dict[str, Any]) -> None:
        text = redact_card_numbers(required_text(frame, "text", self.app.ctx.settings.max_message_chars))
        metadata = optional_object(frame, "metadata")
        async with self.app.ctx.sessions() as session, session.begin():
            conversation = await get_or_open(session, CHANNEL, self.sender)
        self.follow(conversation.id)  # before the turn, so its events reach this client
        await customer_turn(self.app, CHANNEL, self.sender, text, metadata)

    async def on_typing(self, _frame: Dict[str, Any]) -> None:
        if not self.conversation_id:
            return
        async with self.app.ctx.sessions() as session:
            handoff = await active_handoff(session, self.conversation_id)
        if handoff is not None and handoff.status == ASSIGNED and handoff.agent_id is not None:
            self.app.ctx.events.publish(agent_topic(handoff.agent_id), {"type": "typing", "role": "customer", "handoff_id": handoff.id})

    async def on_history(self, frame: Dict[str, Any]) -> None:
        after = frame.get("after", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ApiError(400, "invalid_field", "'after' must be a message id (a whole number).")
        async with self.app.ctx.sessions() as session:
            conversation = await latest_conversation(session, CHANNEL, self.sender)
            messages = await list_messages(session, conversation.id) if conversation else []
        for message in messages:
            if message.id > after and message.role in CUSTOMER_VISIBLE_ROLES:
                self.subscription.deliver(message_event(message))

    async def on_leave_queue(self, frame: Dict[str, Any]) -> None:
        phone = frame.get("callback_phone")
        if phone is not None and valid_phone(phone) is None:
            raise ApiError(400, "invalid_field", "'callback_phone' must be a phone number (6 to 32 digits).")
        await leave_queue(self.app, CHANNEL, self.sender, valid_phone(phone))

    async def queue_refresh(self) -> Optional[Dict[str, Any]]:
        """While waiting, a fresh position and estimate when they change (checked when idle)."""
        if not self.conversation_id:
            return None
        async with self.app.ctx.sessions() as session:
            handoff = await active_handoff(session, self.conversation_id)
            if handoff is None or handoff.status != QUEUED:
                return None
            status = {"type": "queue", **public_status(handoff, await queue_position(session, handoff))}
        if status == self.last_queue:
            return None
        self.last_queue = status
        return status


@bp.websocket("/ws/chat")
async def customer_socket(request: Request, ws: Any) -> None:
    """Serve one customer's websocket until they go."""
    sender = (request.args.get("sender") or "").strip()
    if not sender or len(sender) > SENDER_MAX_CHARS:
        await send_error(ws, ApiError(400, "invalid_field", "The query parameter 'sender' is required (1-128 characters)."))
        await ws.close(code=4400, reason="sender required")
        return
    with request.app.ctx.events.subscribe() as subscription:
        connection = CustomerConnection(request, ws, sender, subscription)
        async with request.app.ctx.sessions() as session:
            conversation = await latest_conversation(session, CHANNEL, sender)
        status = None
        if conversation is not None and conversation.status != "closed":
            connection.follow(conversation.id)
            status = conversation.status
        await send_json(ws, {"type": "ready", "conversation_id": connection.conversation_id, "status": status})
        await run_connection(
            ws, serve_frames(ws, connection.handle, subscription), pump_events(ws, subscription, connection.queue_refresh)
        )
