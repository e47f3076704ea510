"""nginx as the topology's load balancer: its config rendered from ``nginx.conf.template`` into the
run folder (pid, logs and temp files there too), run in the foreground by the supervisor."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Sequence

from switchboard.scaled.config import ScaledConfig
from switchboard.stack import Service, http_ok

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_TEMP_FOLDERS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
WORKER_USER = ("nobody", "nogroup")  # nginx's workers when the master runs as root


class TemplateError(KeyError):
    """The template names a value that was not given."""


def render(template: str, values: Dict[str, str]) -> str:
    """``template`` with every ``{{name}}`` replaced; TemplateError for a name without a value."""
    def value(match: "re.Match[str]") -> str:
        if match.group(1) not in values:
            raise TemplateError(f"nginx template: no value for {{{{{match.group(1)}}}}}")
        return values[match.group(1)]

    return _PLACEHOLDER.sub(value, template)


def _servers(ports: Sequence[int], host: str = "127.0.0.1") -> str:
    # One failure takes a server out for 5 s (then nginx tries it again): a killed instance
    # costs one refused connection, not one per request.
    return "\n".join(f"        server {host}:{port} max_fails=1 fail_timeout=5s;" for port in ports)


COMPOSE_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"


def compose_config() -> str:
    """``deploy/nginx.conf``, docker-compose.yml's nginx: the same template, with the compose
    service names (each resolves to all its replicas) and the official image's paths."""
    return render(TEMPLATE.read_text(encoding="utf-8"), {
        "user_line": "user nginx;",
        "pid_file": "/var/run/nginx.pid",
        "temp_dir": "/var/cache/nginx",
        "public_host": "0.0.0.0",
        "public_port": "8080",
        "internal_host": "0.0.0.0",  # the compose network only: these ports are not published
        "rasa_port": "5005",
        "action_port": "5055",
        "gateway_servers": _servers([8080], "gateway"),
        "rasa_servers": _servers([5005], "rasa"),
        "action_servers": _servers([5055], "actions"),
        "gateway_read_timeout_s": "90",
    })


def main() -> None:
    """``python -m switchboard.scaled.nginx``: write deploy/nginx.conf from the template."""
    COMPOSE_CONF.parent.mkdir(exist_ok=True)
    COMPOSE_CONF.write_text(compose_config(), encoding="utf-8")
    print(f"wrote {COMPOSE_CONF}")


if __name__ == "__main__":
    main()


@dataclass
class Nginx:
    """nginx with its files under ``prefix``."""

    prefix: Path
    config: ScaledConfig
    gateway_read_timeout_s: int = 90

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    def values(self) -> Dict[str, str]:
        user = f"user {WORKER_USER[0]} {WORKER_USER[1]};" if os.geteuid() == 0 else "# (not root: workers run as us)"
        return {
            "user_line": user,
            "pid_file": str(self.prefix / "nginx.pid"),
            "temp_dir": str(self.prefix / "temp"),
            "public_host": self.config.public_host or "0.0.0.0",
            "public_port": str(self.config.public_port),
            "internal_host": "127.0.0.1",
            "rasa_port": str(self.config.rasa_port),
            "action_port": str(self.config.action_port),
            "gateway_servers": _servers(self.config.gateway_ports),
            "rasa_servers": _servers(self.config.rasa_ports),
            "action_servers": _servers(self.config.action_ports),
            "gateway_read_timeout_s": str(self.gateway_read_timeout_s),
        }

    def write_config(self) -> Path:
        """Render the template into the run folder and make the temp folders."""
        for name in _TEMP_FOLDERS:
            folder = self.prefix / "temp" / name
            folder.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(folder, *WORKER_USER)
        (self.prefix / "logs").mkdir(parents=True, exist_ok=True)
        self.conf.write_text(render(TEMPLATE.read_text(encoding="utf-8"), self.values()), encoding="utf-8")
        return self.conf

    def argv(self) -> list:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        return [nginx, "-p", str(self.prefix), "-c", str(self.conf), "-e", "stderr", "-g", "daemon off;"]

    def service(self) -> Service:
        """nginx is ready when the public port reaches a healthy gateway."""
        return Service("nginx", self.argv(), ready_check=lambda: http_ok(f"{self.config.public_url}/health"))
