"""The OpenAPI document describes every route the gateway serves."""

import re

from bot.api.openapi import spec
from bot.app import create_app
from tests.helpers import http


def _routes():
    app = create_app(name="openapi-check")
    for route in app.router.routes:
        path = "/" + re.sub(r"<(\w+):\w+>", r"{\1}", route.path).strip("/")
        for method in route.methods:
            yield path, method.lower()


def _is_json_api(path: str) -> bool:
    """Web pages, static files and websockets (see the README for their protocols) are not JSON API."""
    return path.startswith("/api/") or path == "/health"


def test_every_route_is_documented() -> None:
    documented = {(path, method) for path, ops in spec()["paths"].items() for method in ops}
    missing = {r for r in _routes() if r[1] in ("get", "post", "put", "delete") and _is_json_api(r[0])} - documented
    assert missing == set()


def test_served_at_api_openapi_json(gateway_without_rasa) -> None:
    status, body = http("GET", gateway_without_rasa["url"] + "/api/openapi.json")
    assert status == 200 and body["openapi"].startswith("3.")
    assert body["paths"]["/api/handoffs/{handoff_id}/close"]["post"]["security"] == [{"bearer": []}]
