"""Desk rules through the gateway's HTTP API and websockets, in-process (fake Rasa, SQLite):
eligibility on every path, capacity under concurrency, access that ends when it should,
login throttling and hostile input. Each test is one finding of the hostile review."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.login_throttle import LoginThrottle, ThrottlePolicy
from tests.gateway_harness import frames_until, running_gateway, silence



@pytest.fixture
async def gateway(tmp_path):
    async with running_gateway(tmp_path) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_database(request, tmp_path):
    """The gateway on SQLite, then on PostgreSQL (where the agent's row lock matters)."""
    url = request.getfixturevalue("postgres_server").new_database("race") if request.param == "postgresql" else None
    async with running_gateway(tmp_path, database_url=url) as running:
        yield running


async def test_an_offline_agent_cannot_accept(gateway) -> None:
    alice = await gateway.login("alice")
    handoff = await gateway.queued("c-offline")
    answer = await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)
    assert answer.status == 409 and answer.body["error"] == "not_eligible", answer
    assert "offline" in answer.body["message"]


async def test_accept_refuses_a_language_the_agent_does_not_speak(gateway) -> None:
    alice, bogdan = await gateway.login("alice"), await gateway.login("bogdan")
    await gateway.available(alice)
    await gateway.available(bogdan)
    handoff = await gateway.queued("c-fr", language="fr", queue="general")  # alice speaks fr and is free
    answer = await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=bogdan)
    assert answer.status == 409 and "does not speak fr" in answer.body["message"], answer
    assert (await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)).status == 200


async def test_a_vip_needs_a_senior_agent(gateway) -> None:
    alice, rasa = await gateway.login("alice"), await gateway.login("rasa")
    await gateway.available(alice)
    await gateway.available(rasa)
    handoff = await gateway.queued("c-vip", customer={"tier": "vip"})
    answer = await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=rasa)
    assert answer.status == 409 and "senior" in answer.body["message"], answer


async def test_accepting_what_a_colleague_just_took_is_a_conflict_not_forbidden(gateway) -> None:
    """Two agents click the same waiting conversation: the second one is told it was taken
    (409), as when the two clicks race; the conversation stays the first one's to read."""
    bogdan, mei = await gateway.login("bogdan"), await gateway.login("mei")
    await gateway.available(bogdan)
    await gateway.available(mei)
    handoff = await gateway.queued("c-taken", queue="technical")
    assert (await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=bogdan)).status == 200
    late = await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=mei)
    assert late.status == 409 and late.body["error"] == "not_queued", late
    assert (await gateway.call("GET", f"/api/handoffs/{handoff}", token=mei)).status == 403


async def test_capacity_holds_for_sequential_accepts(gateway) -> None:
    bogdan = await gateway.login("bogdan")  # capacity 2
    await gateway.available(bogdan)
    handoffs = [await gateway.queued(f"c-cap-{i}", queue="technical") for i in range(3)]
    results = [await gateway.call("POST", f"/api/handoffs/{h}/accept", token=bogdan) for h in handoffs]
    assert [r.status for r in results] == [200, 200, 409], results
    assert results[2].body["error"] == "at_capacity"


async def test_twenty_concurrent_accepts_never_exceed_capacity_nor_share_a_conversation(any_database) -> None:
    gateway = any_database
    bogdan, mei = await gateway.login("bogdan"), await gateway.login("mei")  # capacities 2 and 2
    await gateway.available(bogdan)
    await gateway.available(mei)
    handoffs = [await gateway.queued(f"c-race-{i}", queue="technical") for i in range(10)]
    calls = []
    for index, handoff in enumerate(handoffs):
        calls.append(gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=bogdan if index % 2 else mei))
        calls.append(gateway.call("POST", "/api/queues/next", token=mei if index % 2 else bogdan))
    results = await asyncio.gather(*calls)
    assert all(r.status in (200, 409) for r in results), [r for r in results if r.status not in (200, 409)]
    held = {}
    for token in (bogdan, mei):
        mine = (await gateway.call("GET", "/api/me/handoffs", token=token)).body["handoffs"]
        held[token] = [h["id"] for h in mine]
    assert len(held[bogdan]) <= 2 and len(held[mei]) <= 2, held
    assert not set(held[bogdan]) & set(held[mei]), held
    assert len(held[bogdan]) + len(held[mei]) == 4, f"both agents should be full: {held}"


async def test_concurrent_accept_next_from_one_agent_stays_within_capacity(any_database) -> None:
    gateway = any_database
    bogdan = await gateway.login("bogdan")
    await gateway.available(bogdan)
    for i in range(6):
        await gateway.queued(f"c-next-{i}", queue="technical")
    results = await asyncio.gather(*[gateway.call("POST", "/api/queues/next", token=bogdan) for _ in range(6)])
    taken = [r for r in results if r.status == 200 and r.body.get("id")]
    assert len(taken) == 2, results
    assert all(r.status == 409 and r.body["error"] == "at_capacity" for r in results if r not in taken), results


