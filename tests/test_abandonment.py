"""When a waiting customer counts as abandoned (bot/presence.py): they leave, a caller hangs up,
or a chat customer shows no sign of life for the grace period. A reload is not abandonment,
and a callback request never is. In-process gateway, fake Rasa."""

from __future__ import annotations

import asyncio

import pytest

from bot.presence import abandon_gone, customer_hung_up
from tests.gateway_harness import frames_until, running_gateway

GRACE = 1.5  # seconds, instead of the default 120


@pytest.fixture
async def gateway(tmp_path):
    async with running_gateway(tmp_path, settings={"abandon_after_s": GRACE}) as running:
        yield running


async def _status(gateway, handoff: int) -> str:
    sam = await gateway.login("sam")
    return (await gateway.call("GET", f"/api/handoffs/{handoff}", token=sam)).body["status"]


async def _eventually(check, timeout: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.2)
    return False


async def test_a_chat_customer_who_goes_away_is_abandoned_after_the_grace(gateway) -> None:
    handoff = await gateway.queued("gone")
    assert await _status(gateway, handoff) == "queued"
    assert await _eventually(lambda: _is(gateway, handoff, "abandoned")), "not abandoned after the grace period"
    sam = await gateway.login("sam")
    kpis = (await gateway.call("GET", "/api/supervisor/kpis?hours=1", token=sam)).body
    assert kpis["abandonment_rate"] == 1.0, kpis
    await gateway.available(sam)
    late = await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=sam)
    assert late.status == 409 and late.body["error"] == "not_queued", late


async def _is(gateway, handoff: int, status: str) -> bool:
    return await _status(gateway, handoff) == status


async def test_an_open_chat_socket_keeps_the_customer_in_the_queue(gateway) -> None:
    handoff = await gateway.queued("staying")
    async with gateway.ws("/ws/chat?sender=staying") as ws:
        await frames_until(ws, lambda f: f["type"] == "ready")
        await asyncio.sleep(GRACE * 3)
        assert await _status(gateway, handoff) == "queued"


async def test_a_reload_within_the_grace_is_not_abandonment(gateway) -> None:
    handoff = await gateway.queued("reloading")
    for _ in range(3):  # close the page, open it again a moment later
        async with gateway.ws("/ws/chat?sender=reloading") as ws:
            await frames_until(ws, lambda f: f["type"] == "ready")
            await asyncio.sleep(GRACE / 2)
        await asyncio.sleep(GRACE / 3)
    assert await _status(gateway, handoff) == "queued"


async def test_a_callback_request_is_never_abandoned(gateway) -> None:
    handoff = await gateway.queued("call-me")
    answer = await gateway.call("POST", "/api/chat/leave-queue", {"sender": "call-me", "callback_phone": "+44 7700 900123"})
    assert answer.status == 200 and answer.body["queue"] == "callback"
    await asyncio.sleep(GRACE * 2)
    assert await abandon_gone(gateway.services) == []
    assert await _status(gateway, handoff) == "queued"


async def test_a_caller_who_hangs_up_while_queued_is_abandoned_at_once(gateway) -> None:
    answer = await gateway.chat("voice-caller", "I want a human")
    handoff, conversation = answer.body["handoff"]["id"], answer.body["conversation_id"]
    assert await customer_hung_up(gateway.services, conversation) == "abandoned"
    assert await _status(gateway, handoff) == "abandoned"
    assert await customer_hung_up(gateway.services, conversation) is None  # nothing left to end


async def test_an_agent_holding_the_call_is_told_the_caller_hung_up(gateway) -> None:
    answer = await gateway.chat("voice-held", "I want a human")
    handoff, conversation = answer.body["handoff"]["id"], answer.body["conversation_id"]
    alice = await gateway.login("alice")
    await gateway.available(alice)
    assert (await gateway.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)).status == 200
    assert await customer_hung_up(gateway.services, conversation) == "agent_told"
    messages = (await gateway.call("GET", f"/api/handoffs/{handoff}/messages", token=alice)).body["messages"]
    assert messages[-1]["role"] == "system" and messages[-1]["text"] == "the customer hung up"
    assert await _status(gateway, handoff) == "assigned"
