"""``POST /api/chat``: one customer turn in, the bot's replies out."""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.api.request_body import json_object, optional_object, required_text
from bot.conversations import add_bot_replies, add_message, get_or_open, latest_conversation, list_messages
from bot.errors import ApiError, RasaUnavailable
from bot.handoff import split_handoff
from bot.handoffs import ABANDONED, QUEUED, WITH_HUMANS, active_handoff, end, open_handoff, public_status, queue_position
from bot.redaction import redact_card_numbers

bp = Blueprint("chat", url_prefix="/api")

SENDER_MAX_CHARS = 128
CHANNEL = "chat"


def _public_reply(reply: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in reply.items() if k != "recipient_id"}


@bp.post("/chat")
async def chat(request: Request) -> HTTPResponse:
    """Store the customer's message (redacted), ask Rasa, store and return the replies."""
    settings = request.app.ctx.settings
    body = json_object(request)
    sender = required_text(body, "sender", SENDER_MAX_CHARS)
    text = redact_card_numbers(required_text(body, "message", settings.max_message_chars))
    metadata = optional_object(body, "metadata")

    sessions = request.app.ctx.sessions
    async with sessions() as session, session.begin():
        conversation = await get_or_open(session, CHANNEL, sender)
        await add_message(session, conversation, "customer", text)
        conversation_id = conversation.id
        # While people handle the conversation, the customer's messages are theirs, not Rasa's.
        if conversation.status == WITH_HUMANS:
            current = await active_handoff(session, conversation_id)
            if current is not None:
                status = public_status(current, await queue_position(session, current))
                return json({"conversation_id": conversation_id, "replies": [], "handoff": status})

    rasa = request.app.ctx.rasa
    replies = await rasa.send_message(conversation_id, text, {**metadata, "channel": CHANNEL, "external_id": sender})
    visible, signal = split_handoff(replies)
    tracker: Dict[str, Any] = {}
    if signal is not None:
        try:
            tracker = await rasa.tracker(conversation_id)
        except RasaUnavailable:
            pass  # the handoff still happens, with the transcript the gateway holds

    async with sessions() as session, session.begin():
        conversation = await get_or_open(session, CHANNEL, sender)
        await add_bot_replies(session, conversation, visible)
        status = None
        if signal is not None:
            handoff = await open_handoff(session, conversation, signal, tracker, request.app.ctx.routing, metadata)
            status = public_status(handoff, await queue_position(session, handoff))

    return json(
        {
            "conversation_id": conversation_id,
            "replies": [_public_reply(r) for r in visible],
            "handoff": status,
        }
    )


@bp.get("/chat/history")
async def history(request: Request) -> HTTPResponse:
    """Messages of the sender's latest conversation after message ``after`` (bot, agent, customer)."""
    sender = (request.args.get("sender") or "").strip()
    if not sender or len(sender) > SENDER_MAX_CHARS:
        raise ApiError(400, "invalid_field", "The query parameter 'sender' is required (1-128 characters).")
    raw_after = request.args.get("after", "0")
    if not raw_after.isdigit():
        raise ApiError(400, "invalid_field", "The query parameter 'after' must be a message id (a whole number).")
    async with request.app.ctx.sessions() as session:
        conversation = await latest_conversation(session, CHANNEL, sender)
        if conversation is None:
            raise ApiError(404, "not_found", "There is no conversation for this sender.")
        messages = await list_messages(session, conversation.id)
    after = int(raw_after)
    return json(
        {
            "conversation_id": conversation.id,
            "status": conversation.status,
            "messages": [
                {"id": m.id, "role": m.role, "text": m.text, "buttons": (m.payload or {}).get("buttons"),
                 "at": m.created_at.isoformat()}
                for m in messages
                if m.id > after and m.role in ("customer", "bot", "agent")
            ],
        }
    )


@bp.post("/chat/leave-queue")
async def leave_queue(request: Request) -> HTTPResponse:
    """The customer stops waiting: recorded as abandoned, or as a callback request with a phone number."""
    body = json_object(request)
    sender = required_text(body, "sender", SENDER_MAX_CHARS)
    phone = body.get("callback_phone")
    if phone is not None and (not isinstance(phone, str) or not phone.strip() or len(phone) > 32):
        raise ApiError(400, "invalid_field", "'callback_phone' must be a phone number (up to 32 characters).")
    async with request.app.ctx.sessions() as session, session.begin():
        conversation = await latest_conversation(session, CHANNEL, sender)
        current = await active_handoff(session, conversation.id) if conversation else None
        if current is None or current.status != QUEUED:
            raise ApiError(409, "not_queued", "This conversation is not waiting in a queue.")
        if phone:
            current.queue = "callback"
            current.context = {**(current.context or {}), "callback_phone": phone.strip()}
            await add_message(session, conversation, "system", "left the queue: callback requested")
        else:
            end(current, conversation, ABANDONED)
            await add_message(session, conversation, "system", "left the queue")
        return json({"id": current.id, "status": current.status, "queue": current.queue})