async def test_transfer_to_a_colleague_applies_the_same_rule(gateway) -> None:
    alice, bogdan, rasa = await gateway.login("alice"), await gateway.login("bogdan"), await gateway.login("rasa")
    await gateway.available(alice)
    handoff = await gateway.queued("c-transfer")
    assert (await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)).status == 200
    ids = {a["display_name"].split()[0].lower(): a["id"]
           for a in (await gateway.call("GET", "/api/agents", token=alice)).body["agents"]}
    offline = await gateway.call("POST", f"/api/handoffs/{handoff}/transfer",
                                 {"agent_id": ids["rasa"], "note": "billing question"}, token=alice)
    assert offline.status == 409 and "offline" in offline.body["message"], offline
    await gateway.available(bogdan)
    unskilled = await gateway.call("POST", f"/api/handoffs/{handoff}/transfer",
                                   {"agent_id": ids["bogdan"], "note": "billing question"}, token=alice)
    assert unskilled.status == 409 and "billing skill" in unskilled.body["message"], unskilled
    await gateway.available(rasa)
    moved = await gateway.call("POST", f"/api/handoffs/{handoff}/transfer",
                               {"agent_id": ids["rasa"], "note": "billing question"}, token=alice)
    assert moved.status == 200 and moved.body["agent_id"] == ids["rasa"], moved


async def test_an_agent_cannot_read_or_annotate_a_colleagues_conversation(gateway) -> None:
    alice, rasa = await gateway.login("alice"), await gateway.login("rasa")
    await gateway.available(alice)
    handoff = await gateway.queued("c-colleague")
    assert (await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)).status == 200
    for method, path, body in [
        ("GET", f"/api/handoffs/{handoff}", None),
        ("GET", f"/api/handoffs/{handoff}/messages", None),
        ("POST", f"/api/handoffs/{handoff}/notes", {"text": "peeking"}),
    ]:
        answer = await gateway.call(method, path, body, token=rasa)  # rasa serves billing too
        assert answer.status == 403 and answer.body["error"] == "forbidden", (path, answer)
    sam = await gateway.login("sam")
    assert (await gateway.call("GET", f"/api/handoffs/{handoff}", token=sam)).status == 200


async def test_a_stranger_learns_nothing_from_a_transfer(gateway) -> None:
    answer = await gateway.call("POST", "/api/handoffs/1/transfer", {"queue": "nonsense", "note": "x"})
    assert answer.status == 401 and "billing" not in json.dumps(answer.body), answer


@pytest.mark.parametrize("handoff_id", [2**63, 2**63 - 1, 10**30, 0])
async def test_out_of_range_ids_are_404(gateway, handoff_id) -> None:
    sam = await gateway.login("sam")
    for method, path in [("GET", f"/api/handoffs/{handoff_id}"), ("POST", f"/api/handoffs/{handoff_id}/accept"),
                         ("GET", f"/api/handoffs/{handoff_id}/messages")]:
        answer = await gateway.call(method, path, token=sam)
        assert answer.status == 404 and answer.body["error"] == "not_found", (path, answer)


@pytest.mark.parametrize("raw", [
    b'{"sender": "s", "message": "\\ud800"}',
    b'{"sender": "\\udfff x", "message": "hello"}',
    b'{"sender": "s", "message": "hi", "metadata": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}",
    b"[" * 100000 + b"]" * 100000,
])
async def test_lone_surrogates_and_deep_json_are_400(gateway, raw) -> None:
    answer = await gateway.call("POST", "/api/chat", raw=raw)
    assert answer.status in (400, 413) and answer.body["error"] in ("invalid_json", "payload_too_large"), answer


@pytest.mark.parametrize("frame", [
    '{"type": "message", "text": "\\ud800"}',
    '{"type": "message", "text": "hi", "metadata": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}",
    "[" * 5000 + "]" * 5000,
])
async def test_hostile_frames_get_an_error_frame_not_a_silent_close(gateway, frame) -> None:
    async with gateway.ws("/ws/chat?sender=ws-hostile") as ws:
        await frames_until(ws, lambda f: f["type"] == "ready")
        await ws.send(frame)
        error = await frames_until(ws, lambda f: f["type"] == "error")
        assert error["error"] == "invalid_json", error
        await ws.send(json.dumps({"type": "history", "after": 0}))
        await ws.ping()


