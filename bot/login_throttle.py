"""Throttling desk logins: growing waits after wrong passwords, then a temporary lock.

Failures are counted per account and per client address. After ``free`` failures each
further attempt must wait (1 s, 2 s, 4 s … up to ``max_delay``) after the previous failure;
at ``lock_after`` failures the key is locked for ``lock_seconds``. A refused attempt is
answered 429 with ``Retry-After`` and its password is never checked, so a lock cannot be
used as an oracle. A correct login, once allowed, clears the account's count.

The counts live in this gateway process (a restart forgets them); with several gateway
instances each one counts on its own.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from bot.errors import ApiError


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, how waits grow, and when a key locks."""

    free: int
    lock_after: int
    lock_seconds: float = 15 * 60
    max_delay: float = 60.0
    window_seconds: float = 15 * 60  # failures older than this are forgotten

    def wait_after(self, failures: int) -> float:
        """Seconds the next attempt must wait after ``failures`` failures (inf: locked)."""
        if failures >= self.lock_after:
            return self.lock_seconds
        if failures < self.free:
            return 0.0
        return min(self.max_delay, 2.0 ** (failures - self.free))


ACCOUNT_POLICY = ThrottlePolicy(free=3, lock_after=10)
# An address may be a whole office behind one NAT: it gets more room than one account.
ADDRESS_POLICY = ThrottlePolicy(free=10, lock_after=30)


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0


class LoginLocked(ApiError):
    """Too many wrong passwords: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, locked: bool) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        what = "locked after too many wrong passwords" if locked else "slowed down after wrong passwords"
        super().__init__(429, "too_many_attempts", f"Logins are {what}; try again in {self.retry_after} s.",
                         headers={"Retry-After": str(self.retry_after)})


class LoginThrottle:
    """Per-account and per-address failure counts for the desk login."""

    def __init__(self, account: ThrottlePolicy = ACCOUNT_POLICY, address: ThrottlePolicy = ADDRESS_POLICY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._policies = {"account": account, "address": address}
        self._clock = clock
        self._records: Dict[Tuple[str, str], _Record] = {}

    def _keys(self, username: str, address: str) -> Tuple[Tuple[str, str], Tuple[str, str]]:
        return ("account", username.casefold()), ("address", address)

    def _record(self, key: Tuple[str, str], now: float) -> Optional[_Record]:
        record = self._records.get(key)
        if record is not None and now - record.last_failure > max(self._policies[key[0]].window_seconds,
                                                                  self._policies[key[0]].lock_seconds):
            del self._records[key]
            return None
        return record

    def check(self, username: str, address: str) -> None:
        """Raise :class:`LoginLocked` when this attempt must wait; otherwise return."""
        now = self._clock()
        for key in self._keys(username, address):
            record = self._record(key, now)
            if record is None:
                continue
            policy = self._policies[key[0]]
            remaining = record.last_failure + policy.wait_after(record.failures) - now
            if remaining > 0:
                raise LoginLocked(remaining, record.failures >= policy.lock_after)

    def failed(self, username: str, address: str) -> int:
        """Count a wrong password; the account's failures so far."""
        now = self._clock()
        for key in self._keys(username, address):
            record = self._record(key, now) or self._records.setdefault(key, _Record())
            if record.failures >= self._policies[key[0]].lock_after:
                record.failures = 0  # the lock has run out: start counting again
            record.failures += 1
            record.last_failure = now
        return self._records[self._keys(username, address)[0]].failures

    def succeeded(self, username: str) -> None:
        """A correct login: the account starts again from zero."""
        self._records.pop(("account", username.casefold()), None)
