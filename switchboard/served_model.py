"""The model a running stack's Rasa server serves: where to reach it, and swapping it live.

A running stack writes its Rasa address and API token to ``<data dir>/run/rasa.json``
(readable by its owner only) and removes it when it stops. ``make publish`` reads it to
load a newly trained model with Rasa's ``PUT /model``: the server swaps its agent only
once the new model has loaded, so conversations continue and a model that fails to load
leaves the old one serving.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

import requests

ENDPOINT_FILE = Path("run") / "rasa.json"
LOAD_TIMEOUT_S = 300.0


class ReloadError(RuntimeError):
    """The running Rasa server did not load the model."""


@dataclass(frozen=True)
class RasaEndpoint:
    """A running Rasa server's address and API token."""

    url: str
    token: str

    def status(self, timeout_s: float = 5.0) -> Dict[str, Any]:
        """Rasa's ``GET /status``: the served model's file and id."""
        reply = requests.get(f"{self.url}/status", params={"token": self.token}, timeout=timeout_s)
        reply.raise_for_status()
        return reply.json()

    def load(self, model: Path, timeout_s: float = LOAD_TIMEOUT_S) -> Dict[str, Any]:
        """Serve ``model`` (``PUT /model``) and return the new status."""
        reply = requests.put(
            f"{self.url}/model", params={"token": self.token}, json={"model_file": str(model)}, timeout=timeout_s
        )
        if reply.status_code != 204:
            raise ReloadError(f"Rasa refused the model ({reply.status_code}): {reply.text[:500]}")
        return self.status()


def endpoint_file(data_dir: Path) -> Path:
    """Where a stack using ``data_dir`` announces its Rasa server."""
    return data_dir / ENDPOINT_FILE


def announce(data_dir: Path, endpoint: RasaEndpoint) -> None:
    """Write the endpoint file, readable by this user only."""
    path = endpoint_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"url": endpoint.url, "token": endpoint.token}, handle)


def withdraw(data_dir: Path) -> None:
    """Remove the endpoint file (the stack is stopping)."""
    endpoint_file(data_dir).unlink(missing_ok=True)


def running_endpoint(data_dir: Path) -> Optional[RasaEndpoint]:
    """The announced Rasa server if one answers, else ``None``."""
    try:
        data = json.loads(endpoint_file(data_dir).read_text(encoding="utf-8"))
        endpoint = RasaEndpoint(url=data["url"], token=data["token"])
        endpoint.status()
    except (OSError, ValueError, KeyError, requests.RequestException):
        return None
    return endpoint
