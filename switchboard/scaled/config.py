"""Ports, replica counts, folders and secrets of one scaled topology, read from the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Mapping, Optional

from switchboard import paths
from switchboard.stack import StackConfig

DEFAULT_REPLICAS = 2
GATEWAY_DB = "switchboard"
TRACKER_DB = "rasa_tracker"
DB_USER = "switchboard"
REDIS_HUB_DB = 0  # SWITCHBOARD_REDIS_URL: the gateways' event hub
REDIS_LOCK_DB = 1  # Rasa's lock store
# Seconds a conversation stays locked by a Rasa server that died while processing it. Rasa's
# default is 60; the gateway gives up on a turn after SWITCHBOARD_RASA_TIMEOUT (30 s), and a
# turn takes well under a second, so 30 s frees a dead server's conversations sooner.
DEFAULT_LOCK_LIFETIME_S = 30


class ScaledConfigError(ValueError):
    """A variable of the scaled topology is malformed; the message names it."""


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ScaledConfigError(f"{name} must be a port number, got {raw!r}")
    return int(raw)


def _ports(env: Mapping[str, str], name: str, after: int) -> List[int]:
    """``name`` as a comma-separated list of ports (its length is the number of instances), or
    :data:`DEFAULT_REPLICAS` ports right after ``after``."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return [after + i for i in range(1, DEFAULT_REPLICAS + 1)]
    ports = [part.strip() for part in raw.split(",")]
    if not all(p.isdigit() and 0 < int(p) < 65536 for p in ports):
        raise ScaledConfigError(f"{name} must be a comma-separated list of port numbers, got {raw!r}")
    if len(set(ports)) != len(ports):
        raise ScaledConfigError(f"{name} lists a port twice: {raw!r}")
    return [int(p) for p in ports]


@dataclass
class ScaledConfig:
    """Everything the scaled topology's services are started with."""

    public_host: str = "127.0.0.1"
    public_port: int = 8080
    gateway_ports: List[int] = field(default_factory=lambda: [8081, 8082])
    rasa_port: int = 5005  # nginx, in front of the Rasa servers
    rasa_ports: List[int] = field(default_factory=lambda: [5006, 5007])
    action_port: int = 5055  # nginx, in front of the action servers
    action_ports: List[int] = field(default_factory=lambda: [5056, 5057])
    postgres_port: int = 5433
    redis_port: int = 6380
    data_dir: Path = field(default_factory=paths.data_dir)
    model: Path = field(default_factory=paths.model_path)
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    action_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    lock_lifetime_s: int = DEFAULT_LOCK_LIFETIME_S
    extra_env: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "ScaledConfig":
        """Read the ``SWITCHBOARD_*`` variables of ``make run`` plus the scaled topology's own (README)."""
        env = os.environ if env is None else env
        public_port = _port(env, "SWITCHBOARD_GATEWAY_PORT", 8080)
        rasa_port = _port(env, "SWITCHBOARD_RASA_PORT", 5005)
        action_port = _port(env, "SWITCHBOARD_ACTION_PORT", 5055)
        config = cls(
            public_host=env.get("SWITCHBOARD_GATEWAY_HOST", "127.0.0.1"),
            public_port=public_port,
            gateway_ports=_ports(env, "SWITCHBOARD_GATEWAY_INSTANCE_PORTS", public_port),
            rasa_port=rasa_port,
            rasa_ports=_ports(env, "SWITCHBOARD_RASA_INSTANCE_PORTS", rasa_port),
            action_port=action_port,
            action_ports=_ports(env, "SWITCHBOARD_ACTION_INSTANCE_PORTS", action_port),
            postgres_port=_port(env, "SWITCHBOARD_POSTGRES_PORT", 5433),
            redis_port=_port(env, "SWITCHBOARD_REDIS_PORT", 6380),
            data_dir=paths.data_dir(env),
            model=paths.model_path(env),
        )
        if env.get("TICKET_LOCK_LIFETIME"):
            config.lock_lifetime_s = _port(env, "TICKET_LOCK_LIFETIME", DEFAULT_LOCK_LIFETIME_S)
        if env.get("SWITCHBOARD_RASA_TOKEN"):
            config.rasa_token = env["SWITCHBOARD_RASA_TOKEN"]
        if env.get("SWITCHBOARD_ACTION_TOKEN"):
            config.action_token = env["SWITCHBOARD_ACTION_TOKEN"]
        config.check()
        return config

    def check(self) -> None:
        """Every port used once."""
        used = [self.public_port, *self.gateway_ports, self.rasa_port, *self.rasa_ports, self.action_port,
                *self.action_ports, self.postgres_port, self.redis_port]
        twice = sorted({p for p in used if used.count(p) > 1})
        if twice:
            raise ScaledConfigError(f"these ports are given to two services: {', '.join(map(str, twice))}")

    @property
    def run_dir(self) -> Path:
        """The topology's own files: the PostgreSQL cluster, nginx's config and logs, secrets."""
        return self.data_dir / "scaled"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.public_host in ("0.0.0.0", "") else self.public_host
        return f"http://{host}:{self.public_port}"

    def database_url(self, password: str, database: str = GATEWAY_DB) -> str:
        """A URL of one of the cluster's databases."""
        return f"postgresql://{DB_USER}:{password}@127.0.0.1:{self.postgres_port}/{database}"

    def redis_url(self, password: str, db: int = REDIS_HUB_DB) -> str:
        return f"redis://:{password}@127.0.0.1:{self.redis_port}/{db}"

    def stack_config(self, postgres_password: str) -> StackConfig:
        """The :class:`StackConfig` the services share: ``make run``'s variables, pointed at the load balancer."""
        return StackConfig(
            gateway_host=self.public_host,
            gateway_port=self.public_port,
            rasa_port=self.rasa_port,
            action_port=self.action_port,
            data_dir=self.data_dir,
            model=self.model,
            rasa_token=self.rasa_token,
            action_token=self.action_token,
            database_url=self.database_url(postgres_password),
            log_dir=self.log_dir,
            extra_env=dict(self.extra_env),
        )
