"""The gateway in-process: ``create_app`` on a temporary SQLite database with a fake Rasa client,
served by Sanic on a loopback port inside the test's event loop.

This is how rasa-sdk and Rasa test their Sanic apps (a real HTTP server, driven from the
test); here the client is aiohttp for HTTP and ``websockets`` for the sockets. State is made
through the gateway's own API and domain functions, never with raw SQL.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

import aiohttp
import websockets
from sanic import Sanic

from bot.app import create_app
from bot.routing.config import load_routing
from bot.services import Services
from bot.settings import Settings
from pii import redact_piece
from tests.helpers import free_port, write_routing

_names = itertools.count()
HUMAN_WORDS = ("human", "agent", "person")


@dataclass
class FakeRasa:
    """Stands in for Rasa's REST channel and API: records what it stores, answers from a script.

    A message with one of HUMAN_WORDS gets a handoff signal; ``signals`` overrides the signal
    per sender (queue hint, language, customer tier).
    """

    received: List[Tuple[str, str, Dict[str, Any]]] = field(default_factory=list)
    triggered: List[Tuple[str, str]] = field(default_factory=list)
    signals: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    down: bool = False
    delay: float = 0.0  # seconds each answer takes (the real Rasa takes 0.1-2 s)

    async def send_message(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None
                           ) -> List[Dict[str, Any]]:
        from bot.errors import RasaUnavailable

        if self.down:
            raise RasaUnavailable("The assistant is unavailable right now; please try again shortly.")
        if self.delay:
            await asyncio.sleep(self.delay)
        pieces = ((metadata or {}).get("switchboard") or {}).get("card_pieces", 0)
        if pieces:  # what Rasa's tracker store does (components/tracker_store.py): mask the earlier pieces
            mine = [i for i, (sender, _t, _m) in enumerate(self.received) if sender == sender_id][-pieces:]
            for i in mine:
                sender, old, meta = self.received[i]
                self.received[i] = (sender, redact_piece(old), meta)
        self.received.append((sender_id, text, dict(metadata or {})))
        if any(word in text.lower() for word in HUMAN_WORDS):
            external = (metadata or {}).get("external_id", "")
            signal = {"reason": "customer_request", "queue": "billing", "language": "en", **self.signals.get(external, {})}
            return [{"recipient_id": sender_id, "text": "Let me find a colleague."},
                    {"recipient_id": sender_id, "custom": {"handoff": signal}}]
        return [{"recipient_id": sender_id, "text": f"You said: {text}"}]

    async def tracker(self, sender_id: str) -> Dict[str, Any]:
        texts = [t for s, t, _m in self.received if s == sender_id]
        return {"sender_id": sender_id, "slots": {"language": "en"},
                "events": [{"event": "user", "text": t, "parse_data": {"intent": {"name": "request_human",
                                                                                   "confidence": 0.9}}}
                           for t in texts]}

    async def trigger_intent(self, sender_id: str, intent: str) -> List[Dict[str, Any]]:
        self.triggered.append((sender_id, intent))
        return [{"recipient_id": sender_id, "text": "Thanks for contacting us. How did we do?"}]

    async def status(self) -> Dict[str, Any]:
        return {"model_id": "fake"}

    async def close(self) -> None:
        return None


class Response:
    """An HTTP answer: status, JSON body and headers."""

    def __init__(self, status: int, body: Any, headers: Dict[str, str]) -> None:
        self.status, self.body, self.headers = status, body, headers

    def __repr__(self) -> str:
        return f"<{self.status} {self.body!r}>"


class Gateway:
    """A running in-process gateway: its URL, services, fake Rasa and an HTTP client."""

    def __init__(self, app: Sanic, url: str, rasa: FakeRasa, http: aiohttp.ClientSession) -> None:
        self.app, self.url, self.rasa, self._http = app, url, rasa, http

    @property
    def services(self) -> Services:
        return self.app.ctx.services

    async def call(self, method: str, path: str, body: Any = None, token: Optional[str] = None,
                   raw: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None) -> Response:
        """One request; ``raw`` sends bytes as they are."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        async with self._http.request(method, self.url + path, data=data, headers=sent) as response:
            text = await response.text()
            try:
                parsed = json.loads(text) if text else None
            except json.JSONDecodeError:
                parsed = text
            return Response(response.status, parsed, {k.lower(): v for k, v in response.headers.items()})

    async def login(self, username: str) -> str:
        """A token for a demo agent (password ``<username>-demo-pass``)."""
        answer = await self.call("POST", "/api/auth/login", {"username": username, "password": f"{username}-demo-pass"})
        assert answer.status == 200, f"login of {username} failed: {answer}"
        return answer.body["token"]

    async def available(self, token: str) -> None:
        answer = await self.call("PUT", "/api/me/presence", {"presence": "available"}, token=token)
        assert answer.status == 200, answer

    async def chat(self, sender: str, message: str, metadata: Optional[Dict[str, Any]] = None) -> Response:
        body: Dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        return await self.call("POST", "/api/chat", body)

    async def queued(self, sender: str, **signal: Any) -> int:
        """Hand a new customer's conversation over (through the chat API); the handoff id."""
        if signal:
            self.rasa.signals[sender] = signal
        answer = await self.chat(sender, "I want a human please")
        assert answer.status == 200 and answer.body["handoff"], f"no handoff for {sender}: {answer}"
        return answer.body["handoff"]["id"]

    def ws(self, path: str):
        """A websocket connection to the gateway (``async with gateway.ws(...) as ws``)."""
        return websockets.connect(self.url.replace("http://", "ws://") + path, open_timeout=10)


