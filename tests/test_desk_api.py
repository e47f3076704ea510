"""The desk API in-process: login with hashed passwords, roles, queue visibility, accepting,
transfer, notes, leaving the queue and clear 4xx answers. State comes from the chat API and
the desk API themselves (a fake Rasa hands conversations over), never from raw SQL."""

import sqlite3

import pytest

from tests.gateway_harness import running_gateway


@pytest.fixture
async def gateway(tmp_path):
    async with running_gateway(tmp_path) as running:
        yield running


async def test_passwords_are_stored_as_argon2_hashes(gateway, tmp_path) -> None:
    with sqlite3.connect(tmp_path / "gateway.db") as conn:
        hashes = [row[0] for row in conn.execute("SELECT password_hash FROM agents")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("demo-pass" in h for h in hashes)


async def test_login_and_me(gateway) -> None:
    answer = await gateway.call("POST", "/api/auth/login", {"username": "alice", "password": "alice-demo-pass"})
    assert answer.status == 200 and answer.body["agent"]["username"] == "alice"
    assert "password_hash" not in answer.body["agent"]
    me = await gateway.call("GET", "/api/me", token=answer.body["token"])
    assert me.status == 200 and me.body["role"] == "agent"


@pytest.mark.parametrize("username, password", [("alice", "wrong"), ("nobody", "alice-demo-pass")])
async def test_wrong_credentials_get_401(gateway, username, password) -> None:
    answer = await gateway.call("POST", "/api/auth/login", {"username": username, "password": password})
    assert answer.status == 401 and answer.body["error"] == "invalid_credentials"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}])
async def test_no_or_bad_token_gets_401(gateway, headers) -> None:
    answer = await gateway.call("GET", "/api/queues", headers=headers)
    assert answer.status == 401 and answer.body["error"] == "unauthorized"


async def test_bad_login_bodies_get_400(gateway) -> None:
    answer = await gateway.call("POST", "/api/auth/login", {"username": "alice"})
    assert answer.status == 400 and "'password'" in answer.body["message"]


async def test_agents_see_only_their_queues(gateway) -> None:
    billing = await gateway.queued("c-billing")
    complaints = await gateway.queued("c-complaints", queue="complaints")
    alice = await gateway.login("alice")
    answer = await gateway.call("GET", "/api/queues", token=alice)
    assert answer.status == 200
    assert [q["queue"] for q in answer.body["queues"]] == ["billing", "callback", "general"]
    waiting = next(q for q in answer.body["queues"] if q["queue"] == "billing")["waiting"]
    assert [w["id"] for w in waiting] == [billing]
    detail = await gateway.call("GET", f"/api/handoffs/{complaints}", token=alice)
    assert detail.status == 403 and "complaints" in detail.body["message"]
    assert (await gateway.call("POST", f"/api/handoffs/{complaints}/accept", token=alice)).status == 403


async def test_supervisor_sees_every_queue(gateway) -> None:
    sam = await gateway.login("sam")
    body = (await gateway.call("GET", "/api/queues", token=sam)).body
    assert {q["queue"] for q in body["queues"]} == {"billing", "technical", "sales", "complaints", "general", "callback"}


async def test_accept_once(gateway) -> None:
    handoff = await gateway.queued("c-once")
    alice = await gateway.login("alice")
    await gateway.available(alice)
    first = await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)
    assert first.status == 200 and first.body["status"] == "assigned"
    again = await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)
    assert again.status == 409 and again.body["error"] == "not_queued"
    detail = await gateway.call("GET", f"/api/handoffs/{handoff}", token=alice)
    assert detail.status == 200 and detail.body["context"]["reason"] == "customer_request"
    assert detail.body["context"]["transcript"][0]["text"] == "I want a human please"


async def test_unknown_handoff_is_404(gateway) -> None:
    sam = await gateway.login("sam")
    answer = await gateway.call("GET", "/api/handoffs/99999", token=sam)
    assert answer.status == 404 and answer.body["error"] == "not_found"


