"""The desk API: login with hashed passwords, roles, queue visibility, accepting."""

import json
import sqlite3

import pytest

from tests.helpers import http


def _login(url, username, password):
    return http("POST", f"{url}/api/auth/login", {"username": username, "password": password})


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def _queue(db, conversation_id: str, queue: str, priority: int = 10) -> int:
    """Put a handed-over conversation in a queue, as the chat endpoint does."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO conversations (id, channel, external_id, status, created_at, updated_at) "
            "VALUES (?, 'chat', ?, 'human', datetime('now'), datetime('now'))",
            (conversation_id, conversation_id),
        )
        cursor = conn.execute(
            "INSERT INTO handoffs (conversation_id, status, reason, queue, language, priority, sla_seconds, "
            "context, routing, created_at) VALUES (?, 'queued', 'customer_request', ?, 'en', ?, 120, ?, ?, "
            "datetime('now'))",
            (conversation_id, queue, priority, json.dumps({"summary": f"test {queue}"}), json.dumps({})),
        )
        return cursor.lastrowid


@pytest.fixture(scope="module")
def desk(gateway_without_rasa):
    url = gateway_without_rasa["url"]
    return {
        "url": url,
        "db": gateway_without_rasa["db"],
        "billing": _queue(gateway_without_rasa["db"], "c-billing", "billing"),
        "complaints": _queue(gateway_without_rasa["db"], "c-complaints", "complaints", priority=70),
    }


def test_passwords_are_stored_as_argon2_hashes(desk) -> None:
    with sqlite3.connect(desk["db"]) as conn:
        hashes = [row[0] for row in conn.execute("SELECT password_hash FROM agents")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("demo-pass" in h for h in hashes)


def test_login_and_me(desk) -> None:
    status, body = _login(desk["url"], "alice", "alice-demo-pass")
    assert status == 200 and body["agent"]["username"] == "alice"
    assert "password_hash" not in body["agent"]
    status, me = http("GET", f"{desk['url']}/api/me", headers=_auth(body["token"]))
    assert status == 200 and me["role"] == "agent"


@pytest.mark.parametrize("username, password", [("alice", "wrong"), ("nobody", "alice-demo-pass")])
def test_wrong_credentials_get_401(desk, username, password) -> None:
    status, body = _login(desk["url"], username, password)
    assert status == 401 and body["error"] == "invalid_credentials"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}])
def test_no_or_bad_token_gets_401(desk, headers) -> None:
    status, body = http("GET", f"{desk['url']}/api/queues", headers=headers)
    assert status == 401 and body["error"] == "unauthorized"


def test_bad_login_bodies_get_400(desk) -> None:
    status, body = http("POST", f"{desk['url']}/api/auth/login", {"username": "alice"})
    assert status == 400 and "'password'" in body["message"]


def test_agents_see_only_their_queues(desk) -> None:
    token = _login(desk["url"], "alice", "alice-demo-pass")[1]["token"]
    status, body = http("GET", f"{desk['url']}/api/queues", headers=_auth(token))
    assert status == 200
    assert [q["queue"] for q in body["queues"]] == ["billing", "callback", "general"]
    billing = next(q for q in body["queues"] if q["queue"] == "billing")
    assert [w["id"] for w in billing["waiting"]] == [desk["billing"]]
    status, body = http("GET", f"{desk['url']}/api/handoffs/{desk['complaints']}", headers=_auth(token))
    assert status == 403 and "complaints" in body["message"]
    status, _ = http("POST", f"{desk['url']}/api/handoffs/{desk['complaints']}/accept", headers=_auth(token))
    assert status == 403


def test_supervisor_sees_every_queue(desk) -> None:
    token = _login(desk["url"], "sam", "sam-demo-pass")[1]["token"]
    body = http("GET", f"{desk['url']}/api/queues", headers=_auth(token))[1]
    assert {q["queue"] for q in body["queues"]} == {"billing", "technical", "sales", "complaints", "general", "callback"}


def test_accept_once(desk) -> None:
    token = _login(desk["url"], "alice", "alice-demo-pass")[1]["token"]
    status, body = http("POST", f"{desk['url']}/api/handoffs/{desk['billing']}/accept", headers=_auth(token))
    assert status == 200 and body["status"] == "assigned"
    status, body = http("POST", f"{desk['url']}/api/handoffs/{desk['billing']}/accept", headers=_auth(token))
    assert status == 409 and body["error"] == "not_queued"
    status, detail = http("GET", f"{desk['url']}/api/handoffs/{desk['billing']}", headers=_auth(token))
    assert status == 200 and detail["context"]["summary"] == "test billing"


def test_unknown_handoff_is_404(desk) -> None:
    token = _login(desk["url"], "sam", "sam-demo-pass")[1]["token"]
    status, body = http("GET", f"{desk['url']}/api/handoffs/99999", headers=_auth(token))
    assert status == 404 and body["error"] == "not_found"


def test_logout_ends_the_session(desk) -> None:
    token = _login(desk["url"], "mei", "mei-demo-pass")[1]["token"]
    status, _ = http("POST", f"{desk['url']}/api/auth/logout", headers=_auth(token))
    assert status == 204
    status, _ = http("GET", f"{desk['url']}/api/me", headers=_auth(token))
    assert status == 401


def test_presence(desk) -> None:
    token = _login(desk["url"], "rasa", "rasa-demo-pass")[1]["token"]
    status, body = http("PUT", f"{desk['url']}/api/me/presence", {"presence": "available"}, headers=_auth(token))
    assert status == 200 and body["presence"] == "available"
    status, body = http("PUT", f"{desk['url']}/api/me/presence", {"presence": "sleeping"}, headers=_auth(token))
    assert status == 400 and "available" in body["message"]


def test_transfer_to_another_queue_with_a_note(desk) -> None:
    handoff = _queue(desk["db"], "c-transfer", "billing")
    token = _login(desk["url"], "alice", "alice-demo-pass")[1]["token"]
    http("POST", f"{desk['url']}/api/handoffs/{handoff}/accept", headers=_auth(token))
    status, body = http("POST", f"{desk['url']}/api/handoffs/{handoff}/transfer",
                        {"queue": "technical", "note": "router fault, not billing"}, headers=_auth(token))
    assert status == 200 and body == {"id": handoff, "status": "queued", "queue": "technical", "agent_id": None}
    with sqlite3.connect(desk["db"]) as conn:
        notes = conn.execute("SELECT role, text FROM messages WHERE conversation_id = 'c-transfer' AND role = 'note'").fetchall()
    assert notes == [("note", "Transferred to queue technical: router fault, not billing")]
    # Alice has no technical skill: the conversation has left her view.
    status, _ = http("GET", f"{desk['url']}/api/handoffs/{handoff}", headers=_auth(token))
    assert status == 403


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"note": "x"}, "either 'queue' or 'agent_id'"),
        ({"note": "x", "queue": "billing", "agent_id": 1}, "either 'queue' or 'agent_id'"),
        ({"note": "x", "queue": "plumbing"}, "Unknown queue 'plumbing'"),
        ({"queue": "general"}, "'note'"),
    ],
)
def test_bad_transfers_get_400(desk, body, fragment) -> None:
    handoff = _queue(desk["db"], f"c-bad-{abs(hash(str(body)))}", "general")
    token = _login(desk["url"], "sam", "sam-demo-pass")[1]["token"]
    http("POST", f"{desk['url']}/api/handoffs/{handoff}/accept", headers=_auth(token))
    status, response = http("POST", f"{desk['url']}/api/handoffs/{handoff}/transfer", body, headers=_auth(token))
    assert status == 400 and fragment in response["message"]


def test_internal_notes_are_not_shown_to_the_customer(desk) -> None:
    handoff = _queue(desk["db"], "c-notes", "general")
    token = _login(desk["url"], "sam", "sam-demo-pass")[1]["token"]
    status, _ = http("POST", f"{desk['url']}/api/handoffs/{handoff}/notes", {"text": "VIP, be quick"},
                     headers=_auth(token))
    assert status == 201
    status, history = http("GET", f"{desk['url']}/api/chat/history?sender=c-notes")
    assert status == 200 and history["messages"] == []


def test_accept_next_takes_the_most_urgent_within_skills_and_capacity(desk) -> None:
    _queue(desk["db"], "c-next-low", "technical", priority=5)
    high = _queue(desk["db"], "c-next-high", "technical", priority=60)
    token = _login(desk["url"], "bogdan", "bogdan-demo-pass")[1]["token"]  # technical, capacity 2
    status, body = http("POST", f"{desk['url']}/api/queues/next", headers=_auth(token))
    assert status == 200 and body["id"] == high
    status, body = http("POST", f"{desk['url']}/api/queues/next", headers=_auth(token))
    assert status == 200 and body["id"] not in (high, None)  # the next most urgent (other tests queue some too)
    status, body = http("POST", f"{desk['url']}/api/queues/next", headers=_auth(token))
    assert status == 409 and body["error"] == "at_capacity"



def test_customer_leaves_the_queue_abandoned_or_for_a_callback(desk) -> None:
    abandoned = _queue(desk["db"], "c-leave", "general")
    status, body = http("POST", f"{desk['url']}/api/chat/leave-queue", {"sender": "c-leave"})
    assert status == 200 and body == {"id": abandoned, "status": "abandoned", "queue": "general"}
    status, body = http("POST", f"{desk['url']}/api/chat/leave-queue", {"sender": "c-leave"})
    assert status == 409 and body["error"] == "not_queued"

    callback = _queue(desk["db"], "c-callback", "billing")
    status, body = http("POST", f"{desk['url']}/api/chat/leave-queue",
                        {"sender": "c-callback", "callback_phone": "+44 7700 900123"})
    assert status == 200 and body == {"id": callback, "status": "queued", "queue": "callback"}
    status, body = http("POST", f"{desk['url']}/api/chat/leave-queue", {"sender": "c-x", "callback_phone": 7})
    assert status == 400


@pytest.mark.parametrize(
    "method, path, body, status, code",
    [
        ("GET", "/api/canned?language=xx", None, 400, "invalid_field"),
        ("GET", "/api/supervisor/kpis?hours=abc", None, 400, "invalid_field"),
        ("GET", "/api/supervisor/kpis?hours=0", None, 400, "invalid_field"),
        ("GET", "/api/handoffs/{billing}/messages?after=x", None, 400, "invalid_field"),
        ("POST", "/api/handoffs/{billing}/handback", None, 409, "not_assigned"),
        ("POST", "/api/handoffs/{billing}/typing", None, 409, "not_assigned"),
        ("POST", "/api/handoffs/{billing}/close", {"disposition": "resolved", "wrap_up": 7}, 400, "invalid_field"),
        ("POST", "/api/handoffs/{billing}/close", {"disposition": "resolved"}, 409, "not_assigned"),
        ("PUT", "/api/me/presence", {"presence": "asleep"}, 400, "invalid_field"),
    ],
)
def test_bad_input_to_the_newer_desk_endpoints_gets_a_clear_4xx(desk, method, path, body, status, code) -> None:
    token = _login(desk["url"], "sam", "sam-demo-pass")[1]["token"]
    waiting = _queue(desk["db"], f"c-bad-{abs(hash((method, path, str(body))))}", "billing")  # queued, not accepted
    got, answer = http(method, desk["url"] + path.format(billing=waiting), body, headers=_auth(token))
    assert (got, answer["error"]) == (status, code) and answer["message"]


def test_supervisor_routes_are_for_supervisors_and_admins(desk) -> None:
    agent = _login(desk["url"], "bogdan", "bogdan-demo-pass")[1]["token"]
    for path in ("/api/supervisor/overview", "/api/supervisor/kpis"):
        status, body = http("GET", desk["url"] + path, headers=_auth(agent))
        assert status == 403 and body["error"] == "forbidden"
        assert http("GET", desk["url"] + path)[0] == 401
    admin = _login(desk["url"], "admin", "admin-demo-pass")[1]["token"]
    status, overview = http("GET", desk["url"] + "/api/supervisor/overview", headers=_auth(admin))
    assert status == 200 and {q["queue"] for q in overview["queues"]} >= {"billing", "complaints", "general"}
    assert any(e["queue"] == "complaints" for e in overview["escalations"])  # the complaints queue is highlighted


def test_canned_responses_and_colleagues(desk) -> None:
    token = _login(desk["url"], "rasa", "rasa-demo-pass")[1]["token"]
    status, canned = http("GET", desk["url"] + "/api/canned?language=lt", headers=_auth(token))
    assert status == 200 and len(canned["responses"]) >= 25 and all(r["language"] == "lt" for r in canned["responses"])
    status, agents = http("GET", desk["url"] + "/api/agents", headers=_auth(token))
    assert status == 200 and "Alice Martin" in [a["display_name"] for a in agents["agents"]]
    assert all("password_hash" not in a for a in agents["agents"])
