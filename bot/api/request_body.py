"""Reading and checking JSON request bodies, with a clear 4xx for every kind of bad input."""

from __future__ import annotations

import json
import unicodedata
from typing import Any, Dict

from sanic.request import Request

from bot.errors import ApiError

# curl's `-d` sends application/x-www-form-urlencoded; the body is still read as JSON.
_ACCEPTED_TYPES = {"application/json", "application/x-www-form-urlencoded"}


def json_object(request: Request) -> Dict[str, Any]:
    """The request body as a JSON object, or an ApiError (415 or 400)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type not in _ACCEPTED_TYPES and not content_type.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", f"Send JSON (Content-Type: application/json), not {content_type}.")
    raw = request.body or b""
    if not raw.strip():
        raise ApiError(400, "invalid_json", "The request body is empty; send a JSON object.")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_json", "The request body is not valid UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def required_text(body: Dict[str, Any], field: str, max_chars: int) -> str:
    """A non-empty string field, at most ``max_chars`` long and free of control characters."""
    if field not in body or body[field] is None:
        raise ApiError(400, "missing_field", f"The field '{field}' is required.")
    value = body[field]
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", f"The field '{field}' must be a string.")
    value = value.strip()
    if not value:
        raise ApiError(400, "empty_field", f"The field '{field}' must not be empty.")
    if len(value) > max_chars:
        raise ApiError(
            413, "field_too_long", f"The field '{field}' is {len(value)} characters long; the maximum is {max_chars}."
        )
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in value):
        raise ApiError(400, "invalid_field", f"The field '{field}' contains control characters.")
    return value


def optional_object(body: Dict[str, Any], field: str) -> Dict[str, Any]:
    """An optional JSON object field (default empty)."""
    value = body.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_field", f"The field '{field}' must be a JSON object.")
    return value
