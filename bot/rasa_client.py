"""A small async client for the Rasa server: the REST channel and the token-protected API."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List, Optional

import aiohttp

from bot.errors import RasaUnavailable

logger = logging.getLogger(__name__)


DEFAULT_IN_FLIGHT = 4


class RasaClient:
    """Talks to one Rasa server over HTTP; create inside a running event loop.

    At most ``max_in_flight`` customer turns are with Rasa at once; the others wait in line,
    first come first served (:class:`asyncio.Semaphore` is fair). Rasa runs one turn's NLU
    and policies at a time, so a few turns in flight keep it busy (one waits on the action
    server or the database while another is computed), while hundreds at once only made
    each wait longer in no order: at 200 customers some waited more than 30 s and failed,
    while others were answered at once.
    """

    def __init__(self, base_url: str, token: str, timeout_s: float, max_in_flight: int = DEFAULT_IN_FLIGHT,
                 queue_timeout_s: Optional[float] = None) -> None:
        """``timeout_s`` bounds each request to Rasa, ``queue_timeout_s`` (default: the same)
        the wait for a place among the turns in flight."""
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))
        self._turns = asyncio.Semaphore(max(1, max_in_flight))
        self._queue_timeout_s = timeout_s if queue_timeout_s is None else queue_timeout_s

    @asynccontextmanager
    async def _turn_slot(self) -> AsyncIterator[None]:
        """A place among the turns in flight, waiting at most the timeout for one."""
        try:
            await asyncio.wait_for(self._turns.acquire(), self._queue_timeout_s)
        except asyncio.TimeoutError as exc:
            logger.error("Rasa is too busy: no turn finished for %.0f s", self._queue_timeout_s)
            raise RasaUnavailable("The assistant is very busy right now; please try again shortly.") from exc
        try:
            yield
        finally:
            self._turns.release()

    async def close(self) -> None:
        """Release the connection pool."""
        await self._session.close()

    def _auth(self) -> Dict[str, str]:
        return {"token": self._token} if self._token else {}

    async def send_message(
        self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None
    ) -> List[Dict[str, Any]]:
        """Send a customer turn through Rasa's REST channel and return the bot's replies."""
        body = {"sender": sender_id, "message": text, "metadata": metadata or {}}
        url = f"{self._base_url}/webhooks/rest/webhook"
        try:
            async with self._turn_slot(), self._session.post(url, json=body) as response:
                if response.status != 200:
                    detail = (await response.text())[:200]
                    logger.error("Rasa answered %s: %s", response.status, detail)
                    raise RasaUnavailable("The assistant could not process the message; please try again.")
                replies = await response.json()
        except asyncio.TimeoutError as exc:
            logger.error("Rasa did not answer in time")
            raise RasaUnavailable("The assistant took too long to answer; please try again.") from exc
        except aiohttp.ClientError as exc:
            logger.error("Rasa is unreachable at %s: %s", self._base_url, exc)
            raise RasaUnavailable("The assistant is unavailable right now; please try again shortly.") from exc
        if not isinstance(replies, list):
            raise RasaUnavailable("The assistant gave an unexpected answer; please try again.")
        return [reply for reply in replies if isinstance(reply, dict)]

    async def status(self) -> Dict[str, Any]:
        """Rasa's /status (model loaded and its fingerprint); raises RasaUnavailable."""
        try:
            async with self._session.get(f"{self._base_url}/status", params=self._auth()) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa status answered HTTP {response.status}")
                return await response.json()
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise RasaUnavailable("Rasa is unreachable") from exc

    async def tracker(self, sender_id: str) -> Dict[str, Any]:
        """The conversation's tracker from Rasa's API (needs the token)."""
        url = f"{self._base_url}/conversations/{sender_id}/tracker"
        try:
            async with self._session.get(url, params=self._auth()) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa tracker answered HTTP {response.status}")
                return await response.json()
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise RasaUnavailable("Rasa is unreachable") from exc

    async def trigger_intent(self, sender_id: str, intent: str) -> List[Dict[str, Any]]:
        """Make Rasa act as if the customer had said ``intent``; returns the bot's messages."""
        url = f"{self._base_url}/conversations/{sender_id}/trigger_intent"
        try:
            async with self._turn_slot(), self._session.post(url, params=self._auth(), json={"name": intent}) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa trigger_intent answered HTTP {response.status}")
                body = await response.json()
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise RasaUnavailable("Rasa is unreachable") from exc
        return [m for m in body.get("messages") or [] if isinstance(m, dict)]
