"""A waiting customer leaves the queue: abandoned, or turned into a callback request."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from sanic import Sanic

from bot.conversations import add_message, latest_conversation
from bot.customer_turns import add_notice
from bot.errors import ApiError
from bot.events import DESK, Outbox, conversation_topic
from bot.handoffs import ABANDONED, QUEUED, active_handoff, end

_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{4,30}$")
MIN_PHONE_DIGITS = 6


def valid_phone(phone: object) -> Optional[str]:
    """The phone number, trimmed, if it looks dialable; None otherwise."""
    if not isinstance(phone, str):
        return None
    phone = phone.strip()
    if not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < MIN_PHONE_DIGITS:
        return None
    return phone


async def leave_queue(app: Sanic, channel: str, sender: str, phone: Optional[str]) -> Dict[str, Any]:
    """Record abandonment, or move the handoff to the callback queue with the phone number."""
    outbox = Outbox()
    async with app.ctx.sessions() as session, session.begin():
        conversation = await latest_conversation(session, channel, sender)
        current = await active_handoff(session, conversation.id) if conversation else None
        if current is None or current.status != QUEUED:
            raise ApiError(409, "not_queued", "This conversation is not waiting in a queue.")
        if phone:
            current.queue = app.ctx.routing.after_hours_queue
            current.context = {**(current.context or {}), "callback_phone": phone}
            await add_message(session, conversation, "system", "left the queue: callback requested")
            await add_notice(session, conversation, "callback_booked", outbox, phone=phone)
        else:
            end(current, conversation, ABANDONED)
            await add_message(session, conversation, "system", "left the queue")
            await add_notice(session, conversation, "left_queue", outbox)
        outbox.add(conversation_topic(conversation.id), {"type": "handoff", "id": current.id, "status": current.status,
                                                         "queue": current.queue})
        outbox.add(DESK, {"type": "queues_changed"})
        result = {"id": current.id, "status": current.status, "queue": current.queue}
    outbox.publish(app.ctx.events)
    return result
