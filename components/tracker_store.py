"""Rasa's tracker store for Switchboard: SQL (SQLite or PostgreSQL) that never stores card data.

Configured in ``endpoints.yml`` (``type: components.tracker_store.RedactingSQLTrackerStore``);
Rasa builds it as ``cls(host=url, domain=..., event_broker=..., **kwargs)``, which is
:class:`rasa.core.tracker_store.SQLTrackerStore`'s own constructor.

The contract with the gateway (``bot/redaction.py``):

- The gateway sends Rasa only redacted text and metadata. This store redacts again
  (defence in depth): every new event goes through :func:`pii.redact_value` before it is
  written to the ``events`` table or published to an event broker.
- A card typed over several messages is only recognisable when its last piece arrives.
  The user message that completes it carries ``metadata["switchboard"]["card_pieces"] = N``:
  the sender's N most recent earlier user messages (not counting Rasa's ``EXTERNAL:``
  events from ``trigger_intent``) were pieces. Their stored rows are rewritten with
  :func:`pii.redact_piece`, and the pieces' digits are masked in the slot, bot and other
  events stored since the first piece.

Rasa saves the whole in-memory tracker after each turn, but SQLTrackerStore only inserts
the events past the number already stored for the session, so rows rewritten here are
never written back from the (unmasked) in-memory tracker.
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from pii import redact_piece, redact_value
from pii.redact import MAX_PIECES, PIECES_KEY, SIGNAL_KEY, PieceRun, mask_echoes, piece_run
from switchboard import sqlite_tuning

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["RedactingSQLTrackerStore", "card_pieces"]

logger = logging.getLogger(__name__)


#: Keys whose values are identifiers, names or numbers of Rasa's, never customer text.
_STRUCTURAL_KEYS = frozenset(
    {
        "event", "timestamp", "message_id", "input_channel", "policy", "confidence", "name",
        "entity", "extractor", "start", "end", "intent_response_key", "utter_action",
        "model_id", "assistant_id",
    }
)
_BATCH = 20


def card_pieces(data: Dict[str, Any]) -> int:
    """How many earlier user messages the gateway says were card pieces (0: none, or invalid).

    Only an int from 1 to :data:`MAX_PIECES` in ``metadata["switchboard"]["card_pieces"]``
    counts; anything else is logged and ignored.
    """
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or SIGNAL_KEY not in metadata:
        return 0
    ours = metadata[SIGNAL_KEY]
    if isinstance(ours, dict) and PIECES_KEY not in ours:
        return 0
    value = ours.get(PIECES_KEY) if isinstance(ours, dict) else ours
    if isinstance(ours, dict) and type(value) is int and 1 <= value <= MAX_PIECES:
        return value
    shown = value if type(value) is int else type(value).__name__  # never the value of a str or dict
    logger.warning(
        "Ignoring metadata %s.%s: expected an int from 1 to %d, got %s.", SIGNAL_KEY, PIECES_KEY, MAX_PIECES, shown
    )
    return 0


def _is_external(data: Dict[str, Any]) -> bool:
    """A user event Rasa made itself (``trigger_intent``, reminders), not a customer's message.

    ``UserUttered.create_external`` sets the text to ``"EXTERNAL: " + intent`` exactly; a
    customer who types "EXTERNAL: 4111 1111" does not match (that intent has no digits).
    """
    intent = ((data.get("parse_data") or {}).get("intent") or {}).get(INTENT_NAME_KEY)
    return bool(intent) and data.get("text") == f"{EXTERNAL_MESSAGE_PREFIX}{intent}"


def _mask_runs(value: Any, runs: Sequence[PieceRun], key: Optional[str] = None) -> Any:
    """A copy of an event's data with the pieces' digits masked in every text and number."""
    if key in _STRUCTURAL_KEYS:
        return value
    if isinstance(value, str):
        return mask_echoes(value, runs)
    if isinstance(value, int) and not isinstance(value, bool):
        masked = mask_echoes(str(value), runs)
        return value if masked == str(value) else masked
    if isinstance(value, dict):
        return {k: _mask_runs(v, runs, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_runs(item, runs) for item in value]
    return value


def _mask_piece(data: Dict[str, Any], runs: Sequence[PieceRun]) -> Dict[str, Any]:
    """A piece's user event: its text masked with :func:`pii.redact_piece`, its digits everywhere else."""
    masked = _mask_runs(data, runs)
    if isinstance(data.get("text"), str):
        masked["text"] = mask_echoes(redact_piece(data["text"]), runs)
    parse_data = data.get("parse_data")
    if isinstance(parse_data, dict) and isinstance(parse_data.get("text"), str):
        masked["parse_data"]["text"] = mask_echoes(redact_piece(parse_data["text"]), runs)
    return masked


