"""Rasa answers a customer turn it already holds from its tracker instead of processing it twice.

The gateway sends each customer message with its stored id in
``metadata["switchboard"]["message_id"]`` (``bot/redaction.py`` ``rasa_metadata``). A turn can
reach Rasa twice: the gateway instance that sent it died before storing the replies and the
client retried through another one (``Idempotency-Key``), or Rasa answered but the answer was
lost on the way. :func:`handle_message` replaces ``MessageProcessor.handle_message``: when the
conversation's tracker already has a user message with that id, the bot messages that followed
it are sent to the output channel again (as Rasa sent them the first time) and nothing is
predicted, run or stored. It runs where Rasa's own ``handle_message`` runs, under the
conversation's lock (the lock store: Redis when several Rasa servers share the tracker store),
so a turn still being processed elsewhere has finished, and been stored, before this one looks.

Installed by :mod:`switchboard.rasa_cli` (:func:`apply`), as the speed-ups are.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, List, Optional

SIGNAL_KEY = "switchboard"  # bot/redaction.py METADATA_KEY (tests keep the copies equal)
MESSAGE_ID_KEY = "message_id"  # bot/redaction.py MESSAGE_ID_KEY
_PATCHED = "_switchboard_turn_replay"

logger = logging.getLogger(__name__)


def gateway_message_id(metadata: Optional[Dict[str, Any]]) -> Optional[int]:
    """The gateway's id of the customer message, or None (no id, or not an int)."""
    ours = (metadata or {}).get(SIGNAL_KEY)
    value = ours.get(MESSAGE_ID_KEY) if isinstance(ours, dict) else None
    return value if type(value) is int else None


def replies_to(events: Iterable[Any], message_id: int) -> Optional[List[Any]]:
    """The ``BotUttered`` events that answered the user message with ``message_id``; None if there is none."""
    from rasa.shared.core.events import BotUttered, UserUttered

    replies: Optional[List[Any]] = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break  # the next user message: the turn is over
            if gateway_message_id(event.metadata) == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event)
    return replies


async def handle_message(self: Any, message: Any) -> Optional[List[Dict[str, Any]]]:
    """``MessageProcessor.handle_message``, answering an already processed turn from the tracker."""
    from rasa.core.channels.channel import CollectingOutputChannel

    message_id = gateway_message_id(message.metadata)
    if message_id is not None:
        tracker = await self.tracker_store.retrieve(message.sender_id)
        replies = replies_to(tracker.events, message_id) if tracker is not None else None
        if replies is not None:
            logger.info("Message %s of this conversation was processed already: sending its %d replies again.",
                        message_id, len(replies))
            for reply in replies:
                await message.output_channel.send_response(message.sender_id, reply.message())
            if isinstance(message.output_channel, CollectingOutputChannel):
                return message.output_channel.messages
            return None
    return await _original_handle_message(self, message)


_original_handle_message: Any = None


def apply() -> None:
    """Install :func:`handle_message` on Rasa's MessageProcessor (idempotent)."""
    global _original_handle_message
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor, _PATCHED, False):
        return
    _original_handle_message = MessageProcessor.handle_message
    MessageProcessor.handle_message = handle_message
    setattr(MessageProcessor, _PATCHED, True)
