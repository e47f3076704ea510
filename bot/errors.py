"""Errors the API returns, and the one place that turns exceptions into JSON responses."""

from __future__ import annotations

import logging
from typing import Dict, Optional

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import OperationalError

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status, a stable machine code and a human message."""

    def __init__(self, status: int, code: str, message: str, headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class RasaUnavailable(ApiError):
    """Rasa could not be reached or did not answer in time."""

    def __init__(self, message: str) -> None:
        super().__init__(503, "assistant_unavailable", message)


# Sanic's own exceptions carry a status; give each a stable code for clients.
_SANIC_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
}


def error_body(code: str, message: str) -> dict:
    """The JSON shape of every error the gateway returns."""
    return {"error": code, "message": message}


def _handle_api_error(request: Request, exc: ApiError) -> HTTPResponse:
    return json(error_body(exc.code, exc.message), status=exc.status, headers=exc.headers)


def _handle_sanic_error(request: Request, exc: SanicException) -> HTTPResponse:
    status = getattr(exc, "status_code", 500) or 500
    if status >= 500:
        logger.exception("server error on %s %s", request.method, request.path)
        return json(error_body("internal_error", "Something went wrong on our side."), status=500)
    message = str(exc) or "The request could not be processed."
    return json(error_body(_SANIC_CODES.get(status, "bad_request"), message), status=status)


def _handle_database_busy(request: Request, exc: OperationalError) -> HTTPResponse:
    """The database refused or timed out (SQLite still locked after its busy timeout, PostgreSQL
    unreachable): the request can be retried, nothing was half-stored (the transaction rolled back)."""
    logger.error("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
    return json(error_body("database_busy", "The service is very busy right now; please try again shortly."),
                status=503, headers={"Retry-After": "2"})


def _handle_unexpected(request: Request, exc: Exception) -> HTTPResponse:
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return json(error_body("internal_error", "Something went wrong on our side."), status=500)


def register_error_handlers(app: Sanic) -> None:
    """Map every exception to a JSON response; never leak a traceback."""
    app.error_handler.add(ApiError, _handle_api_error)
    app.error_handler.add(SanicException, _handle_sanic_error)
    app.error_handler.add(OperationalError, _handle_database_busy)
    app.error_handler.add(Exception, _handle_unexpected)
