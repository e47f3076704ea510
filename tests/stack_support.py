"""Launching the whole stack for the integration tests, as ``make run`` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import pytest

from switchboard import paths
from switchboard.stack import READY_LINE
from tests.helpers import free_port, http, wait_until, write_routing

TOKEN = "integration-test-token"


def desk_login(gateway: str, username: str, available: bool = True) -> dict:
    """Authorization headers for a demo agent, made available (an offline agent may not take work)."""
    status, body = http("POST", f"{gateway}/api/auth/login", {"username": username, "password": f"{username}-demo-pass"})
    assert status == 200, body
    auth = {"Authorization": f"Bearer {body['token']}"}
    if available:
        status, body = http("PUT", f"{gateway}/api/me/presence", {"presence": "available"}, headers=auth)
        assert status == 200, body
    return auth


@dataclass
class RunningStack:
    process: subprocess.Popen
    gateway: str
    rasa: str
    data_dir: Path
    log: Path

    def chat(self, sender: str, message: str) -> dict:
        status, body = http("POST", f"{self.gateway}/api/chat", {"sender": sender, "message": message})
        assert status == 200, body
        return body

    def texts(self, sender: str, message: str) -> List[str]:
        return [r.get("text") for r in self.chat(sender, message)["replies"]]

    def interrupt(self) -> int:
        """Ctrl-C, as a person at the terminal would; the launcher's exit code (-9: it had to be killed)."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return -9

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the stack's log, for failure messages."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    def assert_stops_cleanly(self) -> None:
        """Ctrl-C, then the launcher must exit 0 (a service that died on the way shows here, with the log)."""
        code = self.interrupt()
        assert code == 0, f"the stack exited with {code} on Ctrl-C (a service had died?):\n{self.log_tail()}"


def launch(data_dir: Path, log: Path, open_now: bool = True, auto_assign: bool = False) -> RunningStack:
    """Start the whole stack on free ports with its data in ``data_dir``.

    Routing has one site that is always open (or, with ``open_now=False``, never), so the
    tests do not depend on the time of day they run at.
    """
    ports = {name: free_port() for name in ("gateway", "rasa", "action")}
    routing = write_routing(data_dir / "routing.yml", open_now=open_now, auto_assign=auto_assign)
    env = {
        **os.environ,
        "SWITCHBOARD_ROUTING_FILE": str(routing),
        "SWITCHBOARD_GATEWAY_PORT": str(ports["gateway"]),
        "SWITCHBOARD_RASA_PORT": str(ports["rasa"]),
        "SWITCHBOARD_ACTION_PORT": str(ports["action"]),
        "SWITCHBOARD_DATA_DIR": str(data_dir),
        "SWITCHBOARD_RASA_TOKEN": TOKEN,
    }
    env.pop("DATABASE_URL", None)
    start = log.stat().st_size if log.exists() else 0  # a log may be shared by several launches
    out = open(log, "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard.stack"],
        cwd=paths.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    stack = RunningStack(
        process, f"http://127.0.0.1:{ports['gateway']}", f"http://127.0.0.1:{ports['rasa']}", data_dir, log
    )

    def healthy() -> bool:
        # The gateway can report healthy a moment before the launcher has seen every service
        # ready; a Ctrl-C in that moment is a Ctrl-C during start-up (exit 130). The banner
        # marks the end of start-up.
        if process.poll() is not None:
            raise AssertionError(f"the stack exited during start-up:\n{log.read_text()[-4000:]}")
        if READY_LINE.encode() not in log.read_bytes()[start:]:
            return False
        return http("GET", f"{stack.gateway}/health", timeout=5)[1].get("status") == "ok"

    if not wait_until(healthy, timeout=300, interval=1):
        process.kill()
        pytest.fail(f"the stack did not become healthy:\n{log.read_text()[-4000:]}")
    return stack




@contextmanager
def running_stack(data_dir: Path, open_now: bool = True, auto_assign: bool = False) -> Iterator[RunningStack]:
    """A stack for one test module, stopped with Ctrl-C when the module is done."""
    running = launch(data_dir, data_dir / "stack.log", open_now=open_now, auto_assign=auto_assign)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.interrupt()