def _loads(raw: Optional[str]) -> Optional[Dict[str, Any]]:
    try:
        data = json.loads(raw or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class RedactingSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` that redacts card data in new events and masks split-card pieces.

    The constructor is SQLTrackerStore's (``dialect``, ``host``, ``db``, ``username``,
    ``password``, ...); reading is unchanged, so retrieved trackers hold what was stored.
    On SQLite the file is in write-ahead-log mode (:mod:`switchboard.sqlite_tuning`).

    Reading a conversation and counting its stored events select the same rows as
    SQLTrackerStore's ``_event_query`` (the sender's events since its latest
    ``session_started``, or all of them), as SQL Core statements of the columns needed
    instead of ORM objects: each turn reads every event of the session, and building an ORM
    object per row was a sixth of the Rasa server's time late in a long conversation.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """SQLTrackerStore's constructor, then the SQLite settings."""
        super().__init__(*args, **kwargs)
        sqlite_tuning.tune(self.engine)

    def _session_filter(self, statement: Any, sender_id: str, all_sessions: bool) -> Any:
        """``statement`` restricted to ``sender_id``'s events (of its latest session only, unless
        ``all_sessions``), as ``_event_query`` restricts them."""
        events = self.SQLEvent.__table__
        statement = statement.where(events.c.sender_id == sender_id)
        if all_sessions:
            return statement
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender_id, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        return statement.where(sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """The conversation's tracker from its stored events, in id order; None if it has none."""
        events = self.SQLEvent.__table__
        statement = self._session_filter(sa.select(events.c.data), sender_id, fetch_events_from_all_sessions)
        with self.session_scope() as session:
            rows = session.execute(statement.order_by(events.c.id)).scalars().all()
        if not self.domain or not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)

    def _additional_events(self, session: "Session", tracker: DialogueStateTracker) -> Iterator[Event]:
        """The tracker's events past the number already stored for its latest session."""
        events = self.SQLEvent.__table__
        statement = self._session_filter(sa.select(sa.func.count()).select_from(events), tracker.sender_id, False)
        stored = session.execute(statement).scalar_one()
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Insert the tracker's new events, redacted; then mask the pieces of any split card.

        This is SQLTrackerStore.save with :func:`pii.redact_value` applied to each event's
        dict before it is serialised, and the ``card_pieces`` signal acted on in the same
        transaction.
        """
        await self.stream_events(tracker)

        with self.session_scope() as session:
            inserted: List[Tuple[SQLTrackerStore.SQLEvent, Dict[str, Any]]] = []
            for event in self._additional_events(session, tracker):
                data = redact_value(event.as_dict())
                intent = ((data.get("parse_data") or {}).get("intent") or {}).get(INTENT_NAME_KEY)
                row = self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=intent,
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
                session.add(row)
                inserted.append((row, data))
            session.flush()  # assigns the ids the pieces are looked up by

            for row, data in inserted:
                if row.type_name == UserUttered.type_name and not _is_external(data):
                    count = card_pieces(data)
                    if count:
                        self._mask_split_card(session, tracker.sender_id, row.id, count)
            session.commit()

        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")

    def _earlier_user_rows(
        self, session: "Session", sender_id: str, before_id: int, count: int
    ) -> List[Tuple[SQLTrackerStore.SQLEvent, Dict[str, Any]]]:
        """The sender's ``count`` most recent customer messages stored before row ``before_id``."""
        found: List[Tuple[SQLTrackerStore.SQLEvent, Dict[str, Any]]] = []
        below = before_id
        while len(found) < count:
            batch = (
                session.query(self.SQLEvent)
                .filter(
                    self.SQLEvent.sender_id == sender_id,
                    self.SQLEvent.type_name == UserUttered.type_name,
                    self.SQLEvent.id < below,
                )
                .order_by(self.SQLEvent.id.desc())
                .limit(_BATCH)
                .all()
            )
            if not batch:
                break
            for row in batch:
                below = row.id
                data = _loads(row.data)
                if data is None or _is_external(data):
                    continue
                found.append((row, data))
                if len(found) == count:
                    break
        return found

    def _mask_split_card(self, session: "Session", sender_id: str, completing_id: int, count: int) -> None:
        """Mask the ``count`` pieces before row ``completing_id`` and their echoes since the first."""
        pieces = self._earlier_user_rows(session, sender_id, completing_id, count)
        if len(pieces) < count:
            logger.warning("The gateway signalled %d card pieces; only %d earlier user messages are stored.",
                           count, len(pieces))
        if not pieces:
            return
        runs: List[PieceRun] = []
        for _row, data in pieces:
            for text in (data.get("text"), (data.get("parse_data") or {}).get("text")):
                run = piece_run(text) if isinstance(text, str) else None
                if run is not None and run not in runs:
                    runs.append(run)
        for row, data in pieces:
            row.data = json.dumps(_mask_piece(data, runs))

        first_id = min(row.id for row, _data in pieces)
        later = (
            session.query(self.SQLEvent)
            .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > first_id)
            .order_by(self.SQLEvent.id)
            .all()
        )
        piece_ids = {row.id for row, _data in pieces}
        for row in later:
            if row.id in piece_ids:
                continue
            data = _loads(row.data)
            if data is None or (row.type_name == UserUttered.type_name and not _is_external(data)):
                continue  # customer messages after the first piece are the gateway's (already masked)
            masked = _mask_runs(data, runs)
            if masked != data:
                row.data = json.dumps(masked)
        logger.info("Masked %d earlier card pieces of a conversation in the tracker store.", len(pieces))

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: List[Event], sender_id: str
    ) -> None:
        """Publish new events to the event broker, redacted as they are stored."""
        for event in new_events:
            body: Dict[str, Any] = {"sender_id": sender_id}
            body.update(event.as_dict())
            event_broker.publish(redact_value(body))
