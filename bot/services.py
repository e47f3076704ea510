"""The gateway's services, built once by ``create_app`` and handed to the domain functions.

Handlers get them with :func:`services_of`; domain functions take the :class:`Services`
object (or the one service they need) as an argument, never the Sanic app. What needs a
running event loop (the database engine, Rasa's HTTP client) opens in :meth:`Services.open`
when the server starts and closes in :meth:`Services.close`. The event hub is the in-process
one, or with ``SWITCHBOARD_REDIS_URL`` the Redis bridge shared by every gateway instance; it
too connects at start and closes at stop.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, AsyncContextManager, Coroutine, Dict, List, Optional, Protocol, Set

from sanic.request import Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.db.engine import create_engine, session_factory, upgrade_schema, write_transaction
from bot.event_bus_redis import RedisEventHub
from bot.events import EventHub
from bot.login_throttle import LoginThrottle
from bot.rasa_client import RasaClient
from bot.routing.config import RoutingConfig
from bot.settings import Settings
from voice.tts import Synthesizer


class RasaApi(Protocol):
    """What the gateway asks of Rasa (the real :class:`RasaClient`, or a fake in tests)."""

    async def send_message(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None
                           ) -> List[Dict[str, Any]]:
        """One customer turn through Rasa's REST channel; the bot's replies."""

    async def tracker(self, sender_id: str) -> Dict[str, Any]:
        """The conversation's tracker."""

    async def trigger_intent(self, sender_id: str, intent: str) -> List[Dict[str, Any]]:
        """Act as if the customer had said ``intent``; the bot's replies."""

    async def status(self) -> Dict[str, Any]:
        """Rasa's status (the loaded model)."""

    async def close(self) -> None:
        """Release connections."""


@dataclass
class Executors:
    """Thread pools sized for their work, so one kind of blocking call never starves another.

    ``blocking``: password hashing, migrations, file writes. ``speech``: speech recognition
    (CPU-bound, one task per core). ``synthesis``: speech synthesis.
    """

    blocking: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="blocking"))
    speech: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max(2, os.cpu_count() or 2), thread_name_prefix="stt"))
    synthesis: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="tts"))

    def shutdown(self) -> None:
        """Stop the pools (running work finishes)."""
        for pool in (self.blocking, self.speech, self.synthesis):
            pool.shutdown(wait=False, cancel_futures=True)


class ServicesNotOpen(RuntimeError):
    """A service that needs the running server was used before the server started."""


class Services:
    """Everything the domain functions need, with one owner for each resource's life."""

    def __init__(self, settings: Settings, routing: RoutingConfig, rasa: Optional[RasaApi] = None) -> None:
        self.settings = settings
        self.routing = routing
        self.hub: EventHub = RedisEventHub(settings.redis_url) if settings.redis_url else EventHub()
        self.executors = Executors()
        self.login_throttle = LoginThrottle()
        self.dispatch_lock = asyncio.Lock()
        self._rasa = rasa
        self._owns_rasa = rasa is None
        self._engine: Optional[AsyncEngine] = None
        self._sessions: Optional["sessionmaker[AsyncSession]"] = None
        self.synthesizer = Synthesizer(executor=self.executors.synthesis)
        self._tasks: Set["asyncio.Task[Any]"] = set()

    async def open(self) -> None:
        """Migrate the database, open the engine and Rasa's client, start the event hub (at server start)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executors.blocking, upgrade_schema, self.settings.database_url)
        self._engine = create_engine(self.settings.database_url)
        self._sessions = session_factory(self._engine)
        if self._rasa is None:
            self._rasa = RasaClient(self.settings.rasa_url, self.settings.rasa_token, self.settings.rasa_timeout_s,
                                    self.settings.rasa_in_flight)
        await self.hub.start()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> "asyncio.Task[Any]":
        """Run ``work`` in the background for the server's life (cancelled by :meth:`close`)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Stop the background work and release what :meth:`open` opened."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.hub.stop()
        if self._rasa is not None and self._owns_rasa:
            await self._rasa.close()
        if self._engine is not None:
            await self._engine.dispose()
        self.executors.shutdown()

    @property
    def engine(self) -> AsyncEngine:
        """The database engine."""
        if self._engine is None:
            raise ServicesNotOpen("the database is opened when the server starts")
        return self._engine

    @property
    def sessions(self) -> "sessionmaker[AsyncSession]":
        """Database sessions for reading: ``async with services.sessions() as session: ...``
        (what they change is rolled back at the end; writes go in :meth:`transaction`)."""
        if self._sessions is None:
            raise ServicesNotOpen("the database is opened when the server starts")
        return self._sessions

    def transaction(self) -> AsyncContextManager[AsyncSession]:
        """A write transaction, committed at the end of the block:
        ``async with services.transaction() as session: ...``."""
        return write_transaction(self.sessions)

    @property
    def rasa(self) -> RasaApi:
        """Rasa's client."""
        if self._rasa is None:
            raise ServicesNotOpen("Rasa's client is opened when the server starts")
        return self._rasa


def services_of(request: Request) -> Services:
    """The services of the app serving ``request``."""
    return request.app.ctx.services
