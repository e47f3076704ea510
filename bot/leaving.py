"""A waiting customer leaves the queue: abandoned, or turned into a callback request."""

from __future__ import annotations

from typing import Any, Dict, Optional

from bot.conversations import latest_conversation
from bot.errors import ApiError
from bot.events import Outbox
from bot.handoffs import active_handoff
from bot.lifecycle import AbandonReason, abandon, request_callback
from bot.phones import callback_phone
from bot.services import Services
from bot.states import HandoffStatus


async def leave_queue(services: Services, channel: str, sender: str, phone: Optional[object]) -> Dict[str, Any]:
    """Record abandonment, or move the handoff to the callback queue with the phone number."""
    outbox = Outbox()
    async with services.transaction() as session:
        conversation = await latest_conversation(session, channel, sender)
        number = callback_phone(phone, conversation.language if conversation else None) if phone is not None else None
        current = await active_handoff(session, conversation.id) if conversation else None
        if current is None or current.status != HandoffStatus.QUEUED:
            raise ApiError(409, "not_queued", "This conversation is not waiting in a queue.")
        if number is not None:
            await request_callback(session, current, number, services.routing, outbox)
        else:
            await abandon(session, current, AbandonReason.LEFT_QUEUE, outbox)
        result = {"id": current.id, "status": current.status, "queue": current.queue}
    outbox.publish(services.hub)
    return result
