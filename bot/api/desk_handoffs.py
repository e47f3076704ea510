"""The agent desk's JSON API inside one conversation: context, live messages, notes, transfer,
close with a disposition, hand back to the bot, and canned responses.

Every handler authenticates first (so a stranger learns nothing, not even the queue names),
then parses, calls one function of ``bot.desk`` and serialises.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot import desk
from bot.api.request_body import json_object, optional_json_object, required_text
from bot.auth import authenticated
from bot.canned import canned_responses
from bot.db.models import Agent, Handoff
from bot.errors import ApiError
from bot.lifecycle import WRAP_UP_MAX_CHARS, Override
from bot.services import services_of
from switchboard.languages import LANGUAGES

bp = Blueprint("desk_handoffs", url_prefix="/api")

NOTE_MAX_CHARS = 2000
REASON_MAX_CHARS = 500


def handoff_json(handoff: Handoff) -> Dict[str, Any]:
    """A handoff as the desk shows it, with its context packet."""
    return {
        "id": handoff.id, "conversation_id": handoff.conversation_id, "status": handoff.status,
        "queue": handoff.queue, "reason": handoff.reason, "language": handoff.language,
        "priority": handoff.priority, "sla_seconds": handoff.sla_seconds, "agent_id": handoff.agent_id,
        "created_at": handoff.created_at.isoformat(), "routing": handoff.routing, "context": handoff.context,
        "disposition": handoff.disposition,
    }


def _override(body: Dict[str, Any], agent: Agent) -> Optional[Override]:
    """``{"override": true, "reason": "..."}``: a supervisor bypasses the routing rule, with a reason."""
    flag = body.get("override", False)
    if not isinstance(flag, bool):
        raise ApiError(400, "invalid_field", "'override' must be true or false.")
    if not flag:
        return None
    return Override(by=agent, reason=required_text(body, "reason", REASON_MAX_CHARS))


def _id(body: Dict[str, Any], field: str) -> Optional[int]:
    value = body.get(field)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ApiError(400, "invalid_field", f"'{field}' must be a number.")
    return value


@bp.get("/handoffs/<handoff_id:int>")
async def handoff_detail(request: Request, handoff_id: int) -> HTTPResponse:
    """A handed-over conversation with its whole context packet."""
    services = services_of(request)
    agent = await authenticated(services, request)
    return json(handoff_json(await desk.handoff_of(services, agent, handoff_id)))


@bp.get("/handoffs/<handoff_id:int>/messages")
async def conversation_messages(request: Request, handoff_id: int) -> HTTPResponse:
    """The live transcript after message ``after``: customer, bot, agent, notes and system lines."""
    services = services_of(request)
    agent = await authenticated(services, request)
    raw_after = request.args.get("after", "0")
    if not raw_after.isdigit() or len(raw_after) > 18:
        raise ApiError(400, "invalid_field", "The query parameter 'after' must be a message id (a whole number).")
    return json({"messages": await desk.messages_of(services, agent, handoff_id, int(raw_after))})


@bp.post("/handoffs/<handoff_id:int>/accept")
async def accept(request: Request, handoff_id: int) -> HTTPResponse:
    """Take a queued conversation (supervisors may override the routing rule, with a reason)."""
    services = services_of(request)
    agent = await authenticated(services, request)
    override = _override(optional_json_object(request), agent)
    return json(await desk.accept(services, agent, handoff_id, override))


@bp.post("/handoffs/<handoff_id:int>/messages")
async def agent_message(request: Request, handoff_id: int) -> HTTPResponse:
    """The assigned agent writes to the customer (card numbers redacted before storing)."""
    services = services_of(request)
    agent = await authenticated(services, request)
    text = required_text(json_object(request), "text", services.settings.max_message_chars)
    return json(await desk.write_to_customer(services, agent, handoff_id, text), status=201)


@bp.post("/handoffs/<handoff_id:int>/typing")
async def agent_typing(request: Request, handoff_id: int) -> HTTPResponse:
    """The assigned agent is typing: the customer's client shows it."""
    services = services_of(request)
    await desk.typing(services, await authenticated(services, request), handoff_id)
    return json({"ok": True})


@bp.post("/handoffs/<handoff_id:int>/notes")
async def internal_note(request: Request, handoff_id: int) -> HTTPResponse:
    """An internal note on the conversation: agents see it, the customer never does."""
    services = services_of(request)
    agent = await authenticated(services, request)
    text = required_text(json_object(request), "text", NOTE_MAX_CHARS)
    return json(await desk.add_note(services, agent, handoff_id, text), status=201)


@bp.post("/handoffs/<handoff_id:int>/transfer")
async def transfer(request: Request, handoff_id: int) -> HTTPResponse:
    """Move the conversation to another queue, or straight to a colleague, with a note for them."""
    services = services_of(request)
    agent = await authenticated(services, request)
    body = json_object(request)
    note = required_text(body, "note", NOTE_MAX_CHARS)
    queue, colleague = body.get("queue"), _id(body, "agent_id")
    if queue is not None and not isinstance(queue, str):
        raise ApiError(400, "invalid_field", "'queue' must be a queue name.")
    result = await desk.transfer(services, agent, handoff_id, note, queue=queue, colleague_id=colleague,
                                 override=_override(body, agent))
    return json(result)


@bp.post("/handoffs/<handoff_id:int>/close")
async def close(request: Request, handoff_id: int) -> HTTPResponse:
    """Close with a disposition and wrap-up notes; the bot resumes to thank and survey the customer."""
    services = services_of(request)
    agent = await authenticated(services, request)
    body = json_object(request)
    disposition = required_text(body, "disposition", 32)
    wrap_up = body.get("wrap_up") or ""
    if not isinstance(wrap_up, str):
        raise ApiError(400, "invalid_field", "'wrap_up' must be a string.")
    if len(wrap_up) > WRAP_UP_MAX_CHARS:
        raise ApiError(413, "field_too_long", f"'wrap_up' is at most {WRAP_UP_MAX_CHARS} characters.")
    return json(await desk.close_conversation(services, agent, handoff_id, disposition, wrap_up))


@bp.post("/handoffs/<handoff_id:int>/handback")
async def hand_back(request: Request, handoff_id: int) -> HTTPResponse:
    """Give the conversation back to the bot without closing the contact (no survey yet)."""
    services = services_of(request)
    return json(await desk.give_back(services, await authenticated(services, request), handoff_id))


@bp.get("/canned")
async def canned(request: Request) -> HTTPResponse:
    """Canned responses (the FAQ answers) in a language, for any logged-in agent."""
    await authenticated(services_of(request), request)
    language = request.args.get("language", "en")
    if language not in LANGUAGES:
        raise ApiError(400, "invalid_field", f"'language' must be one of: {', '.join(LANGUAGES)}.")
    return json({"responses": canned_responses(language)})
