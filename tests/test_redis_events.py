"""The Redis-backed event hub (``bot/event_bus_redis.py``) on a real ``redis-server``
(``tests/redis_support.py``): several instances, one order, subscriptions that follow the
clients, Redis going away and coming back, and two in-process gateways on one database."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List

import pytest

from bot.event_bus_redis import RedisEventHub
from bot.events import SUBSCRIBER_BUFFER, HubState, Subscription
from tests.gateway_harness import frames_until, running_gateway
from tests.openapi_check import assert_matches_spec
from tests.redis_support import RedisServer

WAIT_S = 30.0  # the most any wait below may take before the test fails (none should come close)
TOPIC = "conversation:c1"


@pytest.fixture
def prefix() -> str:
    """Channels of this test alone, so what other tests left cannot confuse PUBSUB CHANNELS."""
    return f"test-{uuid.uuid4().hex[:8]}:"


@asynccontextmanager
async def running_hub(url: str, prefix: str) -> AsyncIterator[RedisEventHub]:
    """One gateway instance's hub, started and connected; stopped afterwards."""
    hub = RedisEventHub(url, channel_prefix=prefix)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


async def received(subscription: Subscription, count: int, what: str) -> List[Dict[str, Any]]:
    """The next ``count`` events of ``subscription``, or a failure that says how many came."""
    events: List[Dict[str, Any]] = []

    async def take() -> None:
        while len(events) < count:
            events.append(await subscription.next())

    try:
        await asyncio.wait_for(take(), WAIT_S)
    except asyncio.TimeoutError:
        pytest.fail(f"{what}: {len(events)} of {count} events came within {WAIT_S} s (last: {events[-3:]})")
    return events


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until ``check()`` is true, or fail saying what never happened."""
    async def poll() -> None:
        while not await check():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), WAIT_S)
    except asyncio.TimeoutError:
        pytest.fail(f"{what} did not happen within {WAIT_S} s")


def in_state(*hubs: RedisEventHub, state: HubState) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all(hub.state is state for hub in hubs)
    return check


async def test_a_subscriber_on_one_instance_gets_200_events_of_another_in_order(redis_url, prefix) -> None:
    async with running_hub(redis_url, prefix) as a, running_hub(redis_url, prefix) as b:
        assert a.state is HubState.CONNECTED and b.state is HubState.CONNECTED
        assert a.instance != b.instance
        with b.subscribe(TOPIC) as on_b:
            await b.settled()
            for n in range(200):
                a.publish(TOPIC, {"n": n})
            events = await received(on_b, 200, "hub B receiving hub A's events")
    assert [e["n"] for e in events] == list(range(200))


async def test_every_subscriber_sees_one_order_that_keeps_each_sources_order(redis_url, prefix) -> None:
    async with running_hub(redis_url, prefix) as a, running_hub(redis_url, prefix) as b:
        with a.subscribe(TOPIC) as on_a, b.subscribe(TOPIC) as on_b, b.subscribe(TOPIC) as also_on_b:
            await a.settled()
            await b.settled()
            for n in range(100):
                a.publish(TOPIC, {"from": "a", "n": n})
                b.publish(TOPIC, {"from": "b", "n": n})
                if n % 10 == 9:
                    await asyncio.sleep(0)  # let both writers run between bursts, so the sources interleave
            seen = [await received(s, 200, f"subscriber {i}") for i, s in enumerate((on_a, on_b, also_on_b))]
    assert seen[0] == seen[1] == seen[2], "subscribers on the two instances saw different orders"
    for source in ("a", "b"):
        assert [e["n"] for e in seen[0] if e["from"] == source] == list(range(100)), f"{source}'s order was lost"


async def test_an_event_for_one_client_stays_in_line_with_published_ones(redis_url, prefix) -> None:
    async with running_hub(redis_url, prefix) as a:
        with a.subscribe(TOPIC) as client:
            await a.settled()
            a.publish(TOPIC, {"type": "message", "n": 1})
            client.deliver({"type": "error", "n": 2})  # e.g. "the assistant is unavailable" after the echo
            a.publish(TOPIC, {"type": "message", "n": 3})
            events = await received(client, 3, "the client's events")
    assert [e["n"] for e in events] == [1, 2, 3]


async def test_a_subscription_made_just_before_a_publish_receives_it(redis_url, prefix) -> None:
    async with running_hub(redis_url, prefix) as a:
        with a.subscribe() as client:
            for n in range(20):
                client.add(f"conversation:{n}")  # no settled(): the writer subscribes before it publishes
                a.publish(f"conversation:{n}", {"n": n})
            events = await received(client, 20, "events published right after subscribing")
    assert [e["n"] for e in events] == list(range(20))


async def test_unsubscribing_and_closing_stop_delivery_and_leave_no_redis_subscription(
        redis_server: RedisServer, redis_url, prefix) -> None:
    redis = redis_server.client()
    try:
        async def topic_channels() -> List[str]:
            return sorted(await redis.pubsub_channels(f"{prefix}topic:*"))

        async with running_hub(redis_url, prefix) as a, running_hub(redis_url, prefix) as b:
            client, witness = a.open("t1", "t2"), a.open("t3")
            await a.settled()
            assert await topic_channels() == [a.topic_channel(t) for t in ("t1", "t2", "t3")]
            assert a.subscriber_count("t1") == 1

            client.remove("t1")
            await eventually(lambda: _equals(topic_channels(), [a.topic_channel("t2"), a.topic_channel("t3")]),
                             "UNSUBSCRIBE of t1 once its last subscriber left")
            b.publish("t1", {"n": 1})
            b.publish("t2", {"n": 2})  # Redis delivers in order: had t1's event come, it would come first
            assert (await received(client, 1, "t2's event"))[0] == {"n": 2}

            client.close()
            await eventually(lambda: _equals(topic_channels(), [a.topic_channel("t3")]), "UNSUBSCRIBE after close()")
            b.publish("t2", {"n": 3})
            b.publish("t3", {"n": 4})
            assert (await received(witness, 1, "t3's event"))[0] == {"n": 4}
            assert client.queue.empty(), "a closed subscription still received an event"
            assert a.subscriber_count("t2") == 0
            witness.close()
            await eventually(lambda: _equals(topic_channels(), []), "no topic channel left")
        assert await redis.pubsub_channels(f"{prefix}*") == [], "a stopped hub left its inbox subscribed"
        assert await redis.pubsub_numpat() == 0
    finally:
        await redis.close()


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return await value == expected


async def test_a_stalled_subscriber_does_not_hold_up_the_others(redis_url, prefix) -> None:
    async with running_hub(redis_url, prefix) as a, running_hub(redis_url, prefix) as b:
        with a.subscribe(TOPIC) as stalled, a.subscribe(TOPIC) as reading, b.subscribe(TOPIC) as elsewhere:
            await a.settled()
            await b.settled()
            for n in range(SUBSCRIBER_BUFFER):  # fills the stalled client's buffer exactly
                b.publish(TOPIC, {"n": n})
            first = await received(reading, SUBSCRIBER_BUFFER, "the reading client, first round")
            await received(elsewhere, SUBSCRIBER_BUFFER, "the other instance's client, first round")
            for n in range(SUBSCRIBER_BUFFER, SUBSCRIBER_BUFFER + 100):  # the stalled client has no room left
                b.publish(TOPIC, {"n": n})
            second = await received(reading, 100, "the reading client, after the stalled one filled up")
            third = await received(elsewhere, 100, "the other instance's client, after the stalled one filled up")
            assert stalled.queue.qsize() == SUBSCRIBER_BUFFER
            kept = [stalled.queue.get_nowait()["n"] for _ in range(SUBSCRIBER_BUFFER)]
    assert [e["n"] for e in first + second] == list(range(SUBSCRIBER_BUFFER + 100))
    assert [e["n"] for e in third] == list(range(SUBSCRIBER_BUFFER, SUBSCRIBER_BUFFER + 100))
    assert kept == list(range(SUBSCRIBER_BUFFER)), "the stalled client kept the oldest events, dropped the rest"


async def test_redis_killed_and_restarted_mid_run(redis_server: RedisServer, redis_url, prefix, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.event_bus_redis")
    async with running_hub(redis_url, prefix) as a, running_hub(redis_url, prefix) as b:
        with a.subscribe(TOPIC) as on_a, b.subscribe(TOPIC) as on_b:
            await a.settled()
            await b.settled()
            b.publish(TOPIC, {"n": 1})
            assert (await received(on_a, 1, "before the crash"))[0] == {"n": 1}
            assert (await received(on_b, 1, "before the crash, on b"))[0] == {"n": 1}

            redis_server.kill()
            await eventually(in_state(a, b, state=HubState.DISCONNECTED), "both hubs noticing Redis is gone")
            assert "lost Redis" in caplog.text and "reconnecting" in caplog.text
            a.describe()  # still answers
            a.publish(TOPIC, {"n": 2})  # while Redis is away, an instance's own clients still get its events
            assert (await received(on_a, 1, "a local event during the outage"))[0] == {"n": 2}

            redis_server.start()
            await eventually(in_state(a, b, state=HubState.CONNECTED), "both hubs reconnecting")
            assert "connected to Redis" in caplog.text
            # Every client is told it may have missed events and should catch up from history.
            assert await received(on_a, 1, "the resync frame on a") == [{"type": "resync"}]
            assert await received(on_b, 1, "the resync frame on b") == [{"type": "resync"}]
            b.publish(TOPIC, {"n": 3})
            assert (await received(on_a, 1, "after the restart"))[0] == {"n": 3}
            # b's client missed a's event of the outage (at most once; it catches up from history)
            assert (await received(on_b, 1, "after the restart, on b"))[0] == {"n": 3}


async def test_a_hub_that_cannot_reach_redis_at_start_serves_locally_and_connects_later(
        redis_server: RedisServer, redis_url, prefix, caplog) -> None:
    redis_server.kill()
    async with running_hub(redis_url, prefix) as a:
        assert a.state is HubState.DISCONNECTED and "cannot reach Redis" in caplog.text
        with a.subscribe(TOPIC) as client:
            await a.settled()  # returns at once: nothing to wait for while Redis is away
            a.publish(TOPIC, {"n": 1})
            assert (await received(client, 1, "a local event without Redis"))[0] == {"n": 1}
            redis_server.start()
            await eventually(in_state(a, state=HubState.CONNECTED), "the hub connecting once Redis is up")
            # Other instances' events of the outage never reached this client: it is told to catch up.
            assert await received(client, 1, "the resync frame") == [{"type": "resync"}]
            a.publish(TOPIC, {"n": 2})
            assert (await received(client, 1, "an event through Redis"))[0] == {"n": 2}


def _customer_message(role: str, text: str = ""):
    return lambda f: f["type"] == "message" and f["role"] == role and text in (f.get("text") or "")


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request, tmp_path) -> str:
    """One database for two gateways: a SQLite file, or a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("postgres_server").new_database("two_gateways")


