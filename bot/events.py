"""Live events between the gateway's handlers and its websocket clients.

Topics are plain strings: ``conversation:<id>`` for what a customer's client shows,
``agent:<id>`` for one agent's desk, and ``desk`` for everything every desk should refresh
(queues changed, an agent's presence). This hub lives in one gateway process; with several
gateway instances the same interface is backed by Redis pub/sub, and clients that missed
events catch up through the history endpoints, which read the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Set, Tuple

logger = logging.getLogger(__name__)

DESK = "desk"
SUBSCRIBER_BUFFER = 256


def conversation_topic(conversation_id: str) -> str:
    """The topic a customer's client listens to."""
    return f"conversation:{conversation_id}"


def agent_topic(agent_id: int) -> str:
    """The topic one agent's desk listens to."""
    return f"agent:{agent_id}"


class Subscription:
    """One client's inbox: the events of the topics it listens to, in order."""

    def __init__(self, hub: "EventHub") -> None:
        self._hub = hub
        self.topics: Set[str] = set()
        self.queue: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue(maxsize=SUBSCRIBER_BUFFER)

    def add(self, topic: str) -> None:
        """Start receiving ``topic``."""
        self.topics.add(topic)
        self._hub._subscribers[topic].add(self.queue)

    def close(self) -> None:
        """Stop receiving every topic."""
        for topic in list(self.topics):
            self.remove(topic)

    def remove(self, topic: str) -> None:
        """Stop receiving ``topic``."""
        self.topics.discard(topic)
        listeners = self._hub._subscribers.get(topic)
        if listeners is not None:
            listeners.discard(self.queue)
            if not listeners:
                del self._hub._subscribers[topic]

    def deliver(self, event: Dict[str, Any]) -> None:
        """Put an event for this client alone in line with its other events (replies, errors)."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            logger.warning("a client is not reading; event dropped (it can catch up from history)")

    async def next(self) -> Dict[str, Any]:
        """Wait for the next event."""
        return await self.queue.get()


class EventHub:
    """Fan-out of JSON-able events to the subscribers of a topic, without blocking publishers."""

    def __init__(self) -> None:
        self._subscribers: Dict[str, Set[asyncio.Queue]] = defaultdict(set)

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
        for queue in list(self._subscribers.get(topic, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                logger.warning("a subscriber of %s is not reading; event dropped (it can catch up from history)", topic)

    def subscriber_count(self, topic: str) -> int:
        """How many clients listen to ``topic`` (for health and tests)."""
        return len(self._subscribers.get(topic, ()))


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
