"""The scaled topology's services and how they are wired: which process gets which variables.

Start stages: PostgreSQL and Redis; then the action servers, Rasa servers and gateways; then
nginx, which is ready once its public port reaches a healthy gateway. Stopped in reverse.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Dict, List

from switchboard import paths
from switchboard.scaled.config import DB_USER, REDIS_LOCK_DB, TRACKER_DB, ScaledConfig
from switchboard.scaled.nginx import Nginx
from switchboard.scaled.postgres import Cluster, pg_bin
from switchboard.scaled.redis_server import Redis
from switchboard.scaled.run_secrets import secret
from switchboard.stack import Service, StackConfig, StackError

ENDPOINTS_FILE = paths.ROOT / "endpoints-scaled.yml"
REPLICATED_ROLES = ("actions", "rasa", "gateway")  # the supervisor restarts these; the others are single

# What each role must not inherit from the shared environment (least privilege):
# the gateway faces customers and calls neither the action server nor the tracker store;
# Rasa and the action servers have no business in the gateway's database.
_TRACKER_SECRETS = ["SWITCHBOARD_TRACKER_PASSWORD"]
_LOCK_STORE = ["SWITCHBOARD_REDIS_HOST", "SWITCHBOARD_REDIS_PORT", "SWITCHBOARD_REDIS_LOCK_DB",
               "SWITCHBOARD_REDIS_PASSWORD"]
HIDDEN = {
    "gateway": ["SWITCHBOARD_ACTION_TOKEN", *_TRACKER_SECRETS, *_LOCK_STORE],
    "rasa": ["DATABASE_URL", "SWITCHBOARD_REDIS_URL"],
    "actions": ["DATABASE_URL", "SWITCHBOARD_REDIS_URL", *_TRACKER_SECRETS, *_LOCK_STORE],
}


@dataclass
class Topology:
    """The services of one scaled topology, with its secrets and generated configs."""

    config: ScaledConfig
    postgres_password: str = ""
    redis_password: str = ""
    python: str = field(default=sys.executable)

    @classmethod
    def load(cls, config: ScaledConfig) -> "Topology":
        """Read (or make, the first time) the topology's passwords from its run folder."""
        folder = config.run_dir / "secrets"
        return cls(config, secret(folder / "postgres"), secret(folder / "redis"))

    # ---------------------------------------------------------------- environment

    def shared_env(self) -> Dict[str, str]:
        """Variables every service gets on top of ``make run``'s (``service_env``)."""
        config = self.config
        return {
            "SWITCHBOARD_TRACKER_DIALECT": "postgresql",
            "SWITCHBOARD_TRACKER_HOST": "127.0.0.1",
            "SWITCHBOARD_TRACKER_PORT": str(config.postgres_port),
            "SWITCHBOARD_TRACKER_DB": TRACKER_DB,
            "SWITCHBOARD_TRACKER_USER": DB_USER,
            "SWITCHBOARD_TRACKER_PASSWORD": self.postgres_password,
            "SWITCHBOARD_ACTION_URL": f"http://127.0.0.1:{config.action_port}",
            "SWITCHBOARD_REDIS_URL": config.redis_url(self.redis_password),
            "SWITCHBOARD_REDIS_HOST": "127.0.0.1",
            "SWITCHBOARD_REDIS_PORT": str(config.redis_port),
            "SWITCHBOARD_REDIS_LOCK_DB": str(REDIS_LOCK_DB),
            "SWITCHBOARD_REDIS_PASSWORD": self.redis_password,
            "TICKET_LOCK_LIFETIME": str(config.lock_lifetime_s),
        }

    def stack_config(self) -> StackConfig:
        stack = self.config.stack_config(self.postgres_password)
        stack.extra_env = {**self.shared_env(), **stack.extra_env}
        return stack

    # ---------------------------------------------------------------- services

    def cluster(self) -> Cluster:
        bin_folder = pg_bin()
        if bin_folder is None:
            raise StackError("PostgreSQL is not installed: run `make setup-scaled` (Debian's postgresql)")
        return Cluster(self.config.run_dir / "postgres", self.config.postgres_port, self.postgres_password,
                       bin_folder)

    def redis(self) -> Redis:
        return Redis(self.config.run_dir / "redis", self.config.redis_port, self.redis_password)

    def nginx(self) -> Nginx:
        return Nginx(self.config.run_dir / "nginx", self.config)

    def action_server(self, index: int, port: int) -> Service:
        return Service(
            f"actions-{index}",
            [self.python, "-m", "actions.server", "--actions", "actions", "--port", str(port)],
            f"http://127.0.0.1:{port}/health",
            env={"SANIC_HOST": "127.0.0.1"},
            hidden_env=list(HIDDEN["actions"]), role="actions", stage=1,
        )

    def rasa_server(self, index: int, port: int) -> Service:
        config = self.config
        return Service(
            f"rasa-{index}",
            [
                self.python, "-m", "switchboard.rasa_cli", "run",
                "--enable-api", f"--auth-token={config.rasa_token}",  # one argument: see switchboard/stack.py
                "--interface", "127.0.0.1", "--port", str(port),
                "--model", str(config.model),
                "--endpoints", str(ENDPOINTS_FILE),
                "--credentials", str(paths.ROOT / "credentials.yml"),
            ],
            f"http://127.0.0.1:{port}/status?token={config.rasa_token}",
            env={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},  # as switchboard/stack.py
            hidden_env=list(HIDDEN["rasa"]), role="rasa", stage=1,
        )

    def gateway(self, index: int, port: int) -> Service:
        return Service(
            f"gateway-{index}",
            [self.python, "-m", "bot"],
            f"http://127.0.0.1:{port}/health",
            # Each instance on its own local port behind nginx, which passes the client's
            # address in X-Forwarded-For (Sanic trusts one proxy).
            env={"SWITCHBOARD_GATEWAY_HOST": "127.0.0.1", "SWITCHBOARD_GATEWAY_PORT": str(port),
                 "SANIC_PROXIES_COUNT": "1"},
            hidden_env=list(HIDDEN["gateway"]), role="gateway", stage=1,
        )

    def services(self) -> List[Service]:
        """Every service, in start order."""
        config = self.config
        postgres = self.cluster().service()
        redis = self.redis().service()
        nginx = self.nginx().service()
        nginx.stage = 2
        return [
            postgres,
            redis,
            *[self.action_server(i, port) for i, port in enumerate(config.action_ports, 1)],
            *[self.rasa_server(i, port) for i, port in enumerate(config.rasa_ports, 1)],
            *[self.gateway(i, port) for i, port in enumerate(config.gateway_ports, 1)],
            nginx,
        ]

    def prepare(self) -> None:
        """Create the PostgreSQL cluster the first time; write Redis's and nginx's configs."""
        self.config.run_dir.mkdir(parents=True, exist_ok=True)
        self.cluster().initialise()
        self.redis().write_config()
        self.nginx().write_config()
