"""The gateway's redaction points: card data never reaches its database, Rasa or its logs.

Two functions every path passes call these: :func:`bot.customer_turns.customer_turn` (every
customer message, sender id and metadata, whatever the channel) and
:func:`bot.conversations.add_message` (every stored message: agent replies, notes, notices).
The detection itself is :mod:`pii` (card numbers in any format, words in six languages,
CVV and expiry next to them).

A card number typed over several messages is only recognisable when its last piece
arrives. Then the earlier pieces are masked where the gateway stored them (messages and
the handoff's context packet), and Rasa is told how many of its recent user messages were
pieces (``metadata["switchboard"]["card_pieces"]``), so its tracker store masks them too
(``components/tracker_store.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Conversation, Handoff, Message
from pii import digit_tokens, find_split_card, redact_follow_up, redact_piece, redact_text, redact_value
from pii.redact import MAX_PIECES, PIECES_KEY, SIGNAL_KEY, PieceRun, mask_echoes, piece_run

__all__ = ["RedactedTurn", "redact_customer_turn", "redact_text", "redact_value"]

# How far back a card number typed in pieces is looked for (the contract with Rasa's store).
PIECES_LOOKBACK = MAX_PIECES
PIECES_WINDOW = timedelta(minutes=10)
CARD_MASK = "[card ending "
METADATA_KEY = SIGNAL_KEY  # the gateway's own keys in the metadata Rasa receives
CLIENT_FORBIDDEN = (METADATA_KEY, "is_external")
MESSAGE_ID_KEY = "message_id"  # metadata[METADATA_KEY][MESSAGE_ID_KEY]: components/turn_replay.py keeps a copy


@dataclass
class RedactedTurn:
    """A customer message after redaction, and how many earlier pieces Rasa must mask."""

    text: str
    pieces_sent_to_rasa: int = 0
    removed: bool = False  # card data was taken out (the customer is told why)


async def _recent_customer_messages(session: AsyncSession, conversation: Conversation) -> List[Message]:
    since = datetime.now(timezone.utc) - PIECES_WINDOW
    rows = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.role == "customer", Message.created_at >= since)
        .order_by(Message.id.desc())
        .limit(PIECES_LOOKBACK)
    )
    return list(reversed(rows.scalars().all()))


async def _mask_in_context(session: AsyncSession, conversation: Conversation, originals: Dict[str, str]) -> None:
    """The handoff context packets of this conversation hold transcripts: mask the pieces there too."""
    handoffs = (await session.execute(select(Handoff).where(Handoff.conversation_id == conversation.id))).scalars()
    for handoff in handoffs:
        context = handoff.context or {}
        lines = context.get("transcript") or []
        if any(line.get("role") == "customer" and line.get("text") in originals for line in lines):
            handoff.context = {**context, "transcript": [
                {**line, "text": originals[line["text"]]}
                if line.get("role") == "customer" and line.get("text") in originals else line
                for line in lines
            ]}


async def redact_customer_turn(session: AsyncSession, conversation: Conversation, text: str) -> RedactedTurn:
    """``text`` with card data masked; earlier stored pieces of a split card masked in place.

    The earlier messages matter only to a text with digits in it (the last piece of a card,
    or the code or expiry after one), so most turns need no look back.
    """
    if not digit_tokens(text):
        masked = redact_text(text)
        return RedactedTurn(masked, removed=masked != text)
    previous = await _recent_customer_messages(session, conversation)
    split = find_split_card([m.text or "" for m in previous], text)
    if split is None:
        after_card = bool(previous) and CARD_MASK in (previous[-1].text or "")
        masked = redact_follow_up(text) if after_card else redact_text(text)
        return RedactedTurn(masked, removed=masked != text)
    originals: Dict[str, str] = {}
    runs: List[PieceRun] = []
    sent = 0
    for index in split.pieces:
        message = previous[index]
        original = message.text or ""
        run = piece_run(original)
        if run is not None:
            runs.append(run)
        originals[original] = message.text = redact_piece(original)
        if (message.payload or {}).get("handled_by") == "bot":
            sent += 1
    await _mask_echoes(session, conversation, previous[split.pieces[0]].id, runs)
    await _mask_in_context(session, conversation, originals)
    return RedactedTurn(split.text, sent, removed=True)


async def _mask_echoes(session: AsyncSession, conversation: Conversation, since_id: int,
                       runs: List[PieceRun]) -> None:
    """Replies after the first piece may have repeated a piece ("I found no account 4111 1111"):
    the same rule as Rasa's tracker store (:func:`pii.redact.mask_echoes`)."""
    if not runs:
        return
    rows = await session.execute(
        select(Message).where(Message.conversation_id == conversation.id, Message.id > since_id,
                              Message.role != "customer")
    )
    for message in rows.scalars():
        if message.text:
            message.text = mask_echoes(message.text, runs)


def rasa_metadata(metadata: Dict[str, Any], turn: RedactedTurn, channel: str, external_id: str,
                  message_id: int) -> Dict[str, Any]:
    """The (already redacted) metadata Rasa receives with a turn, with the gateway's own keys.

    ``switchboard.message_id`` is the stored customer message: Rasa answers a turn it already
    holds under that id from its tracker (``components/turn_replay.py``). A client cannot
    set the gateway's keys, nor Rasa's marker of events it made itself: whatever it sent
    under ``switchboard`` or ``is_external`` is dropped.
    """
    forwarded = {k: v for k, v in metadata.items() if k not in CLIENT_FORBIDDEN}
    forwarded.update(channel=channel, external_id=external_id)
    ours: Dict[str, Any] = {MESSAGE_ID_KEY: message_id}
    if turn.pieces_sent_to_rasa:
        ours[PIECES_KEY] = turn.pieces_sent_to_rasa
    forwarded[METADATA_KEY] = ours
    return forwarded
