"""Live events between the gateway's handlers and its websocket clients.

Topics are plain strings: ``conversation:<id>`` for what a customer's client shows,
``agent:<id>`` for one agent's desk, and ``desk`` for everything every desk should refresh
(queues changed, an agent's presence). Handlers publish after their transaction commits
(:class:`Outbox`); publishing never blocks, and a client that stops reading loses events
(its buffer holds ``SUBSCRIBER_BUFFER``) rather than holding anyone up.

:class:`EventHub` is the fan-out inside one gateway process: it is the whole hub when
``SWITCHBOARD_REDIS_URL`` is unset (one instance, ``make run``). With several gateway
instances on one database, ``bot/event_bus_redis.py`` carries the same interface over Redis
pub/sub, so a customer's socket on one instance sees what an agent does through another, in
one order for every instance. Delivery is at most once: events published while Redis is
unreachable reach only the publishing instance's own clients, and clients that missed events
catch up through the history endpoints (``GET /api/chat/history``, the ``history`` frame,
``GET /api/handoffs/<id>/messages``), which read the database.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import defaultdict
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

logger = logging.getLogger(__name__)

DESK = "desk"
SUBSCRIBER_BUFFER = 256

_subscription_ids = itertools.count(1)


def conversation_topic(conversation_id: str) -> str:
    """The topic a customer's client listens to."""
    return f"conversation:{conversation_id}"


def agent_topic(agent_id: int) -> str:
    """The topic one agent's desk listens to."""
    return f"agent:{agent_id}"


class HubBackend(StrEnum):
    """What carries events between publishers and subscribers."""

    MEMORY = "memory"  # this process only
    REDIS = "redis"  # every gateway instance, through Redis pub/sub


class HubState(StrEnum):
    """Whether the hub reaches every instance's subscribers right now."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class Subscription:
    """One client's inbox: the events of the topics it listens to, in order."""

    def __init__(self, hub: "EventHub") -> None:
        self._hub = hub
        self.id = next(_subscription_ids)
        self.topics: Set[str] = set()
        self.queue: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue(maxsize=SUBSCRIBER_BUFFER)

    def add(self, topic: str) -> None:
        """Start receiving ``topic``."""
        if topic not in self.topics:
            self.topics.add(topic)
            self._hub._attach(topic, self)

    def close(self) -> None:
        """Stop receiving every topic."""
        for topic in list(self.topics):
            self.remove(topic)

    def remove(self, topic: str) -> None:
        """Stop receiving ``topic``."""
        if topic in self.topics:
            self.topics.discard(topic)
            self._hub._detach(topic, self)

    def deliver(self, event: Dict[str, Any]) -> None:
        """Put an event for this client alone in line with its other events (replies, errors)."""
        self._hub._deliver(self, event)

    def offer(self, event: Dict[str, Any], topic: Optional[str] = None) -> None:
        """Queue ``event`` now; a full (stalled) client drops it (the hub's last step)."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            logger.warning("a client%s is not reading; event dropped (it can catch up from history)",
                           f" of {topic}" if topic else "")

    async def next(self) -> Dict[str, Any]:
        """Wait for the next event."""
        return await self.queue.get()


class EventHub:
    """Fan-out of JSON-able events to the subscribers of a topic in this process, without blocking publishers."""

    backend = HubBackend.MEMORY

    def __init__(self) -> None:
        self._subscribers: Dict[str, Set[Subscription]] = defaultdict(set)

    @property
    def state(self) -> HubState:
        """Always connected: every subscriber is in this process."""
        return HubState.CONNECTED

    def describe(self) -> Dict[str, str]:
        """Backend and state, for ``/health``."""
        return {"backend": self.backend.value, "state": self.state.value}

    async def start(self) -> None:
        """Nothing to open (at server start)."""

    async def stop(self) -> None:
        """Nothing to close (at server stop)."""

    async def settled(self) -> None:
        """Return once the subscriptions made so far receive every instance's events (at once here)."""

    def open(self, *topics: str) -> Subscription:
        """A subscription to ``topics`` (more can be added); the caller must ``close()`` it."""
        subscription = Subscription(self)
        for topic in topics:
            subscription.add(topic)
        return subscription

    @contextmanager
    def subscribe(self, *topics: str) -> Iterator[Subscription]:
        """A subscription to ``topics`` (more can be added) that ends with the block."""
        subscription = self.open(*topics)
        try:
            yield subscription
        finally:
            subscription.close()

    def publish(self, topic: str, event: Dict[str, Any]) -> None:
        """Deliver ``event`` to every current subscriber; a full (stalled) subscriber drops it."""
        self.fan_out(topic, event)

    def fan_out(self, topic: str, event: Dict[str, Any]) -> None:
        """Hand ``event`` to this process's subscribers of ``topic``, now."""
        for subscription in list(self._subscribers.get(topic, ())):
            subscription.offer(event, topic)

    def subscriber_count(self, topic: str) -> int:
        """How many clients of this process listen to ``topic`` (for health and tests)."""
        return len(self._subscribers.get(topic, ()))

    def local_topics(self) -> Set[str]:
        """The topics this process's clients listen to."""
        return set(self._subscribers)

    def _attach(self, topic: str, subscription: Subscription) -> None:
        first = topic not in self._subscribers
        self._subscribers[topic].add(subscription)
        if first:
            self._topics_changed()

    def _detach(self, topic: str, subscription: Subscription) -> None:
        listeners = self._subscribers.get(topic)
        if listeners is None:
            return
        listeners.discard(subscription)
        if not listeners:
            del self._subscribers[topic]
            self._topics_changed()

    def _topics_changed(self) -> None:
        """A topic got its first local subscriber or lost its last one (a bridge follows it)."""

    def _deliver(self, subscription: Subscription, event: Dict[str, Any]) -> None:
        subscription.offer(event)


class Outbox:
    """Events collected inside a database transaction, published only once it has committed."""

    def __init__(self) -> None:
        self.events: List[Tuple[str, Dict[str, Any]]] = []

    def add(self, topic: str, event: Dict[str, Any]) -> None:
        """Queue ``event`` for ``topic``."""
        self.events.append((topic, event))

    def publish(self, hub: EventHub) -> None:
        """Hand every queued event to the hub, in order, and forget them."""
        for topic, event in self.events:
            hub.publish(topic, event)
        self.events.clear()
