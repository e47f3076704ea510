"""Reading and checking JSON request bodies, with a clear 4xx for every kind of bad input."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Dict

from sanic.request import Request

from bot.errors import ApiError

# curl's `-d` sends application/x-www-form-urlencoded; the body is still read as JSON.
_ACCEPTED_TYPES = {"application/json", "application/x-www-form-urlencoded"}
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_JSON_DEPTH = 16  # objects and arrays inside each other; real clients need three or four


def _check_value(value: Any, what: str, depth: int = 1) -> None:
    """No nesting deeper than MAX_JSON_DEPTH and no lone surrogates (they cannot be stored as UTF-8)."""
    if depth > MAX_JSON_DEPTH:
        raise ApiError(400, "invalid_json", f"{what} is nested too deeply (at most {MAX_JSON_DEPTH} levels).")
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise ApiError(400, "invalid_json", f"{what} contains an unpaired surrogate (\\ud800-\\udfff), "
                                                "which is not text.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, what, depth)
            _check_value(item, what, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, what, depth + 1)


def parse_json(raw: str, what: str) -> Any:
    """``raw`` parsed as JSON, or a 400 ApiError saying what is wrong (also for hostile nesting)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} "
                                            f"column {exc.colno}.") from exc
    except RecursionError as exc:
        raise ApiError(400, "invalid_json", f"{what} is nested too deeply (at most {MAX_JSON_DEPTH} levels).") from exc
    _check_value(value, what)
    return value


def json_object(request: Request) -> Dict[str, Any]:
    """The request body as a JSON object, or an ApiError (415 or 400)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type not in _ACCEPTED_TYPES and not content_type.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", f"Send JSON (Content-Type: application/json), not {content_type}.")
    raw = request.body or b""
    if not raw.strip():
        raise ApiError(400, "invalid_json", "The request body is empty; send a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_json", "The request body is not valid UTF-8.") from exc
    body = parse_json(text, "The request body")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def optional_json_object(request: Request) -> Dict[str, Any]:
    """The body as a JSON object when there is one; an empty body is ``{}``."""
    if not (request.body or b"").strip():
        return {}
    return json_object(request)


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
