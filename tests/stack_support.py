"""Launching the whole stack for the integration tests, as ``make run`` does, or the scaled topology,
as ``make run-scaled`` does."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from switchboard import paths
from switchboard.scaled.ports import free_ports_env
from switchboard.stack import READY_LINE
from tests.helpers import free_port, http, pids_with_cmdline, processes_with_env, wait_until, write_routing

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


def interrupt(process: subprocess.Popen, timeout_s: float) -> int:
    """Ctrl-C to a launcher; its exit code, or -9 when it had to be killed after ``timeout_s``."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -9


_PROBLEM_MARKS = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Error:")
# A traceback line in the project's code: where in it the error came from.
_PROJECT_FRAME = re.compile(r'File "(?![^"]*site-packages)[^"]*/(bot|actions|components|voice|switchboard)/[^"]*", line \d+')


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
        return interrupt(self.process, timeout_s=60)

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the stack's log, for failure messages."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    def problems(self, lines: int = 60) -> str:
        """The log's last warnings, errors and tracebacks (with the project's own frames), for a
        failed test's report."""
        if not self.log.exists():
            return "(no log)"
        kept = [line for line in self.log.read_text(errors="replace").splitlines()
                if any(mark in line for mark in _PROBLEM_MARKS) or _PROJECT_FRAME.search(line)]
        return "\n".join(kept[-lines:]) or "(no warnings or errors in the stack's log)"

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
        shutil.rmtree(data_dir, ignore_errors=True)


@dataclass
class ScaledStack:
    """A running ``python -m switchboard.scaled`` on free ports, and ways to reach each instance."""

    process: subprocess.Popen
    ports: Dict[str, List[int]]
    data_dir: Path
    log: Path

    @property
    def public(self) -> str:
        return f"http://127.0.0.1:{self.ports['public'][0]}"

    def instance_url(self, role: str, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[role][index]}"

    def chat(self, sender: str, message: str, key: str, base: Optional[str] = None, timeout: float = 60.0):
        """POST /api/chat with an Idempotency-Key (through nginx unless ``base``); status and body."""
        return http("POST", f"{base or self.public}/api/chat", {"sender": sender, "message": message},
                    headers={"Idempotency-Key": key}, timeout=timeout)

    def chat_until_answered(self, sender: str, message: str, key: str, attempts: int = 20) -> dict:
        """What a client does after a failure: send the same request again until it is answered."""
        answers = []
        for _ in range(attempts):
            try:
                status, body = self.chat(sender, message, key)
            except OSError as exc:  # the connection broke: retry as a client would
                answers.append(repr(exc))
                continue
            if status == 200:
                return body
            answers.append((status, body))
        raise AssertionError(f"no answer to {message!r} after {attempts} attempts: {answers}\n{self.log_tail()}")

    def history(self, sender: str) -> List[dict]:
        status, body = http("GET", f"{self.public}/api/chat/history?sender={sender}")
        assert status == 200, body
        return body["messages"]

    def tracker_events(self, conversation_id: str) -> List[dict]:
        """Rasa's stored events of the conversation (through the Rasa balancer, with the token)."""
        status, body = http("GET", f"http://127.0.0.1:{self.ports['rasa_lb'][0]}/conversations/{conversation_id}"
                                   f"/tracker?token={TOKEN}")
        assert status == 200, body
        return body["events"]

    def pid(self, role: str, index: int) -> int:
        """The process of one instance (``role``: gateway, rasa or actions)."""
        port = str(self.ports[role][index]).encode()
        needles = {"gateway": [b"-m\x00bot\x00"], "rasa": [b"switchboard.rasa_cli\x00run", b"--port\x00" + port + b"\x00"],
                   "actions": [b"actions.server", b"--port\x00" + port + b"\x00"]}[role]
        pids = pids_with_cmdline(*needles)
        if role == "gateway":
            pids = [p for p in pids if p in processes_with_env("SWITCHBOARD_GATEWAY_PORT", port.decode())]
        assert len(pids) == 1, f"{role} {index}: processes {pids}"
        return pids[0]

    def database(self, sql: str, *params: object) -> List[tuple]:
        """Rows of a query on the gateways' PostgreSQL database."""
        import psycopg2

        password = (self.data_dir / "scaled" / "secrets" / "postgres").read_text().strip()
        connection = psycopg2.connect(host="127.0.0.1", port=self.ports["postgres"][0], user="switchboard",
                                      password=password, dbname="switchboard")
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def interrupt(self) -> int:
        """Ctrl-C; the launcher's exit code (-9: it had to be killed)."""
        return interrupt(self.process, timeout_s=120)

    def log_tail(self, chars: int = 3000) -> str:
        """The launcher's log and the end of each service's log, for failure messages."""
        parts = [self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no launcher log)"]
        for path in sorted((self.data_dir / "scaled" / "logs").glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)


def launch_scaled(data_dir: Path, log: Path, auto_assign: bool = False, lock_lifetime_s: int = 10) -> ScaledStack:
    """``python -m switchboard.scaled`` on free ports with its data in ``data_dir`` (readable by the
    ``postgres`` user: not under pytest's private tmp folder); returns once the banner is out.

    Rasa's lock lifetime is short (default 10 s) so that a killed Rasa server's conversation is
    free again soon; a turn takes well under a second.
    """
    ports_env, ports = free_ports_env(data_dir)
    routing = write_routing(data_dir / "routing.yml", open_now=True, auto_assign=auto_assign)
    env = {
        **os.environ,
        **ports_env,
        "SWITCHBOARD_ROUTING_FILE": str(routing),
        "SWITCHBOARD_RASA_TOKEN": TOKEN,
        "TICKET_LOCK_LIFETIME": str(lock_lifetime_s),
    }
    env.pop("DATABASE_URL", None)
    out = open(log, "ab")
    process = subprocess.Popen([sys.executable, "-m", "switchboard.scaled"], cwd=paths.ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT)
    stack = ScaledStack(process, ports, data_dir, log)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the scaled topology exited during start-up:\n{stack.log_tail()}")
        return READY_LINE.encode() in log.read_bytes()

    if not wait_until(ready, timeout=900, interval=1):
        process.kill()
        pytest.fail(f"the scaled topology did not start:\n{stack.log_tail()}")
    return stack


@contextmanager
def running_scaled(auto_assign: bool = False) -> Iterator[ScaledStack]:
    """A scaled topology for one test module, stopped with Ctrl-C afterwards (it must exit 0)."""
    data_dir = Path(tempfile.mkdtemp(prefix="switchboard-scaled-"))
    data_dir.chmod(0o755)  # the postgres user creates its cluster inside
    running = launch_scaled(data_dir, data_dir / "launcher.log", auto_assign=auto_assign)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.interrupt()
        shutil.rmtree(data_dir, ignore_errors=True)
