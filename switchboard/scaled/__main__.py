"""``python -m switchboard.scaled``: the scaled topology in the foreground until Ctrl-C or SIGTERM.

The same contract as ``make run`` (``switchboard/stack.py``): the banner, ending with
READY_LINE, only once every service is healthy; Ctrl-C stops everything and exits 0; a
service whose death is fatal stops the rest and exits 1 with its log tail (which deaths
are fatal: :mod:`switchboard.scaled.supervisor`).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import List, Optional

from switchboard.scaled.config import ScaledConfig, ScaledConfigError
from switchboard.scaled.postgres import pg_bin
from switchboard.scaled.supervisor import Supervisor
from switchboard.scaled.topology import Topology
from switchboard.stack import READY_LINE, Stack, StackError, demo_logins, run_in_foreground

START_TIMEOUT_S = 600.0  # two Rasa servers load their models on a shared CPU


def missing_programs() -> List[str]:
    """The Debian packages whose programs are missing."""
    missing = [] if pg_bin() is not None else ["postgresql"]
    return missing + [program for program in ("redis-server", "nginx")
                      if shutil.which(program) is None and not (Path("/usr/sbin") / program).exists()]


def banner(config: ScaledConfig, started_in_s: float) -> str:
    """Where everything listens, one line per process."""
    url = config.public_url
    ports = lambda ports: ", ".join(f"127.0.0.1:{p}" for p in ports)  # noqa: E731
    return "\n".join([
        "",
        f"Switchboard (scaled) is running, started in {started_in_s:.0f} s:",
        f"  chat widget   {url}/chat",
        f"  agent desk    {url}/desk",
        f"  gateway API   {url}/api/openapi.json   (POST /api/chat with Idempotency-Key, /ws/chat, /ws/desk)",
        f"  nginx         {config.public_host}:{config.public_port} -> gateways; "
        f"127.0.0.1:{config.rasa_port} -> Rasa; 127.0.0.1:{config.action_port} -> actions",
        f"  gateways      {ports(config.gateway_ports)}   (PostgreSQL, SWITCHBOARD_REDIS_URL)",
        f"  rasa          {ports(config.rasa_ports)}   (token in SWITCHBOARD_RASA_TOKEN; Redis lock store)",
        f"  actions       {ports(config.action_ports)}   (calls need SWITCHBOARD_ACTION_TOKEN)",
        f"  postgresql    127.0.0.1:{config.postgres_port}   (password in {config.run_dir / 'secrets' / 'postgres'})",
        f"  redis         127.0.0.1:{config.redis_port}   (password in {config.run_dir / 'secrets' / 'redis'})",
        f"  logs          {config.log_dir}/<service>.log",
        "  a gateway, Rasa or action server that dies is started again; PostgreSQL, Redis or nginx stops all",
        "",
        *demo_logins(),
        "",
        READY_LINE,
        "",
    ])


def main() -> int:
    """Prepare, start, supervise; the exit code (0 after Ctrl-C, 1 when something died)."""
    try:
        config = ScaledConfig.from_env()
    except ScaledConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if not config.model.is_file():
        print(f"No trained model at {config.model}: run `make train` first.", file=sys.stderr)
        return 1
    missing = missing_programs()
    if missing:
        print(f"Missing Debian packages: {' '.join(missing)}. Run `make setup-scaled`.", file=sys.stderr)
        return 1
    topology = Topology.load(config)
    stack = Stack(topology.stack_config(), services=topology.services())
    supervisor = Supervisor(stack, say=lambda line: print(line, flush=True))
    began = time.monotonic()

    def start() -> None:
        topology.prepare()
        stack.start(timeout_s=START_TIMEOUT_S)

    def start_failure(exc: StackError) -> List[str]:
        if exc.service is None:
            return []
        return [f"Last lines of {exc.service}:", *stack.log_tail(stack.service(exc.service))]

    def fatal() -> Optional[str]:
        found = supervisor.check()
        if found is None:
            return None
        return "\n".join([f"\n{found.reason}; stopping. Its last lines:", *stack.log_tail(found.service)])

    return run_in_foreground(stack, "Switchboard (scaled)", start, lambda: banner(config, time.monotonic() - began),
                             fatal, start_failure)


if __name__ == "__main__":
    sys.exit(main())
