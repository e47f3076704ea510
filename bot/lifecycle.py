"""The handoff lifecycle: the one owner of every move a handed-over conversation makes.

queue (open) → claim → transfer (to a queue or an agent) → close | hand back, and, while it
waits, abandon or callback. Each move

- checks the move against the table in :mod:`bot.states` (``IllegalTransition``, 409),
- applies it with a conditional ``UPDATE … WHERE status = …`` so two gateway instances (or two
  requests) racing for the same handoff can never both win,
- for a claim, enforces the eligibility rule of :func:`bot.routing.engine.why_not` and the
  agent's capacity inside that same UPDATE (the agent's row is locked first on PostgreSQL),
- writes a :class:`~bot.db.models.HandoffEvent` row (who, from, to, why) and its live events
  to the outbox, which the caller publishes after the transaction commits.

Callers (HTTP and websocket handlers, auto-assign, voice) open the transaction, call one of
these functions and publish the outbox; they never set a handoff's status themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.access import OVERSEERS
from bot.context import build_context
from bot.conversations import add_message, add_notice, list_messages
from bot.db.models import Agent, Conversation, Handoff, HandoffEvent
from bot.errors import ApiError
from bot.events import DESK, Outbox, agent_topic, conversation_topic
from bot.handoffs import transcript
from bot.redaction import redact_text
from bot.routing.config import RoutingConfig
from bot.routing.engine import AgentView, RoutingDecision, RoutingRequest, eligible_agents, route, why_not
from bot.states import TRANSITIONS, ConversationStatus, HandoffStatus, IllegalTransition, Transition, check_transition

logger = logging.getLogger(__name__)

DISPOSITIONS = ("resolved", "not_resolved", "follow_up_needed", "callback_scheduled", "spam")
WRAP_UP_MAX_CHARS = 4000


class NotEligible(ApiError):
    """The agent may not take this conversation now (the reasons say why)."""

    def __init__(self, who: str, handoff_id: int, reasons: List[str]) -> None:
        code = "at_capacity" if any("capacity" in r for r in reasons) else "not_eligible"
        super().__init__(409, code, f"{who} cannot take handoff {handoff_id}: {'; '.join(reasons)}.")
        self.reasons = reasons


@dataclass(frozen=True)
class Override:
    """A supervisor's explicit decision to bypass the eligibility rule, with the reason logged."""

    by: Agent
    reason: str


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------ reading agents for the rule


async def agent_load(session: AsyncSession) -> Dict[int, int]:
    """Agent id -> the number of conversations assigned to them now."""
    rows = await session.execute(
        select(Handoff.agent_id, func.count(Handoff.id))
        .where(Handoff.status == HandoffStatus.ASSIGNED)
        .group_by(Handoff.agent_id)
    )
    return {agent_id: count for agent_id, count in rows if agent_id is not None}


def view_of(agent: Agent, load: Dict[int, int]) -> AgentView:
    """An agent as the routing rule sees them."""
    return AgentView(
        id=str(agent.id), skills=tuple(agent.skills or ()), languages=tuple(agent.languages or ()),
        senior=bool(agent.senior), site=agent.site, presence=agent.presence,
        active_chats=load.get(agent.id, 0), capacity=agent.capacity,
    )


async def agent_views(session: AsyncSession) -> List[AgentView]:
    """Every agent as routing sees them, with their current load."""
    load = await agent_load(session)
    return [view_of(a, load) for a in (await session.execute(select(Agent))).scalars()]


def decision_of(handoff: Handoff) -> RoutingDecision:
    """The routing decision stored with a handoff, for choosing its agent."""
    routing = handoff.routing or {}
    return RoutingDecision(
        queue=handoff.queue, skill=routing.get("skill") or "general", language=handoff.language,
        priority=handoff.priority, sla_seconds=handoff.sla_seconds,
        senior_required=bool(routing.get("senior_required")), open_sites=list(routing.get("open_sites") or []),
    )


def waited_seconds(handoff: Handoff, now: Optional[datetime] = None) -> float:
    """How long the handoff has been waiting."""
    return ((now or _now()) - handoff.created_at).total_seconds()


