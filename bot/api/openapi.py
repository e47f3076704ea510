"""``GET /api/openapi.json``: the OpenAPI 3 description of the gateway's JSON API.

Kept next to the routes and checked by a test that every route is described.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

bp = Blueprint("openapi", url_prefix="/api")

ERROR = {"$ref": "#/components/schemas/Error"}
BEARER = [{"bearer": []}]


def _body(properties: Dict[str, Any], required: List[str]) -> Dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, ok: str, body: Optional[Dict[str, Any]] = None, secure: bool = True,
        errors: tuple = (400, 401, 403, 404)) -> Dict[str, Any]:
    operation: Dict[str, Any] = {
        "summary": summary,
        "responses": {ok: {"description": "OK"}, **{
            str(code): {"description": "Error", "content": {"application/json": {"schema": ERROR}}} for code in errors
        }},
    }
    if body:
        operation["requestBody"] = body
    if secure:
        operation["security"] = BEARER
    return operation


TEXT = {"type": "string", "minLength": 1}
ID = [{"name": "handoff_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def spec() -> Dict[str, Any]:
    """The whole document."""
    paths = {
        "/health": {"get": _op("Component health", "200", secure=False, errors=())},
        "/api/chat": {"post": _op(
            "One customer turn: the bot's replies, or the handoff status while people handle it", "200",
            _body({"sender": TEXT, "message": TEXT, "metadata": {"type": "object"}}, ["sender", "message"]),
            secure=False, errors=(400, 413, 415, 503))},
        "/api/chat/history": {"get": {**_op("Messages after a message id", "200", secure=False, errors=(400, 404)),
                                      "parameters": [
                                          {"name": "sender", "in": "query", "required": True, "schema": TEXT},
                                          {"name": "after", "in": "query", "schema": {"type": "integer"}}]}},
        "/api/chat/leave-queue": {"post": _op(
            "Stop waiting: abandoned, or a callback request with a phone number", "200",
            _body({"sender": TEXT, "callback_phone": {"type": "string"}}, ["sender"]), secure=False,
            errors=(400, 409))},
        "/api/queues/next": {"post": _op("Accept the most urgent conversation this agent can serve", "200",
                                         errors=(401, 409))},
        "/api/auth/login": {"post": _op("Log in; returns a bearer token", "200",
                                        _body({"username": TEXT, "password": TEXT}, ["username", "password"]),
                                        secure=False, errors=(400, 401))},
        "/api/auth/logout": {"post": _op("End this session", "204", errors=(401,))},
        "/api/me": {"get": _op("The logged-in agent", "200", errors=(401,))},
        "/api/me/presence": {"put": _op("Set presence", "200", _body(
            {"presence": {"type": "string", "enum": ["available", "away", "offline"]}}, ["presence"]),
            errors=(400, 401))},
        "/api/queues": {"get": _op("The agent's queues and who is waiting", "200", errors=(401,))},
        "/api/handoffs/{handoff_id}": {"get": {**_op("A handoff with its context packet", "200"), "parameters": ID}},
        "/api/handoffs/{handoff_id}/accept": {"post": {**_op("Take a queued conversation", "200",
                                                             errors=(401, 403, 404, 409)), "parameters": ID}},
        "/api/handoffs/{handoff_id}/messages": {
            "post": {**_op("Write to the customer", "201", _body({"text": TEXT}, ["text"]),
                           errors=(400, 401, 403, 404, 409)), "parameters": ID},
            "get": {**_op("The live transcript after a message id, notes included", "200"),
                    "parameters": ID + [{"name": "after", "in": "query", "schema": {"type": "integer"}}]}},
        "/api/handoffs/{handoff_id}/notes": {"post": {**_op("Internal note", "201", _body({"text": TEXT}, ["text"])),
                                                      "parameters": ID}},
        "/api/handoffs/{handoff_id}/transfer": {"post": {**_op(
            "Transfer to a queue or an agent, with a note", "200",
            _body({"queue": {"type": "string"}, "agent_id": {"type": "integer"}, "note": TEXT}, ["note"]),
            errors=(400, 401, 403, 404, 409)), "parameters": ID}},
        "/api/handoffs/{handoff_id}/close": {"post": {**_op(
            "Close with a disposition; the bot resumes for the survey", "200",
            _body({"disposition": {"type": "string", "enum": ["resolved", "not_resolved", "follow_up_needed",
                                                               "callback_scheduled", "spam"]},
                   "wrap_up": {"type": "string"}}, ["disposition"]),
            errors=(400, 401, 403, 404, 409)), "parameters": ID}},
        "/api/handoffs/{handoff_id}/typing": {"post": {**_op("The agent is typing (shown to the customer)", "200",
                                                             errors=(401, 403, 404, 409)), "parameters": ID}},
        "/api/handoffs/{handoff_id}/handback": {"post": {**_op("Give the conversation back to the bot", "200",
                                                               errors=(401, 403, 404, 409)), "parameters": ID}},
        "/api/me/handoffs": {"get": _op("The conversations this agent holds", "200", errors=(401,))},
        "/api/agents": {"get": _op("Colleagues to transfer to (name, presence, skills, languages)", "200", errors=(401,))},
        "/api/canned": {"get": {**_op("Canned responses (FAQ answers) in a language", "200", errors=(400, 401)),
                                "parameters": [{"name": "language", "in": "query",
                                                "schema": {"type": "string", "enum": ["en", "fr", "ro", "uk", "lt", "zh"]}}]}},
        "/api/supervisor/overview": {"get": _op("Live queues against SLA, agents' states, escalations (supervisor, admin)",
                                                "200", errors=(401, 403))},
        "/api/supervisor/kpis": {"get": {**_op("Containment, wait, SLA, abandonment, AHT, FCR (supervisor, admin)", "200",
                                               errors=(400, 401, 403)),
                                         "parameters": [{"name": "hours", "in": "query",
                                                         "schema": {"type": "integer", "minimum": 1}}]}},
        "/api/openapi.json": {"get": _op("This document", "200", secure=False, errors=())},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Switchboard gateway", "version": "0.1.0"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "string"},
                                                                   "message": {"type": "string"}},
                                  "required": ["error", "message"]}},
        },
    }


@bp.get("/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    """The OpenAPI document."""
    return json(spec())