async def test_logout_ends_the_session(gateway) -> None:
    mei = await gateway.login("mei")
    assert (await gateway.call("POST", "/api/auth/logout", token=mei)).status == 204
    assert (await gateway.call("GET", "/api/me", token=mei)).status == 401


async def test_presence(gateway) -> None:
    rasa = await gateway.login("rasa")
    answer = await gateway.call("PUT", "/api/me/presence", {"presence": "available"}, token=rasa)
    assert answer.status == 200 and answer.body["presence"] == "available"
    answer = await gateway.call("PUT", "/api/me/presence", {"presence": "sleeping"}, token=rasa)
    assert answer.status == 400 and "available" in answer.body["message"]


async def test_transfer_to_another_queue_with_a_note(gateway) -> None:
    handoff = await gateway.queued("c-transfer")
    alice = await gateway.login("alice")
    await gateway.available(alice)
    await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)
    answer = await gateway.call("POST", f"/api/handoffs/{handoff}/transfer",
                                {"queue": "technical", "note": "router fault, not billing"}, token=alice)
    assert answer.status == 200 and answer.body == {"id": handoff, "status": "queued", "queue": "technical",
                                                    "agent_id": None}
    sam = await gateway.login("sam")
    messages = (await gateway.call("GET", f"/api/handoffs/{handoff}/messages", token=sam)).body["messages"]
    assert [m["text"] for m in messages if m["role"] == "note"] == [
        "Transferred to queue technical: router fault, not billing"]
    # Alice has no technical skill: the conversation has left her view.
    assert (await gateway.call("GET", f"/api/handoffs/{handoff}", token=alice)).status == 403


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"note": "x"}, "either 'queue' or 'agent_id'"),
        ({"note": "x", "queue": "billing", "agent_id": 1}, "either 'queue' or 'agent_id'"),
        ({"note": "x", "queue": "plumbing"}, "Unknown queue 'plumbing'"),
        ({"queue": "general"}, "'note'"),
        ({"note": "x", "agent_id": "seven"}, "'agent_id' must be a number"),
        ({"note": "x", "agent_id": 2**70}, "There is no agent"),
    ],
)
async def test_bad_transfers_get_400(gateway, body, fragment) -> None:
    handoff = await gateway.queued("c-bad-transfer", queue="general")
    sam = await gateway.login("sam")
    await gateway.available(sam)
    assert (await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=sam)).status == 200
    answer = await gateway.call("POST", f"/api/handoffs/{handoff}/transfer", body, token=sam)
    assert answer.status == 400 and fragment in answer.body["message"], answer


async def test_internal_notes_are_not_shown_to_the_customer(gateway) -> None:
    handoff = await gateway.queued("c-notes", queue="general")
    sam = await gateway.login("sam")
    assert (await gateway.call("POST", f"/api/handoffs/{handoff}/notes", {"text": "VIP, be quick"}, token=sam)).status == 201
    history = await gateway.call("GET", "/api/chat/history?sender=c-notes")
    assert history.status == 200 and "VIP, be quick" not in [m["text"] for m in history.body["messages"]]


async def test_accept_next_takes_the_most_urgent_within_skills_and_capacity(gateway) -> None:
    low = await gateway.queued("c-next-low", queue="general")  # priority 10
    high = await gateway.queued("c-next-high", queue="technical")  # priority 20, queued later
    await gateway.queued("c-next-other", queue="technical")
    bogdan = await gateway.login("bogdan")  # technical and general, capacity 2
    await gateway.available(bogdan)
    first = await gateway.call("POST", "/api/queues/next", token=bogdan)
    assert first.status == 200 and first.body["id"] == high
    second = await gateway.call("POST", "/api/queues/next", token=bogdan)
    assert second.status == 200 and second.body["id"] not in (high, low, None)
    third = await gateway.call("POST", "/api/queues/next", token=bogdan)
    assert third.status == 409 and third.body["error"] == "at_capacity"