async def ineligibility(session: AsyncSession, handoff: Handoff, agent: Agent, routing: RoutingConfig,
                        views: Optional[List[AgentView]] = None) -> List[str]:
    """Why ``agent`` may not take ``handoff`` now; empty when they may.

    The agent must match strictly, or be among those the overflow rules admit now (that is,
    when no strictly matching agent is free). ``views``: a snapshot already read.
    """
    views = views if views is not None else await agent_views(session)
    mine = next(v for v in views if v.id == str(agent.id))
    decision = decision_of(handoff)
    reasons = why_not(mine, decision)
    if not reasons:
        return []
    admitted, _steps = eligible_agents(decision, routing, views, waited_seconds(handoff))
    if any(v.id == mine.id for v in admitted):
        return []
    return reasons


def _capacity_condition(agent: Agent):
    """SQL: the agent holds fewer conversations than their capacity (checked inside the UPDATE)."""
    other = aliased(Handoff)
    held = (
        select(func.count(other.id))
        .where(other.agent_id == agent.id, other.status == HandoffStatus.ASSIGNED)
        .scalar_subquery()
    )
    return held < agent.capacity


async def _lock_agent(session: AsyncSession, agent: Agent) -> None:
    """Serialise claims for one agent (a row lock on PostgreSQL; SQLite writes one at a time anyway)."""
    await session.execute(select(Agent.id).where(Agent.id == agent.id).with_for_update())


# ------------------------------------------------------------------ the one way a status changes


