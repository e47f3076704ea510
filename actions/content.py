"""Content files the actions read (lexicons, seed data), from the project's content/ folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"


@lru_cache(maxsize=None)
def content(relative_path: str) -> Any:
    """A YAML file under content/, read once per process."""
    return yaml.safe_load((CONTENT_DIR / relative_path).read_text(encoding="utf-8"))
