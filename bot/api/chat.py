"""``POST /api/chat``: one customer turn in, the bot's replies out."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot import idempotency
from bot.api.request_body import json_object, optional_object, required_text
from bot.conversations import CUSTOMER_VISIBLE_ROLES, latest_conversation, list_messages, message_event
from bot.customer_turns import customer_turn
from bot.errors import ApiError
from bot.leaving import leave_queue as leave
from bot.presence import customer_seen
from bot.services import services_of

bp = Blueprint("chat", url_prefix="/api")

SENDER_MAX_CHARS = 128
CHANNEL = "chat"


@bp.post("/chat")
async def chat(request: Request) -> HTTPResponse:
    """Store the customer's message (redacted), ask Rasa, store and return the replies.

    With an ``Idempotency-Key`` header, a retry of the same turn gets the first answer.
    """
    services = services_of(request)
    key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
    body = json_object(request)
    sender = required_text(body, "sender", SENDER_MAX_CHARS)
    text = required_text(body, "message", services.settings.max_message_chars)
    metadata = optional_object(body, "metadata")
    result = await customer_turn(services, CHANNEL, sender, text, metadata, client_message_id=key)
    return json({"conversation_id": result.conversation_id, "replies": result.replies, "handoff": result.handoff})


@bp.get("/chat/history")
async def history(request: Request) -> HTTPResponse:
    """Messages of the sender's latest conversation after message ``after`` (bot, agent, customer)."""
    services = services_of(request)
    sender = (request.args.get("sender") or "").strip()
    if not sender or len(sender) > SENDER_MAX_CHARS:
        raise ApiError(400, "invalid_field", "The query parameter 'sender' is required (1-128 characters).")
    raw_after = request.args.get("after", "0")
    if not raw_after.isdigit() or len(raw_after) > 18:
        raise ApiError(400, "invalid_field", "The query parameter 'after' must be a message id (a whole number).")
    async with services.transaction() as session:
        conversation = await latest_conversation(session, CHANNEL, sender)
        if conversation is None:
            raise ApiError(404, "not_found", "There is no conversation for this sender.")
        customer_seen(conversation)
        messages = await list_messages(session, conversation.id)
    after = int(raw_after)
    return json(
        {
            "conversation_id": conversation.id,
            "status": conversation.status,
            "messages": [message_event(m) for m in messages if m.id > after and m.role in CUSTOMER_VISIBLE_ROLES],
        }
    )


@bp.post("/chat/leave-queue")
async def leave_queue(request: Request) -> HTTPResponse:
    """The customer stops waiting: recorded as abandoned, or as a callback request with a phone number."""
    body = json_object(request)
    sender = required_text(body, "sender", SENDER_MAX_CHARS)
    return json(await leave(services_of(request), CHANNEL, sender, body.get("callback_phone")))
