"""One customer turn, whatever the client: store it, give it to Rasa or to the people handling
the conversation, execute a handoff if Rasa signals one, and publish what happened.

``POST /api/chat``, the customer websocket and voice sessions all go through
:func:`customer_turn`, so every channel behaves the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from sanic import Sanic

from bot.conversations import add_bot_replies, add_message, get_or_open, message_event
from bot.db.models import Conversation, Handoff
from bot.dispatch import auto_assign
from bot.errors import RasaUnavailable
from bot.events import DESK, Outbox, agent_topic, conversation_topic
from bot.handoff import split_handoff
from bot.handoffs import ASSIGNED, WITH_HUMANS, active_handoff, open_handoff, public_status, queue_position
from bot.notices import notice


@dataclass
class TurnResult:
    """What the customer's client is told after one turn."""

    conversation_id: str
    replies: List[Dict[str, Any]] = field(default_factory=list)
    handoff: Optional[Dict[str, Any]] = None


def public_reply(reply: Dict[str, Any]) -> Dict[str, Any]:
    """A bot reply without Rasa's bookkeeping."""
    return {k: v for k, v in reply.items() if k != "recipient_id"}


async def add_notice(
    session, conversation: Conversation, key: str, outbox: Outbox, **values: object
) -> Dict[str, Any]:
    """Store a gateway notice in the customer's language as a bot message, and announce it."""
    text = notice(key, conversation.language, **values)
    message = await add_message(session, conversation, "bot", text, {"notice": key})
    outbox.add(conversation_topic(conversation.id), message_event(message))
    return {"text": text}


async def queue_update(session, handoff: Handoff, outbox: Outbox) -> Dict[str, Any]:
    """The handoff's public status, also published to the customer's client."""
    status = public_status(handoff, await queue_position(session, handoff))
    outbox.add(conversation_topic(handoff.conversation_id), {"type": "queue", **status})
    return status


async def _with_people(session, conversation: Conversation, handoff: Handoff, outbox: Outbox) -> TurnResult:
    """The customer wrote while people handle the conversation: the message is theirs, not Rasa's."""
    result = TurnResult(conversation.id)
    if handoff.status == ASSIGNED:
        result.handoff = public_status(handoff, 0)
        return result
    if (handoff.routing or {}).get("after_hours") and not (handoff.context or {}).get("message_left"):
        handoff.context = {**(handoff.context or {}), "message_left": True}
        result.replies.append(await add_notice(session, conversation, "message_left", outbox))
    result.handoff = await queue_update(session, handoff, outbox)
    return result


async def customer_turn(
    app: Sanic, channel: str, sender: str, text: str, metadata: Dict[str, Any]
) -> TurnResult:
    """Handle one (already redacted) customer message end to end; raises RasaUnavailable."""
    sessions, hub = app.ctx.sessions, app.ctx.events
    outbox = Outbox()
    async with sessions() as session, session.begin():
        conversation = await get_or_open(session, channel, sender)
        stored = await add_message(session, conversation, "customer", text)
        event = message_event(stored)
        outbox.add(conversation_topic(conversation.id), event)
        conversation_id = conversation.id
        current = await active_handoff(session, conversation_id) if conversation.status == WITH_HUMANS else None
        if current is not None:
            if current.agent_id is not None:
                outbox.add(agent_topic(current.agent_id), {**event, "handoff_id": current.id})
            result = await _with_people(session, conversation, current, outbox)
    if current is not None:
        outbox.publish(hub)
        return result
    outbox.publish(hub)

    rasa = app.ctx.rasa
    replies = await rasa.send_message(conversation_id, text, {**metadata, "channel": channel, "external_id": sender})
    visible, signal = split_handoff(replies)
    tracker: Dict[str, Any] = {}
    if signal is not None:
        try:
            tracker = await rasa.tracker(conversation_id)
        except RasaUnavailable:
            pass  # the handoff still happens, with the transcript the gateway holds

    result = TurnResult(conversation_id, [public_reply(r) for r in visible])
    async with sessions() as session, session.begin():
        conversation = await get_or_open(session, channel, sender)
        for message in await add_bot_replies(session, conversation, visible):
            outbox.add(conversation_topic(conversation_id), message_event(message))
        if signal is not None:
            handoff = await open_handoff(session, conversation, signal, tracker, app.ctx.routing, metadata)
            if (handoff.routing or {}).get("after_hours"):
                result.replies.append(await add_notice(session, conversation, "out_of_hours", outbox))
            result.handoff = await queue_update(session, handoff, outbox)
            outbox.add(DESK, {"type": "queues_changed"})
    outbox.publish(hub)
    if signal is not None:
        await auto_assign(app)
    return result
