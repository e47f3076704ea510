"""``GET /api/openapi.json``: the OpenAPI 3 description of the gateway's JSON API.

Kept next to the routes and checked by tests: every route is described, every answer matches
its declared schema, and the authorisation matrix (``tests/test_authorisation.py``) is
generated from each operation's ``x-roles`` (who may call it) and ``x-scope`` (``handoff``:
only for a conversation the caller may see).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.access import MAX_ID, OVERSEERS
from bot.auth import ROLES
from bot.events import HubBackend, HubState
from bot.idempotency import HEADER, KEY_PATTERN
from bot.lifecycle import DISPOSITIONS, WRAP_UP_MAX_CHARS
from bot.states import HandoffStatus, Presence
from bot.api.request_body import MAX_JSON_DEPTH
from bot.services import services_of
from bot.settings import DEFAULT_MAX_MESSAGE_CHARS
from switchboard.languages import LANGUAGES

bp = Blueprint("openapi", url_prefix="/api")

ALL_ROLES = ROLES
BEARER = [{"bearer": []}]


def _ref(name: str) -> Dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(max_length: int) -> Dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _object(properties: Dict[str, Any], required: Sequence[str] = ()) -> Dict[str, Any]:
    schema: Dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
NULLABLE_ID = {**ID, "nullable": True}
HANDOFF_ID = [{"name": "handoff_id", "in": "path", "required": True, "schema": ID}]
AFTER = {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}
IDEMPOTENCY_KEY = {
    "name": HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$"},
    "description": "the client's id for this customer message: a retry with the same id in the same conversation "
                   "gets the answer of the first request, and the message is stored and answered once "
                   "(400 invalid_idempotency_key when malformed)",
}
OVERRIDE = {"override": {"type": "boolean", "description": "supervisors and admins only: bypass the routing rule"},
            "reason": {**_text(500), "description": "why (required with override; logged)"}}

SCHEMAS: Dict[str, Any] = {
    "Error": _object({"error": {"type": "string"}, "message": {"type": "string"}}, ["error", "message"]),
    "Reply": _object({"text": {"type": "string", "nullable": True},
                      "buttons": {"type": "array", "items": {"type": "object"}}}),
    "QueueStatus": _object({
        "id": ID, "status": {"type": "string", "enum": list(HandoffStatus)},
        "queue": {"type": "string"}, "reason": {"type": "string"}, "position": {"type": "integer", "nullable": True},
        "estimated_wait_seconds": {"type": "integer", "minimum": 0}, "open": {"type": "boolean"},
    }, ["id", "status", "queue"]),
    "ChatAnswer": _object({
        "conversation_id": {"type": "string"}, "replies": {"type": "array", "items": _ref("Reply")},
        "handoff": {**_ref("QueueStatus"), "nullable": True},
    }, ["conversation_id", "replies", "handoff"]),
    "Message": _object({
        "type": {"type": "string", "enum": ["message"]}, "id": ID, "conversation_id": {"type": "string"},
        "role": {"type": "string", "enum": ["customer", "bot", "agent", "note", "system"]},
        "text": {"type": "string", "nullable": True}, "agent": {"type": "string", "nullable": True},
        "at": {"type": "string", "format": "date-time", "nullable": True},
    }, ["id", "role"]),
    "Agent": _object({
        "id": ID, "username": {"type": "string"}, "display_name": {"type": "string"},
        "role": {"type": "string", "enum": list(ALL_ROLES)}, "skills": {"type": "array", "items": {"type": "string"}},
        "languages": {"type": "array", "items": {"type": "string"}}, "senior": {"type": "boolean"},
        "site": {"type": "string"}, "presence": {"type": "string", "enum": list(Presence)},
        "capacity": {"type": "integer", "minimum": 0},
    }, ["id", "username", "role", "presence"]),
    "Handoff": _object({
        "id": ID, "conversation_id": {"type": "string"}, "status": {"type": "string"}, "queue": {"type": "string"},
        "reason": {"type": "string"}, "language": {"type": "string"}, "priority": {"type": "integer"},
        "sla_seconds": {"type": "integer"}, "agent_id": NULLABLE_ID, "created_at": {"type": "string"},
        "routing": {"type": "object"}, "context": {"type": "object"},
        "disposition": {"type": "string", "nullable": True},
    }, ["id", "conversation_id", "status", "queue", "context"]),
    "Moved": _object({"id": ID, "status": {"type": "string"}, "queue": {"type": "string"}, "agent_id": NULLABLE_ID},
                     ["id", "status"]),
}


def _op(summary: str, ok: str, ok_schema: Optional[Dict[str, Any]] = None, body: Optional[Dict[str, Any]] = None,
        roles: Optional[Sequence[str]] = ALL_ROLES, errors: Sequence[int] = (), scope: Optional[str] = None,
        parameters: Optional[List[Dict[str, Any]]] = None, body_required: bool = True) -> Dict[str, Any]:
    """One operation. ``roles``: who may call it (None: anyone, no token)."""
    codes = set(errors)
    if roles is not None:
        codes |= {401}
        if set(roles) != set(ALL_ROLES):
            codes |= {403}
    if scope == "handoff":
        codes |= {403, 404}
    if body:
        codes |= {400, 413, 415}
    ok_response: Dict[str, Any] = {"description": "OK"}
    if ok_schema is not None:
        ok_response["content"] = {"application/json": {"schema": ok_schema}}
    operation: Dict[str, Any] = {
        "summary": summary,
        "responses": {ok: ok_response, **{
            str(code): {"description": "Error", "content": {"application/json": {"schema": _ref("Error")}}}
            for code in sorted(codes)
        }},
        "x-roles": list(roles) if roles is not None else [],
    }
    if scope:
        operation["x-scope"] = scope
    if body:
        operation["requestBody"] = {"required": body_required,
                                    "content": {"application/json": {"schema": body}}}
    if roles is not None:
        operation["security"] = BEARER
    if parameters:
        operation["parameters"] = parameters
    return operation


def spec(max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS) -> Dict[str, Any]:
    """The whole document."""
    sender = _text(128)
    message = _text(max_message_chars)
    note = _text(2000)
    handoff_op = dict(scope="handoff", parameters=HANDOFF_ID)
    paths = {
        "/health": {"get": _op("Component health", "200", _object({
            "status": {"type": "string"}, "components": {"type": "object"},
            "event_hub": _object({"backend": {"type": "string", "enum": [b.value for b in HubBackend]},
                                  "state": {"type": "string", "enum": [s.value for s in HubState]},
                                  "instance": {"type": "string"}}, ["backend", "state"])}), roles=None)},
        "/api/chat": {"post": _op(
            "One customer turn: the bot's replies, or the handoff status while people handle it", "200",
            _ref("ChatAnswer"),
            _object({"sender": sender, "message": message,
                     "metadata": {"type": "object", "description": f"at most {MAX_JSON_DEPTH} levels deep"}},
                    ["sender", "message"]),
            roles=None, errors=(503,), parameters=[IDEMPOTENCY_KEY])},
        "/api/chat/history": {"get": _op(
            "Messages after a message id", "200",
            _object({"conversation_id": {"type": "string"}, "status": {"type": "string"},
                     "messages": {"type": "array", "items": _ref("Message")}}),
            roles=None, errors=(400, 404),
            parameters=[{"name": "sender", "in": "query", "required": True, "schema": sender}, AFTER])},
        "/api/chat/leave-queue": {"post": _op(
            "Stop waiting: abandoned, or a callback request with a phone number (never a card number)", "200",
            _ref("Moved"), _object({"sender": sender, "callback_phone": _text(32)}, ["sender"]), roles=None,
            errors=(409,))},
        "/api/auth/login": {"post": _op(
            "Log in; returns a bearer token. Wrong passwords slow down, then lock, the account (429)", "200",
            _object({"token": {"type": "string"}, "agent": _ref("Agent")}, ["token", "agent"]),
            _object({"username": _text(256), "password": _text(256)}, ["username", "password"]),
            roles=None, errors=(401, 429))},
        "/api/auth/logout": {"post": _op("End this session (its desk websockets close)", "204")},
        "/api/me": {"get": _op("The logged-in agent", "200", _ref("Agent"))},
        "/api/me/presence": {"put": _op("Set presence", "200", _ref("Agent"), _object(
            {"presence": {"type": "string", "enum": list(Presence)}}, ["presence"]))},
        "/api/me/handoffs": {"get": _op("The conversations this agent holds", "200",
                                        _object({"handoffs": {"type": "array", "items": {"type": "object"}}}))},
        "/api/agents": {"get": _op("Colleagues to transfer to (name, presence, skills, languages)", "200",
                                   _object({"agents": {"type": "array", "items": {"type": "object"}}}))},
        "/api/queues": {"get": _op("The agent's queues and who is waiting", "200",
                                   _object({"queues": {"type": "array", "items": {"type": "object"}}}))},
        "/api/queues/next": {"post": _op(
            "Accept the most urgent conversation this agent may take now (id null: nothing waiting)", "200",
            _object({"id": NULLABLE_ID, "status": {"type": "string", "enum": ["assigned", "nothing_waiting"]},
                     "queue": {"type": "string"}, "agent_id": ID}, ["id", "status"]), errors=(409,))},
        "/api/handoffs/{handoff_id}": {"get": _op("A handoff with its context packet", "200", _ref("Handoff"),
                                                  **handoff_op)},
        "/api/handoffs/{handoff_id}/accept": {"post": _op(
            "Take a queued conversation (409 not_eligible / at_capacity / not_queued)", "200", _ref("Moved"),
            _object(OVERRIDE), errors=(409,), body_required=False, **handoff_op)},
        "/api/handoffs/{handoff_id}/messages": {
            "post": _op("Write to the customer (the holder only)", "201",
                        _object({"id": ID, "text": {"type": "string"}}), _object({"text": message}, ["text"]),
                        errors=(409,), **handoff_op),
            "get": _op("The live transcript after a message id, notes included", "200",
                       _object({"messages": {"type": "array", "items": _ref("Message")}}), errors=(400,),
                       scope="handoff", parameters=HANDOFF_ID + [AFTER])},
        "/api/handoffs/{handoff_id}/notes": {"post": _op(
            "Internal note", "201", _object({"id": ID, "text": {"type": "string"}}),
            _object({"text": note}, ["text"]), **handoff_op)},
        "/api/handoffs/{handoff_id}/transfer": {"post": _op(
            "Transfer to a queue or a colleague (the same rule as accepting), with a note", "200", _ref("Moved"),
            _object({"queue": {"type": "string"}, "agent_id": ID, "note": note, **OVERRIDE}, ["note"]),
            errors=(409,), **handoff_op)},
        "/api/handoffs/{handoff_id}/close": {"post": _op(
            "Close with a disposition; the bot resumes for the survey", "200",
            _object({"id": ID, "status": {"type": "string"}, "disposition": {"type": "string"},
                     "bot_replies": {"type": "integer"}}),
            _object({"disposition": {"type": "string", "enum": list(DISPOSITIONS)},
                     "wrap_up": {"type": "string", "maxLength": WRAP_UP_MAX_CHARS}}, ["disposition"]),
            errors=(409,), **handoff_op)},
        "/api/handoffs/{handoff_id}/typing": {"post": _op("The agent is typing (shown to the customer)", "200",
                                                          _object({"ok": {"type": "boolean"}}), errors=(409,),
                                                          **handoff_op)},
        "/api/handoffs/{handoff_id}/handback": {"post": _op("Give the conversation back to the bot", "200",
                                                            _ref("Moved"), errors=(409,), **handoff_op)},
        "/api/canned": {"get": _op(
            "Canned responses (FAQ answers) in a language", "200",
            _object({"responses": {"type": "array", "items": {"type": "object"}}}), errors=(400,),
            parameters=[{"name": "language", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)}}])},
        "/api/supervisor/overview": {"get": _op(
            "Live queues against SLA, agents' states, escalations", "200",
            _object({"queues": {"type": "array"}, "agents": {"type": "array"}, "escalations": {"type": "array"}},
                    ["queues", "agents", "escalations"]), roles=OVERSEERS)},
        "/api/supervisor/kpis": {"get": _op(
            "Containment, wait, SLA, abandonment, AHT, FCR", "200", {"type": "object"}, roles=OVERSEERS,
            errors=(400,), parameters=[{"name": "hours", "in": "query",
                                        "schema": {"type": "integer", "minimum": 1, "maximum": 24 * 90}}])},
        "/api/openapi.json": {"get": _op("This document", "200", {"type": "object"}, roles=None)},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Switchboard gateway", "version": "0.2.0"},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
    }


@bp.get("/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    """The OpenAPI document."""
    return json(spec(services_of(request).settings.max_message_chars))
