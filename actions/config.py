"""Configuration of the action server, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional


@dataclass(frozen=True)
class ActionsConfig:
    """Settings the actions use."""

    customer_db_url: str
    deferral_days: int = 7
    max_identity_attempts: int = 3

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "ActionsConfig":
        """``SWITCHBOARD_CUSTOMER_DB_URL`` (default SQLite in the data dir), ``SWITCHBOARD_DEFERRAL_DAYS``."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("SWITCHBOARD_DATA_DIR", "var"))
        days = env.get("SWITCHBOARD_DEFERRAL_DAYS", "7")
        if not days.isdigit() or int(days) < 1:
            raise ValueError(f"SWITCHBOARD_DEFERRAL_DAYS must be a positive whole number, got {days!r}")
        return cls(
            customer_db_url=env.get("SWITCHBOARD_CUSTOMER_DB_URL") or f"sqlite:///{data_dir / 'customers.db'}",
            deferral_days=int(days),
        )
