"""Rasa's conversation lock (``LockStore.lock``) with one fix: a waiter whose own ticket expires
while it waits takes a new one instead of waiting forever.

Rasa 3.6 serves tickets in order and drops expired ones (``TICKET_LOCK_LIFETIME``). A waiter
checks every second whether its ticket is first; once its own ticket has expired it is never
first again, and it waits until its caller gives up (the gateway, after
``SWITCHBOARD_RASA_TIMEOUT``). That happens whenever the holder died: a Rasa server killed
while processing a conversation leaves its ticket, which expires at most a second before the
retry's ticket (both have the same lifetime), inside Rasa's one-second wait. Measured on the
scaled topology: the retry after a killed Rasa waited the gateway's 30 s and failed, and only
the next retry was answered. With this fix the waiter takes a new ticket and is served as
soon as the dead holder's ticket is gone.

Installed by :mod:`switchboard.rasa_cli` (:func:`apply`).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Optional

_PATCHED = "_switchboard_lock_refresh"

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lock(self: Any, conversation_id: str, lock_lifetime: Optional[float] = None,
               wait_time_in_seconds: float = 1) -> AsyncIterator[Any]:
    """``LockStore.lock``: hold the conversation's lock; a waiter whose ticket expired takes a new one."""
    from rasa.core.lock_store import LOCK_LIFETIME, LockError

    lifetime = LOCK_LIFETIME if lock_lifetime is None else lock_lifetime
    ticket = self.issue_ticket(conversation_id, lifetime)
    try:
        while True:
            held = self.get_lock(conversation_id)
            if held is None:  # as Rasa: the lock was deleted under us
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if held._ticket_for_ticket_number(ticket) is None:
                logger.info("The ticket for conversation '%s' expired while waiting; taking a new one.",
                            conversation_id)
                ticket = self.issue_ticket(conversation_id, lifetime)
                continue
            if not held.is_locked(ticket):
                break
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)
        yield held
    finally:
        self.cleanup(conversation_id, ticket)


def apply() -> None:
    """Install :func:`lock` on Rasa's LockStore (idempotent)."""
    from rasa.core.lock_store import LockStore

    if getattr(LockStore, _PATCHED, False):
        return
    LockStore.lock = lock
    setattr(LockStore, _PATCHED, True)
