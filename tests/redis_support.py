"""A throwaway Redis server for the tests (Debian's ``redis-server``): no persistence, a
temporary folder, a free loopback port, started once per test session; it can be killed and
started again on the same port to test what the gateway does when Redis goes away."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest
import redis
import redis.asyncio

from tests.helpers import free_port

REDIS_SERVER = shutil.which("redis-server")
START_TIMEOUT_S = 30.0


class RedisServer:
    """A running ``redis-server``; :meth:`kill` and :meth:`start` it again on the same port."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: Optional[subprocess.Popen] = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def client(self) -> "redis.asyncio.Redis":
        """An async client for a test (``PUBSUB CHANNELS``, ``PUBLISH``...); the test closes it."""
        return redis.asyncio.Redis(port=self.port, decode_responses=True)

    def _answers(self) -> bool:
        try:
            with redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1) as client:
                return client.ping()
        except redis.ConnectionError:
            return False

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        log = open(self.folder / "redis.log", "ab")
        self._process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self._answers():
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"redis-server did not answer PING; log:\n{(self.folder / 'redis.log').read_text()[-2000:]}")

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis server (started again by a test that kills it)."""
    if REDIS_SERVER is None:
        pytest.fail("redis-server is not installed: run `make setup-test` (it installs Debian's redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="switchboard-redis-"))
    server = RedisServer(free_port(), folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL, with the server running (a test before may have killed it)."""
    if not redis_server.running:
        redis_server.start()
    return redis_server.url
