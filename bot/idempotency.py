"""Client message ids (the ``Idempotency-Key`` header of ``POST /api/chat``) and the stored turns they key.

A client that did not get an answer (its gateway instance died, the connection dropped) sends
the same request again with the same key. The first request stored the customer's message
and a :class:`~bot.db.models.ChatTurn` row in one transaction, unique per customer and
key, so the retry never stores the message twice: it gets the stored answer, or, when the
first request died before it had one, it finishes that turn (see
:func:`bot.customer_turns.customer_turn`).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChatTurn
from bot.errors import ApiError

HEADER = "Idempotency-Key"
KEY_MAX_CHARS = 64
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,%d}" % KEY_MAX_CHARS)


def parse_key(raw: Optional[str]) -> Optional[str]:
    """The client message id, ``None`` when the header is absent; a 400 ApiError when it is malformed.

    1-64 characters of ``A-Z a-z 0-9 . _ : -`` (a UUID, a ULID or a counter all fit), taken as
    sent: no trimming, so two different keys never become one.
    """
    if raw is None:
        return None
    if not KEY_PATTERN.fullmatch(raw):
        raise ApiError(400, "invalid_idempotency_key",
                       f"The {HEADER} header must be 1-{KEY_MAX_CHARS} characters of letters, digits, "
                       "'.', '_', ':' or '-'.")
    return raw


async def find_turn(session: AsyncSession, channel: str, external_id: str, key: str) -> Optional[ChatTurn]:
    """The customer's turn stored under ``key`` (``external_id``: the stored sender), read afresh."""
    return (
        await session.execute(
            select(ChatTurn)
            .where(ChatTurn.channel == channel, ChatTurn.external_id == external_id, ChatTurn.client_message_id == key)
            .execution_options(populate_existing=True)
        )
    ).scalars().first()


async def claim_completion(session: AsyncSession, turn_id: int) -> bool:
    """Mark the turn complete unless another request did first (a conditional UPDATE, safe across instances)."""
    result = await session.execute(
        update(ChatTurn)
        .where(ChatTurn.id == turn_id, ChatTurn.completed_at.is_(None))
        .values(completed_at=datetime.now(timezone.utc))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def store_response(session: AsyncSession, turn_id: int, response: Dict[str, Any]) -> None:
    """Keep the answer the client is given, for its retries."""
    await session.execute(
        update(ChatTurn).where(ChatTurn.id == turn_id).values(response=response)
        .execution_options(synchronize_session=False)
    )


async def stored_response(session: AsyncSession, turn_id: int) -> Optional[Dict[str, Any]]:
    """The answer stored for the turn, if it has completed."""
    return (await session.execute(select(ChatTurn.response).where(ChatTurn.id == turn_id))).scalar_one_or_none()