async def _move(
    session: AsyncSession,
    handoff: Handoff,
    transition: Transition,
    *,
    actor: Optional[Agent],
    values: Dict[str, Any],
    conditions: tuple = (),
    detail: Optional[Dict[str, Any]] = None,
) -> bool:
    """Apply ``transition`` with a conditional UPDATE and record it; False if a condition failed.

    Raises IllegalTransition when the handoff's status no longer allows the move.
    """
    check_transition(handoff.id, transition, handoff.status)
    allowed, target = TRANSITIONS[transition]
    before = handoff.status
    result = await session.execute(
        update(Handoff)
        .where(Handoff.id == handoff.id, Handoff.status.in_([s.value for s in allowed]), *conditions)
        .values(status=target.value, **values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(handoff)
    if result.rowcount != 1:
        if handoff.status not in allowed:
            raise IllegalTransition(handoff.id, transition, handoff.status)
        return False
    session.add(HandoffEvent(
        handoff_id=handoff.id, transition=transition.value, from_status=before, to_status=target.value,
        actor_id=actor.id if actor else None, agent_id=handoff.agent_id, queue=handoff.queue,
        detail=detail, at=_now(),
    ))
    return True


def _require_holder(handoff: Handoff, actor: Agent, transition: Transition) -> None:
    """Only the agent holding a conversation may write in it, transfer, close or hand it back."""
    check_transition(handoff.id, transition, handoff.status)
    if handoff.agent_id != actor.id:
        raise ApiError(403, "forbidden", f"Handoff {handoff.id} is assigned to another agent.")


def _holder_conditions(handoff: Handoff) -> tuple:
    return (Handoff.agent_id == handoff.agent_id,)


async def _conversation(session: AsyncSession, handoff: Handoff) -> Conversation:
    return await session.get(Conversation, handoff.conversation_id)


def _handoff_event(handoff: Handoff, **extra: Any) -> Dict[str, Any]:
    return {"type": "handoff", "id": handoff.id, "status": handoff.status, **extra}


# ------------------------------------------------------------------ queue


async def open_handoff(
    session: AsyncSession,
    conversation: Conversation,
    signal: Dict[str, Any],
    tracker: Dict[str, Any],
    routing: RoutingConfig,
    metadata: Dict[str, Any],
    outbox: Outbox,
    now: Optional[datetime] = None,
) -> Handoff:
    """Route the conversation and queue it with its context packet (the lifecycle's first move)."""
    messages = await list_messages(session, conversation.id)
    context = build_context(signal, tracker, transcript(messages), conversation.channel, metadata.get("ivr_path"))
    customer = signal.get("customer") or {}
    decision = route(
        RoutingRequest(
            language=context["language"], queue_hint=signal.get("queue"), tier=customer.get("tier", "standard"),
            ivr_choice=metadata.get("ivr_choice"), escalated=bool(signal.get("escalated")),
        ),
        routing,
        now,
    )
    queue, priority, sla = decision.queue, decision.priority, decision.sla_seconds
    if not decision.open:
        queue = routing.after_hours_queue
        priority, sla = routing.queues[queue].priority, routing.queues[queue].sla_seconds
        decision.reasons.append(f"out of hours: {queue} queue")
    handoff = Handoff(
        conversation_id=conversation.id, status=HandoffStatus.QUEUED.value,
        reason=str(signal.get("reason") or "unknown"), queue=queue, language=decision.language,
        priority=priority, sla_seconds=sla, context=context,
        routing={
            "skill": decision.skill, "intended_queue": decision.queue, "after_hours": not decision.open,
            "senior_required": decision.senior_required, "open_sites": decision.open_sites,
            "reasons": decision.reasons,
        },
        created_at=now or _now(),
    )
    session.add(handoff)
    conversation.status = ConversationStatus.HUMAN.value
    conversation.language = decision.language
    await session.flush()
    session.add(HandoffEvent(
        handoff_id=handoff.id, transition="queue", from_status=None, to_status=HandoffStatus.QUEUED.value,
        queue=queue, detail={"reasons": decision.reasons}, at=handoff.created_at,
    ))
    outbox.add(DESK, {"type": "queues_changed"})
    logger.info("conversation %s queued in %s (priority %s): %s", conversation.id, queue, priority,
                "; ".join(decision.reasons))
    return handoff


# ------------------------------------------------------------------ claim


async def claim(
    session: AsyncSession,
    handoff: Handoff,
    agent: Agent,
    routing: RoutingConfig,
    outbox: Outbox,
    *,
    override: Optional[Override] = None,
    checked: bool = False,
) -> bool:
    """Give a queued handoff to ``agent`` if the rule allows it; False if another claim won.

    ``checked``: the caller (auto-assign) already chose the agent with the same rule from a
    fresh snapshot; capacity is still enforced in the UPDATE. Raises NotEligible with the
    reasons, IllegalTransition when the handoff is no longer queued.
    """
    check_transition(handoff.id, Transition.CLAIM, handoff.status)
    conditions, detail = await _admit(session, handoff, agent, routing, override, checked, "claim")
    moved = await _move(
        session, handoff, Transition.CLAIM, actor=override.by if override else agent,
        values={"agent_id": agent.id, "assigned_at": _now()}, conditions=conditions, detail=detail,
    )
    if not moved:
        if checked:
            return False
        raise NotEligible(agent.display_name, handoff.id, [f"is at capacity ({agent.capacity} conversations)"])
    await _announce_assignment(session, handoff, agent, outbox)
    return True


async def _admit(session: AsyncSession, handoff: Handoff, agent: Agent, routing: RoutingConfig,
                 override: Optional[Override], checked: bool, move: str) -> Tuple[tuple, Optional[Dict[str, Any]]]:
    """The rule for giving ``handoff`` to ``agent``: NotEligible, or the UPDATE's conditions and the event detail.

    Without an override the agent must be eligible (unless the caller just chose them by the
    same rule) and their capacity becomes a condition of the UPDATE, their row locked first.
    """
    if override is not None:
        _require_overseer(override.by)
        logger.warning("supervisor %s overrides the routing rule (%s): handoff %s to %s (%s)",
                       override.by.username, move, handoff.id, agent.username, override.reason)
        return (), {"override": True, "by": override.by.username, "reason": override.reason}
    if not checked:
        reasons = await ineligibility(session, handoff, agent, routing)
        if reasons:
            raise NotEligible(agent.display_name, handoff.id, reasons)
    await _lock_agent(session, agent)
    return (_capacity_condition(agent),), None


def _require_overseer(agent: Agent) -> None:
    if agent.role not in OVERSEERS:
        raise ApiError(403, "forbidden", "Only supervisors and admins may override the routing rule.")


async def _announce_assignment(session: AsyncSession, handoff: Handoff, agent: Agent, outbox: Outbox) -> None:
    """Tell the customer who joined, the agent what they got, and every desk that queues changed."""
    conversation = await _conversation(session, handoff)
    await add_notice(session, conversation, "agent_joined", outbox, agent=agent.display_name)
    outbox.add(conversation_topic(conversation.id), _handoff_event(handoff, agent=agent.display_name))
    outbox.add(agent_topic(agent.id), {"type": "assigned", "handoff_id": handoff.id, "queue": handoff.queue})
    outbox.add(DESK, {"type": "queues_changed"})


# ------------------------------------------------------------------ transfer


async def transfer_to_queue(session: AsyncSession, handoff: Handoff, actor: Agent, queue: str, note: str,
                            routing: RoutingConfig, outbox: Outbox) -> None:
    """Put the conversation back in line in ``queue`` with a note for whoever takes it."""
    _require_holder(handoff, actor, Transition.TRANSFER_TO_QUEUE)
    if queue not in routing.queues:
        raise ApiError(400, "invalid_field", f"Unknown queue {queue[:40]!r}; GET /api/queues lists yours.")
    settings = routing.queues[queue]
    previous = handoff.agent_id
    await _move(
        session, handoff, Transition.TRANSFER_TO_QUEUE, actor=actor,
        values={"queue": queue, "agent_id": None, "assigned_at": None,
                "routing": {**(handoff.routing or {}), "skill": settings.skill}},
        conditions=_holder_conditions(handoff), detail={"from_agent": previous, "note": redact_text(note)},
    )
    await _transfer_note(session, handoff, actor, f"queue {queue}", note)
    outbox.add(agent_topic(actor.id), {"type": "released", "handoff_id": handoff.id})
    outbox.add(DESK, {"type": "queues_changed"})


async def transfer_to_agent(session: AsyncSession, handoff: Handoff, actor: Agent, colleague: Agent, note: str,
                            routing: RoutingConfig, outbox: Outbox, override: Optional[Override] = None) -> None:
    """Hand the conversation straight to a colleague who may take it (the same rule as a claim)."""
    _require_holder(handoff, actor, Transition.TRANSFER_TO_AGENT)
    if colleague.id == actor.id:
        raise ApiError(400, "invalid_field", "You already hold this conversation; choose a colleague.")
    conditions, admitted = await _admit(session, handoff, colleague, routing, override, False, "transfer")
    detail: Dict[str, Any] = {"from_agent": actor.id, "note": redact_text(note), **(admitted or {})}
    moved = await _move(
        session, handoff, Transition.TRANSFER_TO_AGENT, actor=actor,
        values={"agent_id": colleague.id, "assigned_at": _now()},
        conditions=_holder_conditions(handoff) + conditions, detail=detail,
    )
    if not moved:
        raise NotEligible(colleague.display_name, handoff.id,
                          [f"is at capacity ({colleague.capacity} conversations)"])
    await _transfer_note(session, handoff, actor, f"agent {colleague.display_name}", note)
    outbox.add(agent_topic(actor.id), {"type": "released", "handoff_id": handoff.id})
    await _announce_assignment(session, handoff, colleague, outbox)


async def _transfer_note(session: AsyncSession, handoff: Handoff, actor: Agent, destination: str, note: str) -> None:
    conversation = await _conversation(session, handoff)
    await add_message(session, conversation, "note", f"Transferred to {destination}: {note}",
                      {"agent": actor.display_name, "transfer": destination})


# ------------------------------------------------------------------ the end of a handoff


async def _back_to_bot(session: AsyncSession, handoff: Handoff) -> Conversation:
    conversation = await _conversation(session, handoff)
    conversation.status = ConversationStatus.BOT.value
    return conversation


async def close(session: AsyncSession, handoff: Handoff, actor: Agent, disposition: str, wrap_up: str,
                outbox: Outbox) -> Conversation:
    """Close with a disposition and wrap-up notes (redacted); the conversation returns to the bot."""
    _require_holder(handoff, actor, Transition.CLOSE)
    if disposition not in DISPOSITIONS:
        raise ApiError(400, "invalid_field", f"'disposition' must be one of: {', '.join(DISPOSITIONS)}.")
    await _move(
        session, handoff, Transition.CLOSE, actor=actor,
        values={"disposition": disposition, "wrap_up": redact_text(wrap_up[:WRAP_UP_MAX_CHARS]), "closed_at": _now()},
        conditions=_holder_conditions(handoff), detail={"disposition": disposition},
    )
    conversation = await _back_to_bot(session, handoff)
    outbox.add(conversation_topic(conversation.id), _handoff_event(handoff))
    outbox.add(agent_topic(actor.id), {"type": "released", "handoff_id": handoff.id})
    outbox.add(DESK, {"type": "queues_changed"})
    return conversation


async def hand_back(session: AsyncSession, handoff: Handoff, actor: Agent, outbox: Outbox) -> None:
    """Give the conversation back to the bot without closing the contact (no survey yet)."""
    _require_holder(handoff, actor, Transition.HAND_BACK)
    await _move(session, handoff, Transition.HAND_BACK, actor=actor, values={"closed_at": _now()},
                conditions=_holder_conditions(handoff))
    conversation = await _back_to_bot(session, handoff)
    await add_message(session, conversation, "note", "Handed back to the bot", {"agent": actor.display_name})
    await add_notice(session, conversation, "handed_back", outbox)
    outbox.add(conversation_topic(conversation.id), _handoff_event(handoff))
    outbox.add(agent_topic(actor.id), {"type": "released", "handoff_id": handoff.id})
    outbox.add(DESK, {"type": "queues_changed"})


class AbandonReason(StrEnum):
    """Why a waiting customer is counted as abandoned."""

    LEFT_QUEUE = "left_queue"  # they said so (leave_queue without a phone number)
    HUNG_UP = "hung_up"  # a caller hung up while waiting
    GONE = "gone"  # no sign of them (no open chat, no message, no live call) for the grace period


async def abandon(session: AsyncSession, handoff: Handoff, reason: AbandonReason, outbox: Outbox) -> bool:
    """The customer stopped waiting before anyone answered; False if the handoff moved on first."""
    try:
        await _move(session, handoff, Transition.ABANDON, actor=None, values={"closed_at": _now()},
                    detail={"reason": reason.value})
    except IllegalTransition:
        if reason is AbandonReason.LEFT_QUEUE:
            raise
        return False  # an agent took it, or it ended, just before: nothing to abandon
    conversation = await _back_to_bot(session, handoff)
    await add_message(session, conversation, "system", f"left the queue ({reason.value.replace('_', ' ')})")
    if reason is AbandonReason.LEFT_QUEUE:
        await add_notice(session, conversation, "left_queue", outbox)
    outbox.add(conversation_topic(conversation.id), _handoff_event(handoff, queue=handoff.queue))
    outbox.add(DESK, {"type": "queues_changed"})
    logger.info("handoff %s abandoned in %s: %s", handoff.id, handoff.queue, reason.value)
    return True


async def request_callback(session: AsyncSession, handoff: Handoff, phone: str, routing: RoutingConfig,
                           outbox: Outbox) -> None:
    """The waiting customer asks to be called back: the handoff moves to the callback queue."""
    queue = routing.after_hours_queue
    await _move(
        session, handoff, Transition.CALLBACK, actor=None,
        values={"queue": queue, "context": {**(handoff.context or {}), "callback_phone": phone}},
        detail={"from_queue": handoff.queue},
    )
    conversation = await _conversation(session, handoff)
    await add_message(session, conversation, "system", "left the queue: callback requested")
    await add_notice(session, conversation, "callback_booked", outbox, phone=phone)
    outbox.add(conversation_topic(conversation.id), _handoff_event(handoff, queue=handoff.queue))
    outbox.add(DESK, {"type": "queues_changed"})
