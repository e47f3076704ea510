"""Simulated customers: scripts of turns, sent over HTTP, the websocket or Rasa's webhook.

Each transport has one ``turn(sender, text)`` coroutine returning when the reply has come:
``POST /api/chat`` returns with the replies; on ``/ws/chat`` the turn ends at the first bot
message after the customer's; Rasa's REST webhook (``/webhooks/rest/webhook``) is the same
conversation without the gateway, to tell the gateway's cost from Rasa's.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Protocol

import aiohttp

from switchboard.bench_chat.scripts import Script
from switchboard.bench_chat.stats import Run

TURN_TIMEOUT_S = 30.0


class TurnFailed(Exception):
    """A turn that got no proper reply; ``kind`` is what went wrong (for the error counts)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Conversation(Protocol):
    """One customer's connection to the assistant."""

    async def turn(self, text: str) -> None: ...

    async def close(self) -> None: ...


class PostConversation:
    """One POST of ``{"sender", "message"}`` per turn: the gateway's ``/api/chat`` (its body's
    ``replies``) or Rasa's REST webhook (a list of replies)."""

    def __init__(self, http: aiohttp.ClientSession, url: str, sender: str, server: str,
                 replies: Callable[[Any], Any]) -> None:
        self.http, self.url, self.sender, self.server, self._replies = http, url, sender, server, replies

    async def turn(self, text: str) -> None:
        async with self.http.post(self.url, json={"sender": self.sender, "message": text}) as reply:
            body = await reply.read()
            if reply.status != 200:
                raise TurnFailed(f"{self.server} {reply.status}")
            if not self._replies(json.loads(body)):
                raise TurnFailed("no reply")

    async def close(self) -> None:
        return None


class SocketConversation:
    """``/ws/chat``: a turn ends at the first bot message that follows the customer's."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self._bot: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, gateway: str, sender: str) -> "SocketConversation":
        socket = await http.ws_connect(f"{gateway.replace('http', 'ws', 1)}/ws/chat?sender={sender}")
        ready = await socket.receive_json(timeout=TURN_TIMEOUT_S)
        if ready.get("type") != "ready":
            raise TurnFailed(f"no ready frame: {str(ready)[:80]}")
        return cls(socket)

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            if frame.get("type") == "error" or (frame.get("type") == "message" and frame.get("role") == "bot"):
                await self._bot.put(frame)
        await self._bot.put({"type": "closed"})

    async def turn(self, text: str) -> None:
        while not self._bot.empty():  # later replies of the previous turn
            self._bot.get_nowait()
        await self.socket.send_json({"type": "message", "text": text})
        frame = await asyncio.wait_for(self._bot.get(), TURN_TIMEOUT_S)
        if frame["type"] != "message":
            raise TurnFailed(f"socket {frame['type']}: {frame.get('error', '')}")

    async def close(self) -> None:
        await self.socket.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


async def open_conversation(transport: str, http: aiohttp.ClientSession, urls: Dict[str, str], sender: str) -> Conversation:
    """A new customer's conversation over ``transport`` (http, ws or webhook)."""
    if transport == "http":
        return PostConversation(http, f"{urls['gateway']}/api/chat", sender, "http", lambda body: body.get("replies"))
    if transport == "webhook":
        return PostConversation(http, f"{urls['rasa']}/webhooks/rest/webhook", sender, "rasa", lambda body: body)
    if transport == "ws":
        return await SocketConversation.open(http, urls["gateway"], sender)
    raise ValueError(f"unknown transport {transport!r}")


async def play(conversation: Conversation, script: Script, run: Run, latencies: Optional[List[float]] = None) -> None:
    """Send the script's turns one after the other, recording each turn in ``run``
    (and, if given, each turn's latency by position in ``latencies``)."""
    for text in script.turns:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(conversation.turn(text), TURN_TIMEOUT_S)
        except TurnFailed as failed:
            run.error(failed.kind)
            continue
        except asyncio.TimeoutError:
            run.error("timeout")
            continue
        except (aiohttp.ClientError, ConnectionError, ValueError) as failed:
            run.error(type(failed).__name__)
            continue
        elapsed = time.perf_counter() - started
        run.latencies.append(elapsed)
        if latencies is not None:
            latencies.append(elapsed)


def new_sender(prefix: str) -> str:
    """A sender id nobody has used: each simulated customer starts a new conversation."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