async def test_customer_leaves_the_queue_abandoned_or_for_a_callback(gateway) -> None:
    abandoned = await gateway.queued("c-leave", queue="general")
    answer = await gateway.call("POST", "/api/chat/leave-queue", {"sender": "c-leave"})
    assert answer.status == 200 and answer.body == {"id": abandoned, "status": "abandoned", "queue": "general"}
    again = await gateway.call("POST", "/api/chat/leave-queue", {"sender": "c-leave"})
    assert again.status == 409 and again.body["error"] == "not_queued"

    callback = await gateway.queued("c-callback")
    answer = await gateway.call("POST", "/api/chat/leave-queue", {"sender": "c-callback", "callback_phone": "+44 7700 900123"})
    assert answer.status == 200 and answer.body == {"id": callback, "status": "queued", "queue": "callback"}
    assert (await gateway.call("POST", "/api/chat/leave-queue", {"sender": "c-x", "callback_phone": 7})).status == 400


@pytest.mark.parametrize(
    "method, path, body, status, code",
    [
        ("GET", "/api/canned?language=xx", None, 400, "invalid_field"),
        ("GET", "/api/supervisor/kpis?hours=abc", None, 400, "invalid_field"),
        ("GET", "/api/supervisor/kpis?hours=0", None, 400, "invalid_field"),
        ("GET", "/api/supervisor/kpis?hours=99999999999999999999", None, 400, "invalid_field"),
        ("GET", "/api/handoffs/{billing}/messages?after=x", None, 400, "invalid_field"),
        ("GET", "/api/handoffs/{billing}/messages?after=99999999999999999999", None, 400, "invalid_field"),
        ("POST", "/api/handoffs/{billing}/handback", None, 409, "not_assigned"),
        ("POST", "/api/handoffs/{billing}/typing", None, 409, "not_assigned"),
        ("POST", "/api/handoffs/{billing}/close", {"disposition": "resolved", "wrap_up": 7}, 400, "invalid_field"),
        ("POST", "/api/handoffs/{billing}/close", {"disposition": "unknown"}, 409, "not_assigned"),
        ("POST", "/api/handoffs/{billing}/close", {"disposition": "resolved"}, 409, "not_assigned"),
        ("POST", "/api/handoffs/{billing}/accept", {"override": "yes"}, 400, "invalid_field"),
        ("POST", "/api/handoffs/{billing}/accept", {"override": True}, 400, "missing_field"),
        ("PUT", "/api/me/presence", {"presence": "asleep"}, 400, "invalid_field"),
    ],
)
async def test_bad_input_to_the_desk_endpoints_gets_a_clear_4xx(gateway, method, path, body, status, code) -> None:
    sam = await gateway.login("sam")
    waiting = await gateway.queued("c-bad-input")  # queued, not accepted
    answer = await gateway.call(method, path.format(billing=waiting), body, token=sam)
    assert (answer.status, answer.body["error"]) == (status, code) and answer.body["message"], answer


async def test_supervisor_routes_are_for_supervisors_and_admins(gateway) -> None:
    await gateway.queued("c-escalated", queue="complaints")
    bogdan = await gateway.login("bogdan")
    for path in ("/api/supervisor/overview", "/api/supervisor/kpis"):
        answer = await gateway.call("GET", path, token=bogdan)
        assert answer.status == 403 and answer.body["error"] == "forbidden"
        assert (await gateway.call("GET", path)).status == 401
    admin = await gateway.login("admin")
    overview = await gateway.call("GET", "/api/supervisor/overview", token=admin)
    assert overview.status == 200 and {q["queue"] for q in overview.body["queues"]} >= {"billing", "complaints", "general"}
    assert any(e["queue"] == "complaints" for e in overview.body["escalations"])  # the complaints queue is highlighted


async def test_canned_responses_and_colleagues(gateway) -> None:
    rasa = await gateway.login("rasa")
    canned = await gateway.call("GET", "/api/canned?language=lt", token=rasa)
    assert canned.status == 200 and len(canned.body["responses"]) >= 25
    assert all(r["language"] == "lt" for r in canned.body["responses"])
    agents = await gateway.call("GET", "/api/agents", token=rasa)
    assert agents.status == 200 and "Alice Martin" in [a["display_name"] for a in agents.body["agents"]]
    assert all("password_hash" not in a for a in agents.body["agents"])
