"""The agent desk's JSON API inside one conversation: context, live messages, notes, transfer,
close with a disposition, hand back to the bot, and canned responses."""

from __future__ import annotations

from typing import Any, Dict, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.languages import LANGUAGES
from bot.access import require_assigned_to, visible_handoff
from bot.api.request_body import json_object, required_text
from bot.auth import current_agent
from bot.canned import canned_responses
from bot.conversations import add_bot_replies, add_message, list_messages, message_event
from bot.customer_turns import add_notice
from bot.db.models import Agent, Conversation, Handoff
from bot.dispatch import announce_assignment, auto_assign, claim
from bot.errors import ApiError, RasaUnavailable
from bot.events import DESK, Outbox, agent_topic, conversation_topic
from bot.handoffs import ASSIGNED, CLOSED, HANDED_BACK, QUEUED, end
from bot.redaction import redact_card_numbers

bp = Blueprint("desk_handoffs", url_prefix="/api")

WRAP_UP_MAX_CHARS = 4000
NOTE_MAX_CHARS = 2000
DISPOSITIONS = ("resolved", "not_resolved", "follow_up_needed", "callback_scheduled", "spam")
# What Rasa hears when an agent closes: the bot thanks the customer and runs the survey.
CLOSING_INTENT = "goodbye"


async def _load(request: Request, session: AsyncSession, handoff_id: int) -> Tuple[Agent, Handoff]:
    agent = await current_agent(request, session)
    return agent, await visible_handoff(session, agent, request.app.ctx.routing, handoff_id)


async def _held(request: Request, session: AsyncSession, handoff_id: int) -> Tuple[Agent, Handoff]:
    agent, handoff = await _load(request, session, handoff_id)
    require_assigned_to(handoff, agent)
    return agent, handoff


def handoff_json(handoff: Handoff) -> Dict[str, Any]:
    """A handoff as the desk shows it, with its context packet."""
    return {
        "id": handoff.id, "conversation_id": handoff.conversation_id, "status": handoff.status,
        "queue": handoff.queue, "reason": handoff.reason, "language": handoff.language,
        "priority": handoff.priority, "sla_seconds": handoff.sla_seconds, "agent_id": handoff.agent_id,
        "created_at": handoff.created_at.isoformat(), "routing": handoff.routing, "context": handoff.context,
        "disposition": handoff.disposition,
    }


@bp.get("/handoffs/<handoff_id:int>")
async def handoff_detail(request: Request, handoff_id: int) -> HTTPResponse:
    """A handed-over conversation with its whole context packet."""
    async with request.app.ctx.sessions() as session:
        _agent, handoff = await _load(request, session, handoff_id)
        return json(handoff_json(handoff))


@bp.get("/handoffs/<handoff_id:int>/messages")
async def conversation_messages(request: Request, handoff_id: int) -> HTTPResponse:
    """The live transcript after message ``after``: customer, bot, agent, notes and system lines."""
    raw_after = request.args.get("after", "0")
    if not raw_after.isdigit():
        raise ApiError(400, "invalid_field", "The query parameter 'after' must be a message id (a whole number).")
    async with request.app.ctx.sessions() as session:
        _agent, handoff = await _load(request, session, handoff_id)
        messages = await list_messages(session, handoff.conversation_id)
    after = int(raw_after)
    return json({"messages": [message_event(m) for m in messages if m.id > after]})


@bp.post("/handoffs/<handoff_id:int>/accept")
async def accept(request: Request, handoff_id: int) -> HTTPResponse:
    """Take a queued conversation."""
    outbox = Outbox()
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _load(request, session, handoff_id)
        if handoff.status != QUEUED or not await claim(session, handoff, agent, outbox):
            raise ApiError(409, "not_queued", f"Handoff {handoff_id} is {handoff.status}, not waiting.")
        result = {"id": handoff.id, "status": ASSIGNED, "agent_id": agent.id}
    outbox.publish(request.app.ctx.events)
    return json(result)


@bp.post("/handoffs/<handoff_id:int>/messages")
async def agent_message(request: Request, handoff_id: int) -> HTTPResponse:
    """The assigned agent writes to the customer (card numbers redacted before storing)."""
    body = json_object(request)
    text = redact_card_numbers(required_text(body, "text", request.app.ctx.settings.max_message_chars))
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _held(request, session, handoff_id)
        conversation = await session.get(Conversation, handoff.conversation_id)
        message = await add_message(session, conversation, "agent", text, {"agent": agent.display_name})
        event = message_event(message)
    request.app.ctx.events.publish(conversation_topic(handoff.conversation_id), event)
    return json({"id": message.id, "text": text}, status=201)


@bp.post("/handoffs/<handoff_id:int>/typing")
async def agent_typing(request: Request, handoff_id: int) -> HTTPResponse:
    """The assigned agent is typing: the customer's client shows it."""
    async with request.app.ctx.sessions() as session:
        agent, handoff = await _held(request, session, handoff_id)
    request.app.ctx.events.publish(
        conversation_topic(handoff.conversation_id), {"type": "typing", "role": "agent", "agent": agent.display_name}
    )
    return json({"ok": True})


