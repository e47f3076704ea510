"""Passwords the scaled topology generates once and keeps in its run folder (mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def secret(path: Path) -> str:
    """The secret stored at ``path``; a new random one (URL-safe, 32 bytes) the first time."""
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
