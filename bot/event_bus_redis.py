"""The event hub across gateway instances: ``bot/events.py``'s interface carried over Redis pub/sub.

Used when ``SWITCHBOARD_REDIS_URL`` is set. Per gateway instance:

- ``publish()`` (and ``Subscription.deliver()``, for an event meant for one client) never
  waits: it appends a JSON envelope ``{"origin": <instance>, "event": {...}}`` to one ordered
  outbound line, and ONE writer task sends that line to Redis in order (pipelined PUBLISHes
  on the instance's publishing connection).
- ONE reader task holds the instance's one subscriber connection, subscribed to the channel
  of each topic that has a subscriber on this instance (``switchboard:<db>:topic:<topic>``)
  and to the instance's inbox (``switchboard:<db>:instance:<id>``), which carries
  ``deliver()``'s events (``"to": <subscription id>``). Local subscribers get events only
  from what this connection returns, their own instance's included, so every instance's
  clients see a topic's events in the one order Redis processed them, and a client's own
  errors and replays stay in line with the events published before them.
- Channels follow local subscriptions (SUBSCRIBE on a topic's first local subscriber,
  UNSUBSCRIBE after its last) rather than one pattern subscription: an instance receives
  only what its own clients follow instead of every event of every instance, and
  ``PUBSUB CHANNELS`` shows what is followed. Before it sends anything queued after a
  subscription change, the writer waits until Redis has applied the change (a PING on the
  subscriber connection, answered in line with the SUBSCRIBE), so an event published after a
  client subscribed reaches it; :meth:`RedisEventHub.settled` waits for the same point.

When Redis goes away the state becomes ``disconnected`` and a warning is logged. HTTP keeps
working; events still queued, and those published until Redis answers again, reach this
instance's clients only; the hub reconnects with backoff (``RECONNECT_FIRST_S`` doubling to
``RECONNECT_MAX_S``), follows the current topics again and logs that it is back. Delivery is
at most once: events other instances published meanwhile, and one in flight when the
connection broke, are not replayed. Once Redis answers again every local client gets a
``{"type": "resync"}`` frame and catches up through the history endpoints (the chat widget
asks for the messages after the last it has; the desk reloads its lists and conversation). A silent
connection is noticed by a heartbeat PING after ``HEARTBEAT_S`` without traffic.

Redis pub/sub ignores the URL's database number, so the channel prefix carries it: gateways
on ``redis://host/1`` and ``redis://host/2`` do not hear each other.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any, Deque, Dict, Optional, Set, Union
from weakref import WeakValueDictionary

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.events import EventHub, HubBackend, HubState, Subscription
from bot.settings import without_password

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
SOCKET_TIMEOUT_S = 10.0
HEARTBEAT_S = 5.0
HEARTBEAT_MISSES = 2  # silent heartbeats before the connection counts as dead
CONFIRM_TIMEOUT_S = 10.0
RECONNECT_FIRST_S = 0.2
RECONNECT_MAX_S = 5.0
FLUSH_TIMEOUT_S = 2.0  # at stop, how long queued events may take to leave
OUTBOUND_LIMIT = 10_000  # queued events; beyond this (Redis too slow) new ones are dropped
BATCH = 200  # PUBLISHes per pipeline round trip
RESYNC = "resync"  # the frame that tells a client to catch up from history


@dataclass
class _Publish:
    topic: str
    event: Dict[str, Any]
    data: str


@dataclass
class _Direct:
    subscription: Subscription
    event: Dict[str, Any]
    data: str


@dataclass
class _Barrier:
    done: "asyncio.Future[None]"

    def release(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


_Outgoing = Union[_Publish, _Direct, _Barrier]


def default_prefix(url: str) -> str:
    """``switchboard:<db>:``: the channels of one logical database of the Redis server."""
    return f"switchboard:{parse_url(url).get('db', 0)}:"


class RedisEventHub(EventHub):
    """The event hub of every gateway instance sharing one Redis server."""

    backend = HubBackend.REDIS

    def __init__(self, url: str, channel_prefix: Optional[str] = None) -> None:
        super().__init__()
        self.url = url
        self.instance = secrets.token_hex(6)
        prefix = default_prefix(url) if channel_prefix is None else channel_prefix
        self._topic_prefix = f"{prefix}topic:"
        self._inbox = f"{prefix}instance:{self.instance}"
        self._state = HubState.CONNECTING
        self._outbound: Deque[_Outgoing] = deque()
        self._overflowing = False
        self._wake = asyncio.Event()
        self._topics_dirty = True
        self._following: Set[str] = set()  # topics whose channels the subscriber connection has
        self._pongs: Dict[str, "asyncio.Future[None]"] = {}
        self._tokens = itertools.count(1)
        self._inboxes: "WeakValueDictionary[int, Subscription]" = WeakValueDictionary()
        self._task: Optional["asyncio.Task[None]"] = None
        self._attempted: Optional[asyncio.Event] = None
        self._missed = False  # events of other instances may have been missed since the last connection

    @property
    def state(self) -> HubState:
        """Whether events reach every instance's subscribers right now."""
        return self._state

    def describe(self) -> Dict[str, str]:
        """Backend, state and this instance's id, for ``/health``."""
        return {**super().describe(), "instance": self.instance}

    def topic_channel(self, topic: str) -> str:
        """The Redis channel that carries ``topic``."""
        return self._topic_prefix + topic

    async def start(self) -> None:
        """Start the connection's task; return after its first attempt, connected or not (serving either way)."""
        if self._task is not None:
            return
        self._attempted = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"event-hub-{self.instance}")
        await self._attempted.wait()

    async def stop(self) -> None:
        """Give queued events a moment to leave, then close the connections."""
        task, self._task = self._task, None
        if task is None:
            return
        if self._state is HubState.CONNECTED:
            try:
                await asyncio.wait_for(self.settled(), FLUSH_TIMEOUT_S)
            except asyncio.TimeoutError:
                logger.warning("event hub: %d events were still queued for Redis at stop; dropped", len(self._outbound))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        self._fall_back()  # anything left goes to this instance's clients; nobody waits on a barrier forever

    async def settled(self) -> None:
        """Return once the subscriptions made so far receive every instance's events.

        At once while Redis is unreachable: the subscriptions are made when it is back.
        """
        if self._state is not HubState.CONNECTED:
            return
        barrier = _Barrier(asyncio.get_running_loop().create_future())
        self._outbound.append(barrier)
        self._wake.set()
        await barrier.done

    def publish(self, topic: str, event: Dict[str, Any]) -> None:
        """Queue ``event`` for every instance's subscribers of ``topic`` (this instance's alone while disconnected)."""
        if self._state is not HubState.CONNECTED:
            self.fan_out(topic, event)
            return
        self._enqueue(_Publish(topic, event, self._envelope(event)))

    def _deliver(self, subscription: Subscription, event: Dict[str, Any]) -> None:
        if self._state is not HubState.CONNECTED:
            subscription.offer(event)
            return
        self._inboxes[subscription.id] = subscription
        self._enqueue(_Direct(subscription, event, self._envelope(event, to=subscription.id)))

    def _topics_changed(self) -> None:
        self._topics_dirty = True
        self._wake.set()

    def _envelope(self, event: Dict[str, Any], **extra: Any) -> str:
        return json.dumps({"origin": self.instance, **extra, "event": event}, ensure_ascii=False, separators=(",", ":"))

    def _enqueue(self, item: _Outgoing) -> None:
        if len(self._outbound) >= OUTBOUND_LIMIT:
            if not self._overflowing:
                logger.warning("event hub: Redis is not keeping up (%d events queued); new events are dropped "
                               "until it does (clients can catch up from history)", len(self._outbound))
            self._overflowing = True
            return
        self._overflowing = False
        self._outbound.append(item)
        self._wake.set()

    # The connection's life: connect, serve until something breaks, fall back, retry.

    async def _run(self) -> None:
        delay = RECONNECT_FIRST_S
        where = without_password(self.url)
        try:
            while True:
                try:
                    await self._serve()
                except Exception as error:  # noqa: BLE001 - whatever broke, fall back and retry
                    was = self._state
                    self._fall_back()
                    if was is HubState.CONNECTED:
                        delay = RECONNECT_FIRST_S
                        self._log_failure(f"lost Redis at {where} ({error}); reconnecting. Until then events reach "
                                          f"only this instance's clients; the others catch up from history", error)
                    elif not self._attempted.is_set():
                        self._log_failure(f"cannot reach Redis at {where} ({error}); serving anyway, events reach "
                                          f"only this instance's clients until it answers (retrying)", error)
                    else:
                        logger.debug("event hub: Redis at %s still unreachable: %s", where, error)
                self._attempted.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
        finally:
            self._attempted.set()

    @staticmethod
    def _log_failure(message: str, error: Exception) -> None:
        """A warning for Redis going away; with the traceback when it was not a connection failure."""
        expected = isinstance(error, (OSError, RedisConnectionError, asyncio.TimeoutError))
        logger.warning("event hub: %s", message, exc_info=None if expected else error)

    async def _serve(self) -> None:
        """One connection pair, until it fails (this only returns by raising)."""
        client = Redis.from_url(self.url, decode_responses=True, socket_connect_timeout=CONNECT_TIMEOUT_S,
                                socket_timeout=SOCKET_TIMEOUT_S)
        pubsub = client.pubsub()
        tasks: list = []
        try:
            await pubsub.subscribe(self._inbox)
            await client.ping()
            tasks = [asyncio.create_task(self._read(pubsub)), asyncio.create_task(self._write(client, pubsub))]
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
            raise RedisConnectionError("the Redis connection ended")
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await _close(client, pubsub)

    def _fall_back(self) -> None:
        """Redis is gone: deliver what was still queued to this instance's clients, and forget the subscriptions."""
        self._state = HubState.DISCONNECTED
        pending, self._outbound = self._outbound, deque()
        for item in pending:
            if isinstance(item, _Publish):
                self.fan_out(item.topic, item.event)
            elif isinstance(item, _Direct):
                item.subscription.offer(item.event)
            else:
                item.release()
        for future in self._pongs.values():
            future.cancel()
        self._pongs.clear()
        self._following = set()
        self._topics_dirty = True
        self._missed = True

    async def _write(self, client: Redis, pubsub: PubSub) -> None:
        """The one ordered publisher: subscription changes first, then the queued events in order."""
        await self._follow_topics(pubsub)
        self._state = HubState.CONNECTED
        self._attempted.set()
        logger.info("event hub: connected to Redis at %s as instance %s", without_password(self.url), self.instance)
        if self._missed:
            self._missed = False
            self._tell_clients_to_resync()
        while True:
            if self._topics_dirty:
                await self._follow_topics(pubsub)
            elif self._outbound:
                await self._send_batch(client)
            else:
                self._wake.clear()
                await self._wake.wait()

    def _tell_clients_to_resync(self) -> None:
        """A ``resync`` frame to every local client after an outage: events other instances
        published meanwhile were not delivered, and the clients fetch them from history."""
        for subscription in {s for subscribers in self._subscribers.values() for s in subscribers}:
            subscription.offer({"type": RESYNC})

    async def _follow_topics(self, pubsub: PubSub) -> None:
        """Make the subscriber connection follow exactly the local topics; wait until Redis has new ones."""
        self._topics_dirty = False
        wanted = self.local_topics()
        gone, new = self._following - wanted, wanted - self._following
        if gone:
            await pubsub.unsubscribe(*(self.topic_channel(t) for t in gone))
        if new:
            await pubsub.subscribe(*(self.topic_channel(t) for t in new))
        self._following = wanted
        if new:
            await self._confirmed(pubsub)

    async def _confirmed(self, pubsub: PubSub) -> None:
        """Wait for a PING's answer on the subscriber connection: Redis has applied what was sent before it."""
        token = f"confirm-{next(self._tokens)}"
        answer = asyncio.get_running_loop().create_future()
        self._pongs[token] = answer
        await pubsub.ping(token)
        try:
            await asyncio.wait_for(answer, CONFIRM_TIMEOUT_S)
        except asyncio.TimeoutError:
            raise RedisConnectionError(f"Redis did not confirm subscriptions within {CONFIRM_TIMEOUT_S} s") from None
        finally:
            self._pongs.pop(token, None)

    async def _send_batch(self, client: Redis) -> None:
        """Send the queued events up to the next barrier, in order, in one round trip."""
        head = self._outbound[0]
        if isinstance(head, _Barrier):
            self._outbound.popleft().release()
            return
        pipe = client.pipeline(transaction=False)
        for _ in range(BATCH):
            if not self._outbound or isinstance(self._outbound[0], _Barrier):
                break
            item = self._outbound.popleft()
            channel = self._inbox if isinstance(item, _Direct) else self.topic_channel(item.topic)
            pipe.publish(channel, item.data)
        await pipe.execute()

    async def _read(self, pubsub: PubSub) -> None:
        """The one subscriber connection: hand each event to this instance's subscribers, in Redis's order."""
        silent = 0
        while True:
            message = await pubsub.get_message(timeout=HEARTBEAT_S)
            if message is None:
                silent += 1
                if silent > HEARTBEAT_MISSES:
                    raise RedisConnectionError(f"Redis did not answer for {silent * HEARTBEAT_S:.0f} s")
                await pubsub.ping("heartbeat")
                continue
            silent = 0
            if message["type"] == "message":
                self._receive(message["channel"], message["data"])
            elif message["type"] == "pong":
                answer = self._pongs.get(message["data"])
                if answer is not None and not answer.done():
                    answer.set_result(None)

    def _receive(self, channel: str, data: str) -> None:
        try:
            envelope = json.loads(data)
        except ValueError:
            envelope = None
        event = envelope.get("event") if isinstance(envelope, dict) else None
        if not isinstance(event, dict):
            logger.warning("event hub: ignored a message on %s that is not a Switchboard event", channel)
            return
        if channel == self._inbox:
            to = envelope.get("to")
            subscription = self._inboxes.get(to) if isinstance(to, int) else None
            if subscription is not None:
                subscription.offer(event)
        elif channel.startswith(self._topic_prefix):
            self.fan_out(channel[len(self._topic_prefix):], event)


async def _close(client: Redis, pubsub: PubSub) -> None:
    """Close both connections; a connection that is already broken does not matter."""
    for closing in (pubsub.reset, lambda: client.close(close_connection_pool=True)):
        try:
            await closing()
        except Exception as error:  # noqa: BLE001 - closing what is already broken
            logger.debug("event hub: closing a Redis connection: %r", error)