async def frames_until(ws: Any, predicate, timeout: float = 10.0) -> Dict[str, Any]:
    """Read frames until one matches (each checked as JSON)."""
    async def read() -> Dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            if predicate(frame):
                return frame
    return await asyncio.wait_for(read(), timeout)


async def silence(ws: Any, seconds: float = 1.0) -> List[Dict[str, Any]]:
    """Every frame that arrives within ``seconds`` (for asserting that nothing more does)."""
    frames: List[Dict[str, Any]] = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), seconds)))
    except asyncio.TimeoutError:
        return frames


@asynccontextmanager
async def running_gateway(tmp: Path, *, open_now: bool = True, auto_assign: bool = False,
                          settings: Optional[Dict[str, Any]] = None, database_url: Optional[str] = None,
                          rasa: Optional[FakeRasa] = None) -> AsyncIterator[Gateway]:
    """Start the gateway on a free loopback port (SQLite in ``tmp`` unless ``database_url``); stop it afterwards."""
    routing_file = write_routing(tmp / "routing.yml", open_now=open_now, auto_assign=auto_assign)
    config = Settings(
        database_url=database_url or f"sqlite:///{tmp / 'gateway.db'}", routing_file=str(routing_file),
        data_dir=str(tmp), **(settings or {}),
    )
    rasa = rasa or FakeRasa()
    Sanic.test_mode = True  # Sanic rewrites some of its methods at start; test mode keeps the originals to reuse
    app = create_app(config, load_routing(routing_file), name=f"gateway_test_{next(_names)}", rasa=rasa)
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()  # (create_server is already listening)
    await server.before_start()
    await server.after_start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Gateway(app, f"http://127.0.0.1:{port}", rasa, http)
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


class GatewayThread:
    """The in-process gateway on its own event loop in a thread, for synchronous tests (Hypothesis).

    ``url``, ``rasa`` (the fake, appended to by the server thread) and ``services`` are usable
    once ``start()`` returns; ``stop()`` shuts the server down.
    """

    def __init__(self, tmp: Path, **options: Any) -> None:
        import threading

        self._tmp, self._options = tmp, options
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gateway", daemon=True)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._stop: Optional[asyncio.Event] = None
        self.gateway: Optional[Gateway] = None
        self.error: Optional[BaseException] = None

    def _run(self) -> None:
        async def serve() -> None:
            self._stop = asyncio.Event()
            async with running_gateway(self._tmp, **self._options) as gateway:
                self.gateway = gateway
                self._ready.set()
                await self._stop.wait()

        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(serve())
        except BaseException as error:  # noqa: BLE001 - reported to the test by start()
            self.error = error
            self._ready.set()
        finally:
            self._loop.close()

    def start(self) -> "GatewayThread":
        self._thread.start()
        if not self._ready.wait(60) or self.error is not None:
            raise RuntimeError(f"the in-process gateway did not start: {self.error!r}")
        return self

    def run(self, coroutine: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the gateway's loop (e.g. a Gateway call) and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
