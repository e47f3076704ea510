"""The topology's Redis (Debian's ``redis-server``): Rasa's lock store and the gateways' event hub.

Its config is written to the run folder (mode 0600: it holds the password); it listens on
127.0.0.1 only and keeps nothing on disk (locks and live events do not outlive a restart).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from switchboard.stack import Service

CONFIG_LINES = (
    "bind 127.0.0.1",
    "protected-mode yes",
    "port {port}",
    "requirepass {password}",
    "daemonize no",
    "supervised no",
    'logfile ""',
    "dir {folder}",
    'save ""',
    "appendonly no",
)


def redis_server() -> str:
    """The ``redis-server`` executable (its bare name when missing: the start then fails naming it)."""
    return shutil.which("redis-server") or "redis-server"


@dataclass
class Redis:
    """One Redis server on 127.0.0.1:``port``."""

    folder: Path
    port: int
    password: str

    def render(self) -> str:
        """The config file's text."""
        return "\n".join(CONFIG_LINES).format(port=self.port, password=self.password, folder=self.folder) + "\n"

    def write_config(self) -> Path:
        """Write the config (0600) and return its path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "redis.conf"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(self.render())
        return path

    def service(self) -> Service:
        return Service("redis", [redis_server(), str(self.folder / "redis.conf")], ready_check=self.answers)

    def answers(self) -> bool:
        """Whether the server answers PING with the password."""
        import redis

        try:
            return bool(redis.Redis(host="127.0.0.1", port=self.port, password=self.password,
                                    socket_timeout=2).ping())
        except redis.RedisError:
            return False
