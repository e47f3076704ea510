"""Conversation storage: find or open a conversation, append and list its messages."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Conversation, Message
from bot.events import Outbox, conversation_topic
from bot.notices import notice
from bot.states import ConversationStatus
from pii import redact_text, redact_value


def stored_sender(external_id: str) -> str:
    """The client's id for the customer as it is stored: a card number used as an id is masked."""
    return redact_text(external_id)


async def get_or_open(session: AsyncSession, channel: str, external_id: str) -> Conversation:
    """The customer's open conversation on this channel, or a new one."""
    external_id = stored_sender(external_id)
    result = await session.execute(
        select(Conversation)
        .where(
            Conversation.channel == channel,
            Conversation.external_id == external_id,
            Conversation.status != ConversationStatus.CLOSED,
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
    conversation = result.scalars().first()
    if conversation is None:
        conversation = Conversation(channel=channel, external_id=external_id, status=ConversationStatus.BOT.value)
        session.add(conversation)
        await session.flush()
    return conversation


async def latest_conversation(session: AsyncSession, channel: str, external_id: str) -> Optional[Conversation]:
    """The customer's most recent conversation on this channel, open or closed."""
    external_id = stored_sender(external_id)
    result = await session.execute(
        select(Conversation)
        .where(Conversation.channel == channel, Conversation.external_id == external_id)
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
    return result.scalars().first()


async def add_message(
    session: AsyncSession,
    conversation: Conversation,
    role: str,
    text: Optional[str],
    payload: Optional[Dict[str, Any]] = None,
) -> Message:
    """Append a message to the conversation; its text and payload are redacted here, on every path."""
    message = Message(
        conversation_id=conversation.id, role=role,
        text=redact_text(text) if text is not None else None,
        payload=redact_value(payload) if payload is not None else None,
    )
    session.add(message)
    await session.flush()
    return message


async def add_bot_replies(
    session: AsyncSession, conversation: Conversation, replies: Sequence[Dict[str, Any]]
) -> List[Message]:
    """Store each bot reply with whatever it carried beside its text."""
    stored = []
    for reply in replies:
        extra = {k: v for k, v in reply.items() if k not in ("text", "recipient_id")}
        stored.append(await add_message(session, conversation, "bot", reply.get("text"), extra or None))
    return stored


CUSTOMER_VISIBLE_ROLES = ("customer", "bot", "agent")


def message_event(message: Message) -> Dict[str, Any]:
    """A stored message as clients receive it (history and live events share this shape)."""
    payload = message.payload or {}
    return {
        "type": "message",
        "id": message.id,
        "conversation_id": message.conversation_id,
        "role": message.role,
        "text": message.text,
        "buttons": payload.get("buttons"),
        "agent": payload.get("agent"),
        "at": message.created_at.isoformat() if message.created_at else None,
    }


async def list_messages(session: AsyncSession, conversation_id: str) -> List[Message]:
    """All messages of a conversation, oldest first."""
    result = await session.execute(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    )
    return list(result.scalars())


async def add_notice(
    session: AsyncSession, conversation: Conversation, key: str, outbox: Outbox, **values: object
) -> Dict[str, Any]:
    """A gateway notice in the customer's language, stored as a bot message and announced; the reply."""
    text = notice(key, conversation.language, **values)
    payload: Dict[str, Any] = {"notice": key}
    if "agent" in values:
        payload["agent"] = values["agent"]
    message = await add_message(session, conversation, "bot", text, payload)
    outbox.add(conversation_topic(conversation.id), message_event(message))
    return {"text": message.text}
