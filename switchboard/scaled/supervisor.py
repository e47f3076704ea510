"""Watching the running topology: a dead gateway, Rasa or action server is started again; a dead
PostgreSQL, Redis or nginx, or an instance that dies again before it was ready, stops everything.

Instances of a replicated role stand in for each other while one restarts (nginx sends the
requests to the others), so restarting them is what an operator expects; the single services
have no stand-in, so the topology stops with their log tail, as ``make run`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Callable, Dict, Optional

from switchboard.scaled.topology import REPLICATED_ROLES
from switchboard.stack import Service, Stack


class InstanceState(StrEnum):
    """Where a restarted instance is."""

    STARTING = "starting"  # started again, not yet answering its readiness check
    RUNNING = "running"


@dataclass
class Fatal:
    """A service whose death stops the topology."""

    service: Service
    reason: str


@dataclass
class Supervisor:
    """Checks the stack's processes once per :meth:`check`; restarts replicated instances."""

    stack: Stack
    say: Callable[[str], None]
    states: Dict[str, InstanceState] = field(default_factory=dict)
    restarts: Dict[str, int] = field(default_factory=dict)

    def check(self) -> Optional[Fatal]:
        """Restart what died and may restart; the first service whose death is fatal, if any."""
        for service in self.stack.services:
            process = service.process
            state = self.states.get(service.name, InstanceState.RUNNING)
            if process is not None and process.poll() is None:
                if state is InstanceState.STARTING and service.is_ready():
                    self.states[service.name] = InstanceState.RUNNING
                    self.say(f"{service.name} is ready again.")
                continue
            code = process.returncode if process is not None else None
            if service.role not in REPLICATED_ROLES:
                return Fatal(service, f"{service.name} stopped unexpectedly (exit code {code})")
            if state is InstanceState.STARTING:
                return Fatal(service, f"{service.name} exited again before it was ready (exit code {code})")
            self.say(f"{service.name} stopped unexpectedly (exit code {code}); starting it again. Its last lines:\n"
                     + "\n".join(f"  {line}" for line in self.stack.log_tail(service)))
            self.stack.respawn(service.name)
            self.states[service.name] = InstanceState.STARTING
            self.restarts[service.name] = self.restarts.get(service.name, 0) + 1
        return None