async def test_two_gateways_on_one_database_carry_a_handoff_between_instances(
        redis_url, shared_database, tmp_path) -> None:
    """The customer chats through gateway A; the agent works through gateway B."""
    settings = {"redis_url": redis_url}
    for folder in ("a", "b"):  # each instance's own data folder, one database
        (tmp_path / folder).mkdir()
    async with running_gateway(tmp_path / "a", settings=settings, database_url=shared_database) as a, \
            running_gateway(tmp_path / "b", settings=settings, database_url=shared_database) as b:
        for gateway in (a, b):
            health = await gateway.call("GET", "/health")
            assert health.body["event_hub"]["backend"] == "redis" and health.body["components"]["event_hub"] == "up"
            assert_matches_spec("/health", "get", health.status, health.body)
        alice = await b.login("alice")
        await b.available(alice)
        async with a.ws("/ws/chat?sender=two-gateways") as customer, b.ws("/ws/desk") as desk:
            await frames_until(customer, lambda f: f["type"] == "ready")
            await desk.send(json.dumps({"type": "auth", "token": alice}))
            await frames_until(desk, lambda f: f["type"] == "ready")

            await customer.send(json.dumps({"type": "message", "text": "I want a human please"}))
            queued = await frames_until(customer, lambda f: f["type"] == "queue")
            await frames_until(desk, lambda f: f["type"] == "queues_changed")  # published on A, seen on B
            accepted = await b.call("POST", f"/api/handoffs/{queued['id']}/accept", token=alice)
            assert accepted.status == 200, accepted
            await frames_until(customer, lambda f: f["type"] == "handoff" and f["status"] == "assigned")

            replies = [f"Reply {n} from gateway B" for n in range(5)]
            for text in replies:
                sent = await b.call("POST", f"/api/handoffs/{queued['id']}/messages", {"text": text}, token=alice)
                assert sent.status == 201, sent
            got = [(await frames_until(customer, _customer_message("agent")))["text"] for _ in replies]
            assert got == replies

            await customer.send(json.dumps({"type": "message", "text": "thanks, that works"}))
            seen = await frames_until(desk, _customer_message("customer", "thanks"))
            assert seen["handoff_id"] == queued["id"] and seen["text"] == "thanks, that works"


async def test_health_reports_redis_going_away_and_http_keeps_working(
        redis_server: RedisServer, redis_url, tmp_path) -> None:
    async with running_gateway(tmp_path, settings={"redis_url": redis_url}) as gateway:
        health = (await gateway.call("GET", "/health")).body
        assert health["event_hub"]["state"] == "connected" and health["components"]["event_hub"] == "up"
        redis_server.kill()

        async def reported_down() -> bool:
            body = (await gateway.call("GET", "/health")).body
            return body["components"]["event_hub"] == "down" and body["status"] == "degraded"

        await eventually(reported_down, "/health reporting the event hub down")
        assert (await gateway.call("GET", "/health")).body["event_hub"]["state"] == "disconnected"
        answer = await gateway.chat("no-redis", "hello there")
        assert answer.status == 200 and answer.body["replies"], answer
        history = await gateway.call("GET", "/api/chat/history?sender=no-redis")
        assert [m["text"] for m in history.body["messages"]][:1] == ["hello there"]

        redis_server.start()

        async def reported_up() -> bool:
            return (await gateway.call("GET", "/health")).body["components"]["event_hub"] == "up"

        await eventually(reported_up, "/health reporting the event hub back up")
