"""The customer store the actions use, created on first use (not at import)."""

from __future__ import annotations

from functools import lru_cache

from actions.config import ActionsConfig
from actions.crm.interface import CustomerStore
from actions.crm.sql_store import SqlCustomerStore


@lru_cache(maxsize=1)
def config() -> ActionsConfig:
    """The action server's configuration."""
    return ActionsConfig.from_env()


@lru_cache(maxsize=1)
def customer_store() -> CustomerStore:
    """The configured customer store; swap this for a real CRM client."""
    return SqlCustomerStore(config().customer_db_url)
