"""Bad input to the gateway gets a clear JSON 4xx; a down or hung Rasa gets a 503."""

import json
import sqlite3
import time

import pytest

from tests.helpers import http
from tests.openapi_check import assert_matches_spec

CHAT = "/api/chat"


def _post_raw(url: str, raw: bytes, content_type: str = "application/json"):
    return http("POST", url + CHAT, raw, headers={"Content-Type": content_type})


@pytest.mark.parametrize(
    "raw, code, fragment",
    [
        (b'{"sender": "a", "message": ', "invalid_json", "not valid JSON"),
        (b"", "invalid_json", "empty"),
        (b"\xff\xfe", "invalid_json", "UTF-8"),
        (b'["sender", "message"]', "invalid_json", "JSON object"),
        (b'{"message": "hi"}', "missing_field", "'sender'"),
        (b'{"sender": "a"}', "missing_field", "'message'"),
        (b'{"sender": "a", "message": "   "}', "empty_field", "'message'"),
        (b'{"sender": "a", "message": 42}', "invalid_field", "'message' must be a string"),
        (b'{"sender": "", "message": "hi"}', "empty_field", "'sender'"),
        (b'{"sender": "a\\u0000b", "message": "hi"}', "invalid_field", "control characters"),
        (b'{"sender": "a", "message": "hi", "metadata": [1]}', "invalid_field", "'metadata'"),
    ],
)
def test_bad_bodies_get_400(gateway_without_rasa, raw, code, fragment) -> None:
    status, body = _post_raw(gateway_without_rasa["url"], raw)
    assert status == 400
    assert body["error"] == code
    assert fragment in body["message"]


def test_message_over_the_maximum_gets_413(gateway_without_rasa) -> None:
    status, body = http("POST", gateway_without_rasa["url"] + CHAT, {"sender": "a", "message": "x" * 2001})
    assert status == 413
    assert body["error"] == "field_too_long"
    assert "2001" in body["message"] and "2000" in body["message"]


def test_body_over_the_size_limit_gets_413(gateway_without_rasa) -> None:
    raw = json.dumps({"sender": "a", "message": "x" * 200_000}).encode()
    status, body = _post_raw(gateway_without_rasa["url"], raw)
    assert status == 413
    assert body["error"] == "payload_too_large"


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml"])
def test_wrong_content_type_gets_415(gateway_without_rasa, content_type) -> None:
    status, body = _post_raw(gateway_without_rasa["url"], b'{"sender":"a","message":"hi"}', content_type)
    assert status == 415
    assert body["error"] == "unsupported_media_type"


def test_unknown_route_and_wrong_method_are_json(gateway_without_rasa) -> None:
    status, body = http("GET", gateway_without_rasa["url"] + "/api/nothing-here")
    assert status == 404 and body["error"] == "not_found"
    status, body = http("GET", gateway_without_rasa["url"] + CHAT)
    assert status == 405 and body["error"] == "method_not_allowed"


def test_rasa_down_gets_503_and_keeps_the_message(gateway_without_rasa) -> None:
    status, body = http("POST", gateway_without_rasa["url"] + CHAT, {"sender": "kept", "message": "is anyone there?"})
    assert status == 503
    assert body["error"] == "assistant_unavailable"
    assert "unavailable" in body["message"]
    with sqlite3.connect(gateway_without_rasa["db"]) as db:
        rows = db.execute(
            "SELECT m.role, m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.external_id = 'kept'"
        ).fetchall()
    assert rows == [("customer", "is anyone there?")]


def test_health_reports_rasa_down(gateway_without_rasa) -> None:
    status, body = http("GET", gateway_without_rasa["url"] + "/health")
    assert status == 200
    assert body["status"] == "degraded"
    assert body["components"] == {"gateway": "up", "database": "up", "rasa": "down", "event_hub": "up"}
    assert body["event_hub"] == {"backend": "memory", "state": "connected"}
    assert_matches_spec("/health", "get", status, body)


def test_hung_rasa_gets_503_instead_of_hanging(gateway_with_hung_rasa) -> None:
    started = time.monotonic()
    status, body = http("POST", gateway_with_hung_rasa + CHAT, {"sender": "a", "message": "hello"}, timeout=30)
    assert status == 503
    assert body["error"] == "assistant_unavailable"
    assert "too long" in body["message"]
    assert time.monotonic() - started < 30  # answered by the gateway's own timeout, not the client's


def test_gateway_refuses_to_start_with_an_invalid_routing_file(tmp_path) -> None:
    import os
    import subprocess
    import sys

    from switchboard.paths import ROOT

    bad = tmp_path / "routing.yml"
    bad.write_text((ROOT / "routing.yml").read_text().replace('"2": technical', '"2": plumbing'))
    env = {**os.environ, "SWITCHBOARD_ROUTING_FILE": str(bad), "SWITCHBOARD_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "routing.yml" in result.stderr and "ivr.2: unknown queue 'plumbing'" in result.stderr
    assert "Traceback" not in result.stderr
