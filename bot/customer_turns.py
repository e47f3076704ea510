"""One customer turn, whatever the client: store it, give it to Rasa or to the people handling
the conversation, execute a handoff if Rasa signals one, and publish what happened.

``POST /api/chat``, the customer websocket and voice sessions all go through
:func:`customer_turn`, so every channel behaves the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

from sqlalchemy.exc import IntegrityError

from bot.conversations import add_bot_replies, add_message, add_notice, get_or_open, message_event, stored_sender
from bot.db.models import ChatTurn, Conversation, Handoff, Message, utcnow
from bot.dispatch import auto_assign
from bot.errors import RasaUnavailable
from bot.events import Outbox, agent_topic, conversation_topic
from bot.handoff_signal import split_handoff
from bot.handoffs import active_handoff, public_status, queue_position
from bot.idempotency import claim_completion, find_turn, store_response, stored_response
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


@dataclass
class _ForRasa:
    """A stored customer turn that Rasa has still to answer (or to answer again, from its tracker)."""

    conversation_id: str
    text: str
    rasa_metadata: Dict[str, Any]
    notices: List[Dict[str, Any]]
    turn_id: Optional[int]  # the ChatTurn row when the client sent a message id


def _answer(result: TurnResult) -> Dict[str, Any]:
    return {"conversation_id": result.conversation_id, "replies": result.replies, "handoff": result.handoff}


async def customer_turn(
    services: Services, channel: str, sender: str, text: str, metadata: Dict[str, Any],
    client_message_id: Optional[str] = None,
) -> TurnResult:
    """Handle one customer message end to end; raises RasaUnavailable.

    This is the one door for customer input: the text, the sender id and the metadata are
    redacted here (card numbers, also one split over several messages) before anything is
    stored or forwarded, whichever channel it came from.

    With a ``client_message_id`` the turn happens once per conversation and id: a repeat
    gets the answer stored the first time. A repeat of a turn whose first request never
    finished (its gateway instance died, Rasa was down) sends Rasa the same stored turn
    again; Rasa answers a turn it already has from its tracker without processing it twice
    (``components/turn_replay.py``), and whichever request completes the turn first stores
    the replies, once.
    """
    metadata = redact_value(metadata)
    try:
        begun = await _begin(services, channel, sender, text, metadata, client_message_id)
    except IntegrityError:
        if client_message_id is None:
            raise
        # The same id at the same moment on another request: that one stored the turn; continue it.
        begun = await _begin(services, channel, sender, text, metadata, client_message_id)
    if isinstance(begun, TurnResult):
        return begun
    return await _ask_rasa(services, begun, metadata)


async def _begin(services: Services, channel: str, sender: str, text: str, metadata: Dict[str, Any],
                 client_message_id: Optional[str]) -> Union[TurnResult, _ForRasa]:
    """Store the customer's message (once per client message id); the answer if no Rasa call is needed."""
    outbox = Outbox()
    begun: Union[TurnResult, _ForRasa]
    async with services.transaction() as session:
        if client_message_id is not None:
            earlier = await find_turn(session, channel, stored_sender(sender), client_message_id)
            if earlier is not None and earlier.response is not None:
                return TurnResult(**earlier.response)
            if earlier is not None:
                stored = await session.get(Message, earlier.message_id)
                return _ForRasa(earlier.conversation_id, stored.text or "", earlier.rasa_metadata or {},
                                list(earlier.notices), earlier.id)
        conversation = await get_or_open(session, channel, sender)
        customer_seen(conversation)
        turn = await redact_customer_turn(session, conversation, text)
        with_people = conversation.status == ConversationStatus.HUMAN
        current = await active_handoff(session, conversation.id) if with_people else None
        stored = await add_message(session, conversation, "customer", turn.text,
                                   {"handled_by": "people" if current is not None else "bot"})
        event = message_event(stored)
        outbox.add(conversation_topic(conversation.id), event)
        notices = [await add_notice(session, conversation, "card_removed", outbox)] if turn.removed else []
        if current is not None:
            if current.agent_id is not None:
                outbox.add(agent_topic(current.agent_id), {**event, "handoff_id": current.id})
            begun = await _with_people(session, conversation, current, outbox)
            begun.replies[:0] = notices
        else:
            forwarded = rasa_metadata(metadata, turn, channel, stored_sender(sender), stored.id)
            begun = _ForRasa(conversation.id, turn.text, forwarded, notices, None)
        if client_message_id is not None:
            row = ChatTurn(conversation_id=conversation.id, channel=channel, external_id=conversation.external_id,
                           client_message_id=client_message_id, message_id=stored.id, notices=notices)
            if isinstance(begun, TurnResult):
                row.response, row.completed_at = _answer(begun), utcnow()
            else:
                row.rasa_metadata = begun.rasa_metadata
            session.add(row)
            await session.flush()  # a second row for this id fails here: IntegrityError
            if isinstance(begun, _ForRasa):
                begun.turn_id = row.id
    outbox.publish(services.hub)
    return begun


async def _ask_rasa(services: Services, begun: _ForRasa, metadata: Dict[str, Any]) -> TurnResult:
    """Give the stored turn to Rasa, store its replies (once) and execute a handoff it signals."""
    rasa = services.rasa
    conversation_id = begun.conversation_id
    replies = await rasa.send_message(conversation_id, begun.text, begun.rasa_metadata)
    visible, signal = split_handoff(replies)
    tracker: Dict[str, Any] = {}
    if signal is not None:
        try:
            tracker = await rasa.tracker(conversation_id)
        except RasaUnavailable:
            pass  # the handoff still happens, with the transcript the gateway holds

    result = TurnResult(conversation_id, begun.notices + [redact_value(public_reply(r)) for r in visible])
    outbox = Outbox()
    async with services.transaction() as session:
        if begun.turn_id is not None and not await claim_completion(session, begun.turn_id):
            # Another request (a retry, or the first one after all) stored this turn's answer first.
            return TurnResult(**(await stored_response(session, begun.turn_id)))
        conversation = await session.get(Conversation, conversation_id)
        for message in await add_bot_replies(session, conversation, visible):
            outbox.add(conversation_topic(conversation_id), message_event(message))
        if signal is not None:
            handoff = await open_handoff(session, conversation, redact_value(signal), redact_value(tracker),
                                         services.routing, metadata, outbox)
            if (handoff.routing or {}).get("after_hours"):
                result.replies.append(await add_notice(session, conversation, "out_of_hours", outbox))
            result.handoff = await queue_update(session, handoff, outbox)
        if begun.turn_id is not None:
            await store_response(session, begun.turn_id, _answer(result))
    outbox.publish(services.hub)
    if signal is not None:
        await auto_assign(services)
    return result
