"""The scaled topology on free loopback ports, for the tests and the chat benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

from switchboard.ports import free_port


def free_ports_env(data_dir: Path, gateways: int = 2, rasa: int = 2, actions: int = 2) -> Tuple[Dict[str, str], Dict[str, List[int]]]:
    """The variables that put ``python -m switchboard.scaled`` on free ports with its data in
    ``data_dir``, and the ports by role (``public``, ``rasa_lb``, ``action_lb``, ``postgres``,
    ``redis``, and one per instance under ``gateway``, ``rasa``, ``actions``)."""
    ports = {name: [free_port()] for name in ("public", "rasa_lb", "action_lb", "postgres", "redis")}
    ports.update({"gateway": [free_port() for _ in range(gateways)], "rasa": [free_port() for _ in range(rasa)],
                  "actions": [free_port() for _ in range(actions)]})
    env = {
        "SWITCHBOARD_DATA_DIR": str(data_dir),
        "SWITCHBOARD_GATEWAY_PORT": str(ports["public"][0]),
        "SWITCHBOARD_RASA_PORT": str(ports["rasa_lb"][0]),
        "SWITCHBOARD_ACTION_PORT": str(ports["action_lb"][0]),
        "SWITCHBOARD_POSTGRES_PORT": str(ports["postgres"][0]),
        "SWITCHBOARD_REDIS_PORT": str(ports["redis"][0]),
        "SWITCHBOARD_GATEWAY_INSTANCE_PORTS": ",".join(map(str, ports["gateway"])),
        "SWITCHBOARD_RASA_INSTANCE_PORTS": ",".join(map(str, ports["rasa"])),
        "SWITCHBOARD_ACTION_INSTANCE_PORTS": ",".join(map(str, ports["actions"])),
    }
    return env, ports
