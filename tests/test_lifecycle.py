"""The handoff lifecycle in-process: every allowed and every illegal transition, through the
lifecycle functions on a real (temporary SQLite) database, with the events they record."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from bot.conversations import get_or_open
from bot.db.models import Agent, Handoff, HandoffEvent
from bot.events import Outbox
from bot.lifecycle import (
    AbandonReason, NotEligible, Override, abandon, claim, close, hand_back, open_handoff, request_callback,
    transfer_to_agent, transfer_to_queue,
)
from bot.states import TRANSITIONS, HandoffStatus, IllegalTransition, Transition, check_transition
from tests.gateway_harness import running_gateway

_ids = itertools.count()


def test_the_table_allows_exactly_the_documented_moves() -> None:
    expected = {
        Transition.CLAIM: ({"queued"}, "assigned"),
        Transition.TRANSFER_TO_QUEUE: ({"assigned"}, "queued"),
        Transition.TRANSFER_TO_AGENT: ({"assigned"}, "assigned"),
        Transition.CLOSE: ({"assigned"}, "closed"),
        Transition.HAND_BACK: ({"assigned"}, "handed_back"),
        Transition.ABANDON: ({"queued"}, "abandoned"),
        Transition.CALLBACK: ({"queued"}, "queued"),
    }
    assert {t: ({s.value for s in allowed}, target.value) for t, (allowed, target) in TRANSITIONS.items()} == expected


@pytest.mark.parametrize("transition", list(Transition))
@pytest.mark.parametrize("status", list(HandoffStatus))
def test_every_move_from_every_status_is_allowed_or_refused_with_409(transition, status) -> None:
    allowed, target = TRANSITIONS[transition]
    if status in allowed:
        assert check_transition(1, transition, status) == target
    else:
        with pytest.raises(IllegalTransition) as refused:
            check_transition(1, transition, status)
        assert refused.value.status == 409 and refused.value.code in ("not_queued", "not_assigned")


async def _agent(session, username: str, **changes) -> Agent:
    agent = (await session.execute(select(Agent).where(Agent.username == username))).scalars().one()
    for key, value in {"presence": "available", **changes}.items():
        setattr(agent, key, value)
    return agent


async def _queued(session, services, language: str = "en", queue: str = "billing", tier: str = "standard") -> Handoff:
    conversation = await get_or_open(session, "chat", f"lifecycle-{next(_ids)}")
    conversation.language = language
    signal = {"reason": "customer_request", "queue": queue, "language": language, "customer": {"tier": tier}}
    return await open_handoff(session, conversation, signal, {}, services.routing, {}, Outbox())


async def _events(session, handoff: Handoff) -> list:
    rows = await session.execute(select(HandoffEvent).where(HandoffEvent.handoff_id == handoff.id).order_by(HandoffEvent.id))
    return [(e.transition, e.from_status, e.to_status) for e in rows.scalars()]


@pytest.fixture
async def gateway(tmp_path):
    async with running_gateway(tmp_path) as running:
        yield running


async def test_a_handoff_lives_queue_claim_transfer_close(gateway) -> None:
    services, outbox = gateway.services, Outbox()
    async with services.transaction() as session:
        alice, sam = await _agent(session, "alice"), await _agent(session, "sam")
        handoff = await _queued(session, services)
        await claim(session, handoff, alice, services.routing, outbox)
        assert (handoff.status, handoff.agent_id) == ("assigned", alice.id)
        await transfer_to_agent(session, handoff, alice, sam, "over to you", services.routing, outbox)
        assert handoff.agent_id == sam.id
        await transfer_to_queue(session, handoff, sam, "general", "general question", services.routing, outbox)
        assert (handoff.status, handoff.queue, handoff.agent_id) == ("queued", "general", None)
        await claim(session, handoff, alice, services.routing, outbox)
        await close(session, handoff, alice, "resolved", "sorted", outbox)
        assert handoff.status == "closed" and handoff.disposition == "resolved"
        assert await _events(session, handoff) == [
            ("queue", None, "queued"), ("claim", "queued", "assigned"), ("transfer_to_agent", "assigned", "assigned"),
            ("transfer_to_queue", "assigned", "queued"), ("claim", "queued", "assigned"), ("close", "assigned", "closed"),
        ]
    topics = [topic for topic, _event in outbox.events]
    assert f"conversation:{handoff.conversation_id}" in topics and "desk" in topics


async def test_hand_back_abandon_and_callback(gateway) -> None:
    services, outbox = gateway.services, Outbox()
    async with services.transaction() as session:
        alice = await _agent(session, "alice")
        back = await _queued(session, services)
        await claim(session, back, alice, services.routing, outbox)
        await hand_back(session, back, alice, outbox)
        gone = await _queued(session, services)
        assert await abandon(session, gone, AbandonReason.HUNG_UP, outbox)
        later = await _queued(session, services)
        await request_callback(session, later, "+447700900123", services.routing, outbox)
        assert (back.status, gone.status, later.status) == ("handed_back", "abandoned", "queued")
        assert later.queue == "callback" and later.context["callback_phone"] == "+447700900123"
        assert (await _events(session, later))[-1] == ("callback", "queued", "queued")


@pytest.mark.parametrize("move", ["transfer_to_queue", "transfer_to_agent", "close", "hand_back"])
async def test_moves_of_an_assigned_handoff_are_refused_while_it_is_queued(gateway, move) -> None:
    services, outbox = gateway.services, Outbox()
    async with services.transaction() as session:
        alice, sam = await _agent(session, "alice"), await _agent(session, "sam")
        handoff = await _queued(session, services)
        calls = {
            "transfer_to_queue": lambda: transfer_to_queue(session, handoff, alice, "general", "n", services.routing, outbox),
            "transfer_to_agent": lambda: transfer_to_agent(session, handoff, alice, sam, "n", services.routing, outbox),
            "close": lambda: close(session, handoff, alice, "resolved", "", outbox),
            "hand_back": lambda: hand_back(session, handoff, alice, outbox),
        }
        with pytest.raises(IllegalTransition) as refused:
            await calls[move]()
        assert refused.value.code == "not_assigned"
        assert handoff.status == "queued"


@pytest.mark.parametrize("ending", ["closed", "handed_back", "abandoned"])
async def test_an_ended_handoff_cannot_be_claimed_abandoned_or_called_back(gateway, ending) -> None:
    services, outbox = gateway.services, Outbox()
    async with services.transaction() as session:
        alice = await _agent(session, "alice")
        handoff = await _queued(session, services)
        if ending == "abandoned":
            await abandon(session, handoff, AbandonReason.LEFT_QUEUE, outbox)
        else:
            await claim(session, handoff, alice, services.routing, outbox)
            await (close(session, handoff, alice, "resolved", "", outbox) if ending == "closed"
                   else hand_back(session, handoff, alice, outbox))
        for attempt in (
            lambda: claim(session, handoff, alice, services.routing, outbox),
            lambda: abandon(session, handoff, AbandonReason.LEFT_QUEUE, outbox),
            lambda: request_callback(session, handoff, "+447700900123", services.routing, outbox),
            lambda: close(session, handoff, alice, "resolved", "", outbox),
        ):
            with pytest.raises(IllegalTransition):
                await attempt()
        assert handoff.status == ending


async def test_a_silent_abandon_after_someone_took_it_is_not_an_error(gateway) -> None:
    services, outbox = gateway.services, Outbox()
    async with services.transaction() as session:
        alice = await _agent(session, "alice")
        handoff = await _queued(session, services)
        await claim(session, handoff, alice, services.routing, outbox)
        assert not await abandon(session, handoff, AbandonReason.GONE, outbox)
        assert handoff.status == "assigned"


async def test_only_the_holder_moves_an_assigned_handoff(gateway) -> None:
    services, outbox = gateway.services, Outbox()
    async with services.transaction() as session:
        alice, sam = await _agent(session, "alice"), await _agent(session, "sam")
        handoff = await _queued(session, services)
        await claim(session, handoff, alice, services.routing, outbox)
        with pytest.raises(Exception) as refused:
            await close(session, handoff, sam, "resolved", "", outbox)
        assert getattr(refused.value, "status", None) == 403


@pytest.mark.parametrize(
    "who, changes, handoff_kind, reason",
    [
        ("alice", {"presence": "offline"}, {}, "is offline"),
        ("alice", {"presence": "away"}, {}, "is away"),
        ("alice", {"capacity": 0}, {}, "capacity"),
        ("bogdan", {}, {"language": "zh", "queue": "technical"}, "does not speak zh"),
        ("rasa", {}, {"tier": "vip"}, "not a senior agent"),
    ],
)
async def test_claim_applies_the_eligibility_rule(gateway, who, changes, handoff_kind, reason) -> None:
    services, outbox = gateway.services, Outbox()
    async with services.transaction() as session:
        await _agent(session, "mei")  # speaks zh, senior: someone eligible is free, so no overflow applies
        await _agent(session, "alice")
        agent = await _agent(session, who, **changes)
        handoff = await _queued(session, services, **handoff_kind)
        with pytest.raises(NotEligible) as refused:
            await claim(session, handoff, agent, services.routing, outbox)
        assert refused.value.status == 409 and reason in refused.value.message, refused.value.message
        assert handoff.status == "queued"


async def test_a_supervisor_override_is_explicit_and_recorded(gateway) -> None:
    services, outbox = gateway.services, Outbox()
    async with services.transaction() as session:
        sam = await _agent(session, "sam")
        bogdan = await _agent(session, "bogdan", presence="offline")
        await _agent(session, "mei")
        handoff = await _queued(session, services, language="zh", queue="technical")
        with pytest.raises(Exception) as refused:  # an agent cannot override
            await claim(session, handoff, bogdan, services.routing, outbox, override=Override(bogdan, "I can"))
        assert getattr(refused.value, "status", None) == 403
        await claim(session, handoff, bogdan, services.routing, outbox, override=Override(sam, "customer asked for him"))
        assert handoff.agent_id == bogdan.id
        event = (await session.execute(select(HandoffEvent).where(HandoffEvent.handoff_id == handoff.id,
                                                                  HandoffEvent.transition == "claim"))).scalars().one()
        assert event.actor_id == sam.id and event.detail == {"override": True, "by": "sam",
                                                            "reason": "customer asked for him"}
