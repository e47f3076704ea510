"""What the chat benchmark drives: ``make run``'s stack, or the scaled topology of
``make run-scaled`` (PostgreSQL, Redis, nginx, N instances of each service).

Each target starts on free loopback ports with its data in a scratch folder, gives the
gateway's and Rasa's URLs, and reports the CPU seconds used so far by each role (a
service and every process it started, from ``/proc``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Protocol

from switchboard import paths
from switchboard.bench_chat.cpu import process_cpu_seconds, session_cpu_seconds
from switchboard.ports import free_port
from switchboard.scaled.ports import free_ports_env
from switchboard.stack import READY_LINE, Stack, StackConfig

SCALED_START_TIMEOUT_S = 900.0
# How a process of the scaled topology shows in /proc/<pid>/cmdline, by role (first match wins).
ROLES = (
    ("gateway", b"-m\x00bot"),
    ("rasa", b"switchboard.rasa_cli"),
    ("actions", b"actions.server"),
    ("postgres", b"postgres"),
    ("redis", b"redis-server"),
    ("nginx", b"nginx"),
)


class Target(Protocol):
    """A running topology the load is sent to."""

    urls: Dict[str, str]

    def cpu_seconds(self) -> Dict[str, float]: ...

    def stop(self) -> None: ...


class SingleStack:
    """``make run``'s three processes on SQLite."""

    def __init__(self, scratch: Path) -> None:
        config = StackConfig(gateway_port=free_port(), rasa_port=free_port(), action_port=free_port(),
                             data_dir=scratch / "var", log_dir=scratch / "logs")
        self._stack = Stack(config)
        self._stack.start()
        self.urls = {"gateway": config.gateway_url, "rasa": config.rasa_url}

    def cpu_seconds(self) -> Dict[str, float]:
        """CPU seconds of each service's session."""
        names = {service.process.pid: service.name for service in self._stack.services if service.process}
        return {names[sid]: seconds for sid, seconds in session_cpu_seconds(names).items()}

    def stop(self) -> None:
        self._stack.stop()


def _role(pid: int) -> Optional[str]:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return next((role for role, marker in ROLES if marker in command), None)


def _descendants(root: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(text[text.rindex(")") + 2:].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class ScaledStack:
    """``python -m switchboard.scaled`` with ``rasa`` Rasa servers and one of each other service.

    Its data folder is outside the private temporary folders: the PostgreSQL cluster in it
    runs as the ``postgres`` user.
    """

    def __init__(self, rasa: int, gateways: int = 1, actions: int = 1) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="bench-chat-scaled-"))
        self._dir.chmod(0o755)
        ports_env, ports = free_ports_env(self._dir, gateways=gateways, rasa=rasa, actions=actions)
        env = {**os.environ, **ports_env}
        env.pop("DATABASE_URL", None)
        self._log = self._dir / "launcher.log"
        with open(self._log, "ab") as out:
            self._process = subprocess.Popen([sys.executable, "-m", "switchboard.scaled"], cwd=paths.ROOT,
                                             env=env, stdout=out, stderr=subprocess.STDOUT)
        self.urls = {"gateway": f"http://127.0.0.1:{ports['public'][0]}", "rasa": f"http://127.0.0.1:{ports['rasa_lb'][0]}"}
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + SCALED_START_TIMEOUT_S
        while READY_LINE.encode() not in self._log.read_bytes():
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = self._log.read_text(encoding="utf-8", errors="replace")[-3000:]
                self.stop()
                raise RuntimeError(f"the scaled topology did not start:\n{tail}")
            time.sleep(1)

    def cpu_seconds(self) -> Dict[str, float]:
        """CPU seconds of every process of the topology, summed by role."""
        totals: Dict[str, float] = {}
        for pid in _descendants(self._process.pid):
            role = _role(pid)
            if role is not None:
                totals[role] = totals.get(role, 0.0) + process_cpu_seconds(pid)
        return totals

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)
