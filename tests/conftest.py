"""Fixtures that start real services on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, Iterator

import pytest

from switchboard import paths
from tests.helpers import free_port, http, wait_until
from tests.postgres_support import postgres_server  # noqa: F401 - a fixture for every test module
from tests.redis_support import redis_server, redis_url  # noqa: F401 - fixtures for every test module

ROOT = paths.ROOT


@pytest.fixture(scope="session")
def model_path() -> Path:
    """This checkout's trained model (``make test`` trains it first)."""
    model = paths.model_path()
    if not model.is_file():
        pytest.fail(f"no trained model at {model}: run `make train` (make test does it)")
    return model


class HungServer:
    """A TCP server that accepts connections and never answers (a Rasa that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._conns = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self._conns:
            conn.close()


def start_gateway(tmp: Path, rasa_port: int, extra: Dict[str, str] | None = None) -> tuple:
    """Start ``python -m bot`` alone; return (process, base URL)."""
    port = free_port()
    env = {
        **os.environ,
        "SWITCHBOARD_GATEWAY_PORT": str(port),
        "SWITCHBOARD_RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "SWITCHBOARD_RASA_TOKEN": "test-token",
        "SWITCHBOARD_DATA_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'gateway.db'}",
        **(extra or {}),
    }
    log = open(tmp / "gateway.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    if not wait_until(lambda: http("GET", f"{url}/health", timeout=10)[0] == 200, timeout=60):
        process.kill()
        pytest.fail(f"gateway did not start; log:\n{(tmp / 'gateway.log').read_text()}")
    return process, url


@pytest.fixture(scope="module")
def gateway_without_rasa(tmp_path_factory) -> Iterator[Dict[str, object]]:
    """A real gateway whose Rasa is down (nothing listens on its port)."""
    tmp = tmp_path_factory.mktemp("gateway-no-rasa")
    process, url = start_gateway(tmp, rasa_port=free_port())
    yield {"url": url, "db": tmp / "gateway.db"}
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def gateway_with_hung_rasa(tmp_path_factory) -> Iterator[str]:
    """A real gateway whose Rasa accepts connections but never answers."""
    tmp = tmp_path_factory.mktemp("gateway-hung-rasa")
    hung = HungServer()
    process, url = start_gateway(tmp, rasa_port=hung.port, extra={"SWITCHBOARD_RASA_TIMEOUT": "2"})
    yield url
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)
    hung.close()


@pytest.fixture
async def customer_store(tmp_path, monkeypatch):
    """The actions' customer store on a fresh SQLite file, seeded with the sample customers."""
    from actions import store as store_module
    from actions.crm.seed import DEFAULT_SOURCE, load_source, seed

    monkeypatch.setenv("SWITCHBOARD_CUSTOMER_DB_URL", f"sqlite:///{tmp_path / 'customers.db'}")
    store_module.config.cache_clear()
    store_module.customer_store.cache_clear()
    store = store_module.customer_store()
    await seed(store, load_source(DEFAULT_SOURCE))
    yield store
    await store.close()
    store_module.config.cache_clear()
    store_module.customer_store.cache_clear()


@pytest.fixture()
def cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private embedding cache file for one test (``SWITCHBOARD_EMBEDDING_CACHE``)."""
    path = tmp_path / "embeddings.sqlite"
    monkeypatch.setenv("SWITCHBOARD_EMBEDDING_CACHE", str(path))
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test on the real stack shows the stack log's warnings and errors (what a
    service said about the failure is in that log, not in the test's output)."""
    from tests.stack_support import RunningStack

    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when == "call":
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, RunningStack):
                report.sections.append((f"stack log of {name}: warnings and errors", value.problems()))