@bp.post("/handoffs/<handoff_id:int>/notes")
async def internal_note(request: Request, handoff_id: int) -> HTTPResponse:
    """An internal note on the conversation: agents see it, the customer never does."""
    body = json_object(request)
    text = redact_card_numbers(required_text(body, "text", NOTE_MAX_CHARS))
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _load(request, session, handoff_id)
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
    if target_agent is not None and (not isinstance(target_agent, int) or isinstance(target_agent, bool)):
        raise ApiError(400, "invalid_field", "'agent_id' must be a number.")
    outbox = Outbox()
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _held(request, session, handoff_id)
        conversation = await session.get(Conversation, handoff.conversation_id)
        if queue is not None:
            handoff.queue, handoff.status, handoff.agent_id, handoff.assigned_at = queue, QUEUED, None, None
            destination = f"queue {queue}"
        else:
            colleague = await session.get(Agent, target_agent)
            if colleague is None:
                raise ApiError(400, "invalid_field", f"There is no agent {target_agent}.")
            handoff.agent_id = colleague.id
            await announce_assignment(session, handoff, colleague, outbox)
            destination = f"agent {colleague.display_name}"
        await add_message(session, conversation, "note", f"Transferred to {destination}: {note}",
                          {"agent": agent.display_name, "transfer": destination})
        outbox.add(DESK, {"type": "queues_changed"})
        result = {"id": handoff.id, "status": handoff.status, "queue": handoff.queue, "agent_id": handoff.agent_id}
    outbox.publish(request.app.ctx.events)
    await auto_assign(request.app)
    return json(result)


@bp.post("/handoffs/<handoff_id:int>/close")
async def close(request: Request, handoff_id: int) -> HTTPResponse:
    """Close with a disposition and wrap-up notes; the bot resumes to thank and survey the customer."""
    body = json_object(request)
    disposition = required_text(body, "disposition", 32)
    if disposition not in DISPOSITIONS:
        raise ApiError(400, "invalid_field", f"'disposition' must be one of: {', '.join(DISPOSITIONS)}.")
    wrap_up = body.get("wrap_up") or ""
    if not isinstance(wrap_up, str):
        raise ApiError(400, "invalid_field", "'wrap_up' must be a string.")
    async with request.app.ctx.sessions() as session, session.begin():
        _agent, handoff = await _held(request, session, handoff_id)
        handoff.disposition = disposition
        handoff.wrap_up = redact_card_numbers(wrap_up[:WRAP_UP_MAX_CHARS])
        conversation = await session.get(Conversation, handoff.conversation_id)
        end(handoff, conversation, CLOSED)
        conversation_id = conversation.id
    events = request.app.ctx.events
    events.publish(conversation_topic(conversation_id), {"type": "handoff", "id": handoff_id, "status": CLOSED})
    events.publish(DESK, {"type": "queues_changed"})
    replies = []
    if disposition != "spam":
        try:
            replies = await request.app.ctx.rasa.trigger_intent(conversation_id, CLOSING_INTENT)
        except RasaUnavailable:
            replies = []  # closing must not fail because the bot is down; the survey is skipped
        async with request.app.ctx.sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            for message in await add_bot_replies(session, conversation, replies):
                events.publish(conversation_topic(conversation_id), message_event(message))
    await auto_assign(request.app)
    return json({"id": handoff_id, "status": CLOSED, "disposition": disposition, "bot_replies": len(replies)})


@bp.post("/handoffs/<handoff_id:int>/handback")
async def hand_back(request: Request, handoff_id: int) -> HTTPResponse:
    """Give the conversation back to the bot without closing the contact (no survey yet)."""
    outbox = Outbox()
    async with request.app.ctx.sessions() as session, session.begin():
        agent, handoff = await _held(request, session, handoff_id)
        conversation = await session.get(Conversation, handoff.conversation_id)
        end(handoff, conversation, HANDED_BACK)
        await add_message(session, conversation, "note", "Handed back to the bot", {"agent": agent.display_name})
        await add_notice(session, conversation, "handed_back", outbox)
        outbox.add(conversation_topic(conversation.id), {"type": "handoff", "id": handoff.id, "status": HANDED_BACK})
        outbox.add(agent_topic(agent.id), {"type": "released", "handoff_id": handoff.id})
        outbox.add(DESK, {"type": "queues_changed"})
    outbox.publish(request.app.ctx.events)
    await auto_assign(request.app)
    return json({"id": handoff_id, "status": HANDED_BACK})


@bp.get("/canned")
async def canned(request: Request) -> HTTPResponse:
    """Canned responses (the FAQ answers) in a language, for any logged-in agent."""
    language = request.args.get("language", "en")
    if language not in LANGUAGES:
        raise ApiError(400, "invalid_field", f"'language' must be one of: {', '.join(LANGUAGES)}.")
    async with request.app.ctx.sessions() as session:
        await current_agent(request, session)
    return json({"responses": canned_responses(language)})
