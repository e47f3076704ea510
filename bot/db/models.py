"""SQLAlchemy models for the gateway's own data (Rasa keeps its tracker separately)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

Base = declarative_base()


def utcnow() -> datetime:
    """Timezone-aware now, used for every timestamp column."""
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone when storing)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def new_id() -> str:
    """Random conversation id, also used as Rasa's sender id."""
    return uuid.uuid4().hex


class Conversation(Base):
    """One customer's conversation on one channel."""

    __tablename__ = "conversations"

    id = Column(String(32), primary_key=True, default=new_id)
    channel = Column(String(16), nullable=False)
    external_id = Column(String(128), nullable=False)
    language = Column(String(8), nullable=True)
    status = Column(String(16), nullable=False, default="bot")
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
    # The last sign of the customer (a message, an open websocket, a live call): abandonment.
    customer_seen_at = Column(UtcDateTime(), nullable=True)

    messages = relationship("Message", back_populates="conversation", order_by="Message.id")

    __table_args__ = (Index("ix_conversations_channel_external", "channel", "external_id"),)


class Message(Base):
    """A message in a conversation, already redacted. ``role`` is customer, bot, agent or system."""

    __tablename__ = "messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(
        String(32), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role = Column(String(16), nullable=False)
    text = Column(Text, nullable=True)
    payload = Column(JSON, nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages")


class ChatTurn(Base):
    """A customer turn sent with a client message id (``Idempotency-Key``): a retry gets ``response``.

    The id is unique per customer (channel and sender, as conversations are found), not per
    conversation: two first messages sent at once would open two conversations, but only one
    of them can store the turn. Written in the transaction that stores the customer's
    message. ``rasa_metadata`` is what
    Rasa is sent with it (already redacted), so a retry of a turn that never completed sends
    Rasa exactly the same turn; ``notices`` are the gateway's replies decided before Rasa's.
    ``completed_at`` and ``response`` are set once, by whichever request finishes the turn first.
    """

    __tablename__ = "chat_turns"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    channel = Column(String(16), nullable=False)
    external_id = Column(String(128), nullable=False)
    client_message_id = Column(String(64), nullable=False)
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False)
    rasa_metadata = Column(JSON, nullable=True)  # None: people handled the turn, Rasa was not asked
    notices = Column(JSON, nullable=False, default=list)
    response = Column(JSON, nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    completed_at = Column(UtcDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("channel", "external_id", "client_message_id", name="uq_chat_turns_client_message"),
    )


class Agent(Base):
    """A human agent, supervisor or admin of the desk."""

    __tablename__ = "agents"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(128), nullable=False)
    password_hash = Column(String(256), nullable=False)
    role = Column(String(16), nullable=False, default="agent")
    skills = Column(JSON, nullable=False, default=list)
    languages = Column(JSON, nullable=False, default=list)
    senior = Column(Boolean, nullable=False, default=False)
    site = Column(String(32), nullable=False)
    presence = Column(String(16), nullable=False, default="offline")
    capacity = Column(Integer, nullable=False, default=2)


class Handoff(Base):
    """A conversation handed to humans: where it waits, why, and everything the bot learned."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(
        String(32), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status = Column(String(16), nullable=False, default="queued")
    reason = Column(String(64), nullable=False)
    queue = Column(String(32), nullable=False)
    language = Column(String(8), nullable=False)
    priority = Column(Integer, nullable=False)
    sla_seconds = Column(Integer, nullable=False)
    context = Column(JSON, nullable=False)
    routing = Column(JSON, nullable=False)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=True)
    disposition = Column(String(32), nullable=True)
    wrap_up = Column(Text, nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    assigned_at = Column(UtcDateTime(), nullable=True)
    closed_at = Column(UtcDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_handoffs_status_queue", "status", "queue"),
        Index("ix_handoffs_agent_status", "agent_id", "status"),
    )


class HandoffEvent(Base):
    """One move of a handoff's lifecycle: who made it, from which status to which, and why."""

    __tablename__ = "handoff_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False)
    transition = Column(String(32), nullable=False)
    from_status = Column(String(16), nullable=True)
    to_status = Column(String(16), nullable=False)
    actor_id = Column(Integer, ForeignKey("agents.id"), nullable=True)  # None: the customer or the system
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=True)  # who holds it afterwards
    queue = Column(String(32), nullable=False)
    detail = Column(JSON, nullable=True)
    at = Column(UtcDateTime(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_handoff_events_handoff", "handoff_id"),)


class AgentSession(Base):
    """A desk login: the SHA-256 of the bearer token, so a database leak reveals no tokens."""

    __tablename__ = "agent_sessions"

    token_hash = Column(String(64), primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False)
    expires_at = Column(UtcDateTime(), nullable=False)