async def test_logout_closes_the_desk_socket_at_once(gateway) -> None:
    alice = await gateway.login("alice")
    async with gateway.ws("/ws/desk") as ws:
        await ws.send(json.dumps({"type": "auth", "token": alice}))
        await frames_until(ws, lambda f: f["type"] == "ready")
        assert (await gateway.call("POST", "/api/auth/logout", token=alice)).status == 204
        ended = await frames_until(ws, lambda f: f["type"] == "session_ended", timeout=5)
        assert ended["reason"] == "logged_out"
        await gateway.queued("c-after-logout")  # a queue event that must not arrive
        with pytest.raises(Exception) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert getattr(closed.value, "code", None) == 4401, closed.value


async def test_a_transferred_conversation_stops_streaming_to_the_first_agent(gateway) -> None:
    alice, sam = await gateway.login("alice"), await gateway.login("sam")
    await gateway.available(alice)
    await gateway.available(sam)
    handoff = await gateway.queued("c-away")
    assert (await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)).status == 200
    async with gateway.ws("/ws/desk") as ws:
        await ws.send(json.dumps({"type": "auth", "token": alice}))
        await frames_until(ws, lambda f: f["type"] == "ready")
        await ws.send(json.dumps({"type": "watch", "handoff_id": handoff}))
        await gateway.chat("c-away", "are you there?")
        seen = await frames_until(ws, lambda f: f["type"] == "message" and f.get("role") == "customer")
        assert seen["text"] == "are you there?"
        ids = {a["display_name"].split()[0].lower(): a["id"]
               for a in (await gateway.call("GET", "/api/agents", token=alice)).body["agents"]}
        moved = await gateway.call("POST", f"/api/handoffs/{handoff}/transfer",
                                   {"agent_id": ids["sam"], "note": "escalating"}, token=alice)
        assert moved.status == 200, moved
        await frames_until(ws, lambda f: f["type"] == "released")
        await gateway.chat("c-away", "my secret account details")
        later = await silence(ws, 1.5)
        assert not [f for f in later if f["type"] in ("message", "typing")], later
    answer = await gateway.call("GET", f"/api/handoffs/{handoff}/messages", token=alice)
    assert answer.status == 403, answer


async def test_login_is_throttled_then_locked_with_429_and_retry_after(gateway) -> None:
    clock = [1000.0]
    gateway.services.login_throttle = LoginThrottle(ThrottlePolicy(free=3, lock_after=6, lock_seconds=300),
                                                    ThrottlePolicy(free=50, lock_after=100), clock=lambda: clock[0])
    wrong = {"username": "alice", "password": "nope"}
    seen = []
    for _ in range(12):
        answer = await gateway.call("POST", "/api/auth/login", wrong)
        seen.append((answer.status, answer.headers.get("retry-after")))
        if answer.status == 429 and answer.headers["retry-after"] != "300":
            clock[0] += int(answer.headers["retry-after"])  # a patient attacker waits out each delay
    assert [s for s, _ in seen[:3]] == [401, 401, 401], seen
    assert (429, "1") in seen and (429, "2") in seen, f"no growing delays: {seen}"
    assert seen.count((401, None)) == 6 and seen[-1] == (429, "300"), f"not locked after 6 failures: {seen}"
    right = {"username": "alice", "password": "alice-demo-pass"}
    locked = await gateway.call("POST", "/api/auth/login", right)
    assert locked.status == 429 and locked.headers["retry-after"] == "300", locked
    clock[0] += 301
    assert (await gateway.call("POST", "/api/auth/login", right)).status == 200


async def test_waits_grow_after_the_free_failures() -> None:
    clock = [0.0]
    throttle = LoginThrottle(ThrottlePolicy(free=2, lock_after=5, lock_seconds=60), ThrottlePolicy(free=99, lock_after=99),
                             clock=lambda: clock[0])
    waits = []
    for _ in range(5):
        throttle.failed("bob", "10.0.0.1")
        try:
            throttle.check("bob", "10.0.0.1")
            waits.append(0)
        except Exception as locked:  # noqa: BLE001 - LoginLocked carries the wait
            waits.append(locked.retry_after)
    assert waits == [0, 1, 2, 4, 60], waits


async def test_a_huge_id_on_the_desk_socket_is_an_error_frame_and_the_socket_stays(gateway) -> None:
    sam = await gateway.login("sam")
    async with gateway.ws("/ws/desk") as ws:
        await ws.send(json.dumps({"type": "auth", "token": sam}))
        await frames_until(ws, lambda f: f["type"] == "ready")
        for handoff_id in (2**63, 2**70, -1):
            await ws.send(json.dumps({"type": "watch", "handoff_id": handoff_id}))
            error = await frames_until(ws, lambda f: f["type"] == "error")
            assert error["error"] == "not_found", error
        await ws.send("{" * 3000)
        assert (await frames_until(ws, lambda f: f["type"] == "error"))["error"] == "invalid_json"
        await ws.ping()
