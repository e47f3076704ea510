"""The gateway's Rasa client against a real HTTP server on loopback (bot/rasa_client.py)."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, List

import pytest
from aiohttp import web

from bot.errors import RasaUnavailable
from bot.rasa_client import RasaClient


class SlowRasa:
    """A REST webhook that holds each request until released, recording the order and concurrency."""

    def __init__(self) -> None:
        self.arrived: List[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.release = asyncio.Event()

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.arrived.append(body["sender"])
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        return web.json_response([{"recipient_id": body["sender"], "text": f"hi {body['message']}"}])


@pytest.fixture
async def slow_rasa() -> AsyncIterator[tuple]:
    rasa = SlowRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", rasa.webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield rasa, f"http://127.0.0.1:{port}"
    finally:
        rasa.release.set()
        await runner.cleanup()


async def _wait_for(condition, what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_turns_in_flight_are_limited_and_served_in_arrival_order(slow_rasa) -> None:
    rasa, url = slow_rasa
    client = RasaClient(url, "token", timeout_s=30, max_in_flight=3)
    try:
        senders = [f"c{i:02d}" for i in range(12)]
        turns = []
        for sender in senders:  # each starts waiting before the next is created: a known arrival order
            turns.append(asyncio.create_task(client.send_message(sender, "hello")))
            await asyncio.sleep(0)
        await _wait_for(lambda: len(rasa.arrived) == 3, "the first three turns to reach Rasa")
        assert rasa.in_flight == 3
        rasa.release.set()
        replies = await asyncio.gather(*turns)
    finally:
        await client.close()
    assert rasa.most_in_flight == 3
    assert rasa.arrived == senders, "turns waiting for a place reached Rasa first come, first served"
    assert [r[0]["text"] for r in replies] == ["hi hello"] * 12


async def test_a_turn_that_finds_no_place_in_time_is_refused_clearly(slow_rasa) -> None:
    rasa, url = slow_rasa
    client = RasaClient(url, "token", timeout_s=30, max_in_flight=1, queue_timeout_s=0.2)
    try:
        first = asyncio.create_task(client.send_message("first", "hello"))
        await _wait_for(lambda: rasa.in_flight == 1, "the first turn to reach Rasa")
        with pytest.raises(RasaUnavailable, match="very busy"):
            await client.send_message("second", "hello")  # Rasa holds the first until released
        rasa.release.set()
        assert (await first)[0]["text"] == "hi hello"
    finally:
        await client.close()
    assert rasa.arrived == ["first"], "the refused turn never reached Rasa"
