"""One customer turn, whatever the client: store it, give it to Rasa or to the people handling
the conversation, execute a handoff if Rasa signals one, and publish what happened.

``POST /api/chat``, the customer websocket and voice sessions all go through
:func:`customer_turn`, so every channel behaves the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from bot.conversations import add_bot_replies, add_message, add_notice, get_or_open, message_event, stored_sender
from bot.db.models import Conversation, Handoff
from bot.dispatch import auto_assign
from bot.errors import RasaUnavailable
from bot.events import Outbox, agent_topic, conversation_topic
from bot.handoff_signal import split_handoff
from bot.handoffs import active_handoff, public_status, queue_position
from bot.lifecycle import open_handoff
from bot.presence import customer_seen
from bot.redaction import rasa_metadata, redact_customer_turn, redact_value
from bot.services import Services
from bot.states import ConversationStatus, HandoffStatus


@dataclass
class TurnResult:
    """What the customer's client is told after one turn."""

    conversation_id: str
    replies: List[Dict[str, Any]] = field(default_factory=list)
    handoff: Optional[Dict[str, Any]] = None


def public_reply(reply: Dict[str, Any]) -> Dict[str, Any]:
    """A bot reply without Rasa's bookkeeping."""
    return {k: v for k, v in reply.items() if k != "recipient_id"}


async def queue_update(session, handoff: Handoff, outbox: Outbox) -> Dict[str, Any]:
    """The handoff's public status, also published to the customer's client."""
    status = public_status(handoff, await queue_position(session, handoff))
    outbox.add(conversation_topic(handoff.conversation_id), {"type": "queue", **status})
    return status


async def _with_people(session, conversation: Conversation, handoff: Handoff, outbox: Outbox) -> TurnResult:
    """The customer wrote while people handle the conversation: the message is theirs, not Rasa's."""
    result = TurnResult(conversation.id)
    if handoff.status == HandoffStatus.ASSIGNED:
        result.handoff = public_status(handoff, 0)
        return result
    if (handoff.routing or {}).get("after_hours") and not (handoff.context or {}).get("message_left"):
        handoff.context = {**(handoff.context or {}), "message_left": True}
        result.replies.append(await add_notice(session, conversation, "message_left", outbox))
    result.handoff = await queue_update(session, handoff, outbox)
    return result


async def customer_turn(
    services: Services, channel: str, sender: str, text: str, metadata: Dict[str, Any]
) -> TurnResult:
    """Handle one customer message end to end; raises RasaUnavailable.

    This is the one door for customer input: the text, the sender id and the metadata are
    redacted here (card numbers, also one split over several messages) before anything is
    stored or forwarded, whichever channel it came from.
    """
    metadata = redact_value(metadata)
    outbox = Outbox()
    async with services.sessions() as session, session.begin():
        conversation = await get_or_open(session, channel, sender)
        customer_seen(conversation)
        turn = await redact_customer_turn(session, conversation, text)
        with_people = conversation.status == ConversationStatus.HUMAN
        current = await active_handoff(session, conversation.id) if with_people else None
        stored = await add_message(session, conversation, "customer", turn.text,
                                   {"handled_by": "people" if current is not None else "bot"})
        event = message_event(stored)
        outbox.add(conversation_topic(conversation.id), event)
        conversation_id = conversation.id
        notices = [await add_notice(session, conversation, "card_removed", outbox)] if turn.removed else []
        if current is not None:
            if current.agent_id is not None:
                outbox.add(agent_topic(current.agent_id), {**event, "handoff_id": current.id})
            result = await _with_people(session, conversation, current, outbox)
            result.replies[:0] = notices
    outbox.publish(services.hub)
    if current is not None:
        return result

    rasa = services.rasa
    replies = await rasa.send_message(conversation_id, turn.text,
                                      rasa_metadata(metadata, turn, channel, stored_sender(sender)))
    visible, signal = split_handoff(replies)
    tracker: Dict[str, Any] = {}
    if signal is not None:
        try:
            tracker = await rasa.tracker(conversation_id)
        except RasaUnavailable:
            pass  # the handoff still happens, with the transcript the gateway holds

    result = TurnResult(conversation_id, notices + [redact_value(public_reply(r)) for r in visible])
    async with services.sessions() as session, session.begin():
        conversation = await get_or_open(session, channel, sender)
        for message in await add_bot_replies(session, conversation, visible):
            outbox.add(conversation_topic(conversation_id), message_event(message))
        if signal is not None:
            handoff = await open_handoff(session, conversation, redact_value(signal), redact_value(tracker),
                                         services.routing, metadata, outbox)
            if (handoff.routing or {}).get("after_hours"):
                result.replies.append(await add_notice(session, conversation, "out_of_hours", outbox))
            result.handoff = await queue_update(session, handoff, outbox)
    outbox.publish(services.hub)
    if signal is not None:
        await auto_assign(services)
    return result
