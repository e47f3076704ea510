"""Rasa's conversation lock with a waiter that outlives its own ticket (``components/rasa_lock.py``):
the holder died, both tickets expired, and the waiter is served instead of waiting forever."""

from __future__ import annotations

import asyncio
from typing import List

import pytest
from rasa.core.lock_store import InMemoryLockStore

from components import rasa_lock


class Clock:
    """Stands in for ``time`` in rasa.core.lock: tickets expire when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("rasa.core.lock.time", fake)
    return fake


async def _waiter(store: InMemoryLockStore, events: List[str]) -> None:
    async with rasa_lock.lock(store, "conv", lock_lifetime=10, wait_time_in_seconds=0):
        events.append("served")


async def _until_waiting(store: InMemoryLockStore, tickets: int) -> None:
    while store.get_lock("conv") is None or len(store.get_lock("conv").tickets) < tickets:
        await asyncio.sleep(0)


async def test_a_waiter_whose_ticket_expired_is_served_once_the_dead_holders_ticket_is_gone(clock) -> None:
    store = InMemoryLockStore()
    store.issue_ticket("conv", 10)  # a Rasa server that died holding the conversation
    events: List[str] = []
    clock.now += 0.5
    waiter = asyncio.create_task(_waiter(store, events))
    await _until_waiting(store, 2)
    for _ in range(3):
        await asyncio.sleep(0)
    assert events == []  # the holder's ticket is alive: the waiter waits
    clock.now += 11  # both tickets expire in the same wait
    await asyncio.wait_for(waiter, timeout=5)  # (Rasa's own lock waits forever here)
    assert events == ["served"]
    assert store.get_lock("conv") is None  # cleaned up with the new ticket


async def test_the_lock_still_serves_in_order(clock) -> None:
    store = InMemoryLockStore()
    events: List[str] = []

    async def hold(name: str, release: asyncio.Event) -> None:
        async with rasa_lock.lock(store, "conv", lock_lifetime=10, wait_time_in_seconds=0):
            events.append(f"{name} in")
            await release.wait()
            events.append(f"{name} out")

    first_release, second_release = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(hold("first", first_release))
    await _until_waiting(store, 1)
    second = asyncio.create_task(hold("second", second_release))
    await _until_waiting(store, 2)
    for _ in range(3):
        await asyncio.sleep(0)
    assert events == ["first in"]
    first_release.set()
    second_release.set()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=5)
    assert events == ["first in", "first out", "second in", "second out"]


def test_apply_installs_it_on_every_lock_store(monkeypatch) -> None:
    from rasa.core.lock_store import LockStore, RedisLockStore

    monkeypatch.setattr(LockStore, "lock", LockStore.lock)  # restored afterwards
    monkeypatch.setattr(LockStore, rasa_lock._PATCHED, False, raising=False)
    rasa_lock.apply()
    rasa_lock.apply()
    assert LockStore.lock is rasa_lock.lock and RedisLockStore.lock is rasa_lock.lock
