"""Rasa's tracker store (``components/tracker_store.py``) never stores card data.

The store runs on a temporary SQLite file and on a throwaway PostgreSQL cluster, with the
project's domain. Each turn is saved as Rasa's processor saves it: the tracker is retrieved,
the turn's events are added, and the whole tracker is saved. The assertions read the raw rows
of the ``events`` table, as an auditor would.
"""

from __future__ import annotations

import json
import logging
import uuid
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.tracker_store import RedactingSQLTrackerStore
from pii.redact import MAX_PIECES, PIECES_KEY
from pii.redact import SIGNAL_KEY as METADATA_KEY
from pii import MASK_PART, find_split_card, redact_piece, redact_value
from switchboard import paths
from tests.test_pii_properties import assert_no_card


#: Rasa's identifiers and numbers in an event: never text a customer wrote.
NOT_TEXT = frozenset({"timestamp", "message_id", "event", "confidence", "start", "end", "input_channel", "policy"})


# -- reading what is stored ------------------------------------------------------------------------


def readable_fields(value: Any, path: str = "", key: Optional[str] = None) -> List[Tuple[str, str]]:
    """(where, text) for every text and whole number in ``value`` (keys included), as a reader
    would see them; ``where`` is the path of keys (``parse_data.entities.value``)."""
    if key in NOT_TEXT or value is None or isinstance(value, bool):
        return []
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, int):
        return [(path, str(value))]
    if isinstance(value, float):
        return [(path, str(int(value)))] if value.is_integer() else []
    if isinstance(value, dict):
        found: List[Tuple[str, str]] = []
        for k, v in value.items():
            inner = f"{path}.{k}" if path else str(k)
            found += [(f"{inner}:key", str(k)), *readable_fields(v, inner, str(k))]
        return found
    if isinstance(value, (list, tuple)):
        return [field for item in value for field in readable_fields(item, path)]
    return [(path, str(value))]


def readable_texts(value: Any) -> List[str]:
    """Every text and whole number in ``value`` (keys included)."""
    return [text for _where, text in readable_fields(value)]


def assert_unreadable(rows: Sequence[str], cards: Sequence[str], where: str) -> None:
    """No card is readable in any row (raw and decoded), nor in the rows joined in order:
    all their texts, and each field (``text``, ``parse_data.text``, slot ``value``...) apart."""
    decoded: List[List[Tuple[str, str]]] = []
    for raw in rows:
        try:
            fields = readable_fields(json.loads(raw))
        except ValueError:
            fields = [("", raw)]  # not JSON: a message's text
        decoded.append(fields)
        for card in cards:
            assert_no_card(raw, card, where)
            for _field, text in fields:
                assert_no_card(text, card, where)
            assert_no_card(" ".join(text for _field, text in fields), card, where)
    by_field: Dict[str, List[str]] = {}
    for fields in decoded:
        for field, text in fields:
            by_field.setdefault(field, []).append(text)
    for card in cards:
        assert_no_card(" ".join(t for fields in decoded for _f, t in fields), card, f"{where}, all rows joined")
        for field, texts in by_field.items():
            assert_no_card(" ".join(texts), card, f"{where}, {field or 'texts'} of all rows joined")


# -- the store, on SQLite and PostgreSQL ------------------------------------------------------------


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(paths.ROOT / "domain"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path: Path, domain: Domain) -> Iterator[RedactingSQLTrackerStore]:
    """The store as Rasa builds it from endpoints.yml's keys; on PostgreSQL a fresh database
    per test, created by the store itself (``login_db``)."""
    if request.param == "sqlite":
        made = RedactingSQLTrackerStore(domain=domain, host="", dialect="sqlite", db=str(tmp_path / "tracker.db"),
                                        username="", password="")
    else:
        port = request.getfixturevalue("postgres_server").port
        made = RedactingSQLTrackerStore(domain=domain, host="127.0.0.1", port=port, dialect="postgresql",
                                        db=f"tracker_{uuid.uuid4().hex[:12]}", username="postgres",
                                        login_db="postgres")
    yield made
    made.engine.dispose()


def rows(store: RedactingSQLTrackerStore, sender: Optional[str] = None) -> List[Tuple[int, str, str, str]]:
    """(id, sender_id, type_name, data) of the stored events, in order."""
    table = store.SQLEvent.__table__
    query = sa.select([table.c.id, table.c.sender_id, table.c.type_name, table.c.data]).order_by(table.c.id)
    if sender is not None:
        query = query.where(table.c.sender_id == sender)
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def data_of(store: RedactingSQLTrackerStore, sender: str, type_name: Optional[str] = None) -> List[Dict[str, Any]]:
    return [json.loads(d) for _i, _s, t, d in rows(store, sender) if type_name in (None, t)]


def user_texts(store: RedactingSQLTrackerStore, sender: str) -> List[str]:
    return [d["text"] for d in data_of(store, sender, "user")]


# -- turns, as Rasa's processor saves them ----------------------------------------------------------


def user(text: str, metadata: Optional[Dict[str, Any]] = None, intent: str = "inform",
         entities: Optional[List[Dict[str, Any]]] = None) -> UserUttered:
    """A customer message as Rasa logs it: parse_data from NLU, the gateway's metadata."""
    entities = entities or []
    parse_data = {
        "intent": {"name": intent, "confidence": 0.91},
        "entities": entities,
        "text": text,
        "intent_ranking": [{"name": intent, "confidence": 0.91}, {"name": "nlu_fallback", "confidence": 0.09}],
    }
    return UserUttered(text, parse_data["intent"], entities, parse_data, input_channel="rest",
                       message_id=uuid.uuid4().hex, metadata=metadata)


def gateway_meta(pieces: int = 0, **extra: Any) -> Dict[str, Any]:
    meta: Dict[str, Any] = {"channel": "web", "external_id": "web-visitor", **extra}
    if pieces:
        meta[METADATA_KEY] = {PIECES_KEY: pieces}
    return meta


async def turn(store: RedactingSQLTrackerStore, sender: str, *events: Event) -> DialogueStateTracker:
    """One turn: retrieve the tracker, add the turn's events, save the whole tracker.

    The tracker returned is the in-memory one Rasa holds during the turn (it still has what
    the store held when the turn began).
    """
    previous = await store.retrieve(sender)
    history = list(previous.events) if previous else [ActionExecuted(ACTION_LISTEN_NAME)]
    tracker = DialogueStateTracker.from_events(sender, history + list(events), slots=store.domain.slots)
    await store.save(tracker)
    return tracker


def listen() -> ActionExecuted:
    return ActionExecuted(ACTION_LISTEN_NAME)


async def split_card(store: RedactingSQLTrackerStore, sender: str, pieces: Sequence[str], last: str,
                     echo: bool = True) -> DialogueStateTracker:
    """Type a card in pieces, each answered by the bot (which echoes it) and stored in a slot;
    then the last piece, sent as the gateway sends it: masked, with ``card_pieces``."""
    for piece in pieces:
        events: List[Event] = [user(piece, gateway_meta(), entities=[
            {"entity": "account_number", "value": piece.split()[-1], "start": 0, "end": len(piece)}])]
        if echo:
            events += [ActionExecuted("action_extract_slots"), SlotSet("account_number", piece),
                       ActionExecuted("action_lookup"), BotUttered(f"I found no account {piece}.")]
        await turn(store, sender, *events, listen())
    split = find_split_card(list(pieces), last)
    assert split is not None and len(split.pieces) == len(pieces), "the test's pieces should make a card"
    # The in-memory tracker still holds the unmasked pieces; an action echoes one of them.
    return await turn(store, sender, user(split.text, gateway_meta(pieces=len(split.pieces))),
                      BotUttered(f"Thanks. Earlier you typed {pieces[0]}.",
                                 metadata={"slots": {"account_number": pieces[-1]}}), listen())


# -- Rasa loads this store from endpoints.yml ----------------------------------------------------------


def _endpoint_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in {
        "SWITCHBOARD_ACTION_PORT": "5055",
        "SWITCHBOARD_ACTION_TOKEN": "unused",
        "SWITCHBOARD_TRACKER_DIALECT": "sqlite",
        "SWITCHBOARD_TRACKER_HOST": "",
        "SWITCHBOARD_TRACKER_DB": str(tmp_path / "tracker.db"),
        "SWITCHBOARD_TRACKER_USER": "",
        "SWITCHBOARD_TRACKER_PASSWORD": "",
    }.items():
        monkeypatch.setenv(key, value)


async def test_rasa_builds_this_store_from_endpoints_yml(monkeypatch, tmp_path: Path, domain: Domain) -> None:
    """Rasa's own factory (what ``rasa run --endpoints`` calls) gives this store, not its
    InMemoryTrackerStore fallback (it falls back on ImportError with only a warning)."""
    from rasa.core.utils import AvailableEndpoints

    _endpoint_env(monkeypatch, tmp_path)
    endpoints = AvailableEndpoints.read_endpoints(str(paths.ROOT / "endpoints.yml"))
    assert endpoints.tracker_store.type == "components.tracker_store.RedactingSQLTrackerStore"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = TrackerStore.create(endpoints.tracker_store, domain=domain)
    fallbacks = [str(w.message) for w in caught if "InMemoryTrackerStore" in str(w.message)]
    assert not fallbacks, fallbacks
    assert type(made) is RedactingSQLTrackerStore
    assert made.engine.url.database == str(tmp_path / "tracker.db")
    await turn(made, "loaded", user("my card is 4111 1111 1111 1111", gateway_meta()), listen())
    assert user_texts(made, "loaded") == ["my card is [card ending 1111]"]
    made.engine.dispose()


def test_a_wrong_module_path_would_fall_back_silently(monkeypatch, tmp_path: Path, domain: Domain) -> None:
    """Why the test above matters: Rasa only warns, then keeps conversations in memory."""
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(type="components.tracker_store.NoSuchStore", dialect="sqlite",
                            db=str(tmp_path / "tracker.db"))
    with pytest.warns(UserWarning, match="InMemoryTrackerStore"):
        made = TrackerStore.create(config, domain=domain)
    assert isinstance(made, InMemoryTrackerStore)


def test_the_contract_matches_the_gateway() -> None:
    from bot.redaction import METADATA_KEY as GATEWAY_KEY
    from bot.redaction import PIECES_LOOKBACK

    assert (METADATA_KEY, MAX_PIECES) == (GATEWAY_KEY, PIECES_LOOKBACK)


# -- defence in depth: every new event is redacted -----------------------------------------------------

CARDS = ["4111111111111111", "5555555555554444", "4012888888881881", "378282246310005", "6011111111111117"]


async def test_a_card_in_any_field_of_a_new_event_is_masked(store: RedactingSQLTrackerStore) -> None:
    published: List[Dict[str, Any]] = []

    class Broker:
        def publish(self, event: Dict[str, Any]) -> None:
            published.append(event)

    store.event_broker = Broker()  # type: ignore[assignment]
    text = "my card is 4111 1111 1111 1111, exp 12/29"
    await turn(
        store, "alice",
        user(text, gateway_meta(note="backup card 5555-5555-5555-4444", nested=[{"pan": 4012888888881881}]),
             entities=[{"entity": "account_number", "value": "4111111111111111", "start": 11, "end": 30},
                       {"entity": "amount", "value": 378282246310005, "start": 0, "end": 1}]),
        ActionExecuted("action_extract_slots"),
        SlotSet("account_number", "4111 1111 1111 1111"),
        SlotSet("callback_phone", 6011111111111117),
        ActionExecuted("action_lookup", policy="RulePolicy", confidence=1.0),
        BotUttered("Your card ４１１１ １１１１ １１１１ １１１１ is not an account number.",
                   data={"custom": {"handoff": {"transcript": [{"role": "customer", "text": text}]}},
                         "buttons": [{"title": "Pay with 5555 5555 5555 4444", "payload": "/pay"}]},
                   metadata={"utter_action": "utter_card", "card": "6011 1111 1111 1117"}),
        listen(),
    )
    stored = rows(store, "alice")
    assert [row[2] for row in stored] == ["action", "user", "action", "slot", "slot", "action", "bot", "action"]
    assert_unreadable([d for *_x, d in stored], CARDS, "alice's rows")
    first_user = data_of(store, "alice", "user")[0]
    assert first_user["text"] == first_user["parse_data"]["text"] == "my card is [card ending 1111], exp [expiry removed]"
    assert first_user["metadata"]["note"] == "backup card [card ending 4444]"
    assert first_user["parse_data"]["intent"]["name"] == "inform"
    slots = {d["name"]: d["value"] for d in data_of(store, "alice", "slot")}
    assert slots == {"account_number": "[card ending 1111]", "callback_phone": "[card ending 1117]"}
    # the event broker sees the same redacted events
    assert published and all(event["sender_id"] == "alice" for event in published)
    assert_unreadable([json.dumps(event) for event in published], CARDS, "published events")


async def test_the_store_round_trips_the_redacted_events(store: RedactingSQLTrackerStore) -> None:
    events = [user("card 4111 1111 1111 1111 please", gateway_meta()), SlotSet("account_number", "5555555555554444"),
              BotUttered("Noted: 4012 8888 8888 1881"), listen()]
    tracker = await turn(store, "rt", *events)
    retrieved = await store.retrieve("rt")
    assert retrieved is not None
    expected = [json.loads(json.dumps(redact_value(e.as_dict()))) for e in tracker.events]
    assert [e.as_dict() for e in retrieved.events] == expected
    assert retrieved.get_slot("account_number") == "[card ending 4444]"
    assert retrieved.latest_message.text == "card [card ending 1111] please"
    full = await store.retrieve_full_tracker("rt")
    assert [e.as_dict() for e in full.events] == expected
    # saving the retrieved tracker again adds nothing
    await store.save(retrieved)
    assert len(rows(store, "rt")) == len(expected)


# -- split cards: the gateway's card_pieces signal ------------------------------------------------------


async def test_a_card_split_over_two_messages_is_masked_everywhere(store: RedactingSQLTrackerStore) -> None:
    card = "5555555555554444"
    in_memory = await split_card(store, "bea", ["my card is 5555 5555"], "5555 4444")
    assert user_texts(store, "bea") == ["my card is " + MASK_PART, "[card ending 4444]"]
    assert_unreadable([d for *_x, d in rows(store, "bea")], [card], "bea's rows")
    stored = data_of(store, "bea")
    assert {d["value"] for d in stored if d["event"] == "slot"} == {"my card is " + MASK_PART}
    assert [d["text"] for d in stored if d["event"] == "bot"] == [
        f"I found no account my card is {MASK_PART}.", f"Thanks. Earlier you typed my card is {MASK_PART}."]
    piece = data_of(store, "bea", "user")[0]
    assert piece["parse_data"]["text"] == piece["text"]
    assert piece["parse_data"]["entities"][0]["value"] == MASK_PART

    # Rasa saves the in-memory tracker (unmasked pieces) again, with more events: nothing is rewritten
    in_memory.update(BotUttered("Anything else?"))
    await store.save(in_memory)
    await store.save(in_memory)
    assert len([r for r in rows(store, "bea") if r[2] == "bot"]) == 3
    # and the next turn starts from the masked tracker
    after = await turn(store, "bea", user("no thanks", gateway_meta()), BotUttered("Goodbye!"), listen())
    assert after.events[1].text == "my card is " + MASK_PART  # type: ignore[attr-defined]
    assert_unreadable([d for *_x, d in rows(store, "bea")], [card], "bea's rows after more turns")
    retrieved = await store.retrieve("bea")
    assert retrieved.get_slot("account_number") == "my card is " + MASK_PART


async def test_a_card_split_over_four_messages_is_masked_everywhere(store: RedactingSQLTrackerStore) -> None:
    card = "4012888888881881"
    await turn(store, "cid", user("hello", gateway_meta(), intent="greet"), BotUttered("Hi! Order 12345?"), listen())
    await split_card(store, "cid", ["4012", "8888", "8888"], "1881")
    texts = user_texts(store, "cid")
    assert texts == ["hello", MASK_PART, MASK_PART, MASK_PART, "[card ending 1881]"]
    assert_unreadable([d for *_x, d in rows(store, "cid")], [card], "cid's rows")
    assert "Hi! Order 12345?" in [d["text"] for d in data_of(store, "cid", "bot")]  # before the first piece


async def test_pieces_in_other_formats_and_scripts(store: RedactingSQLTrackerStore) -> None:
    card = "4111111111111111"
    pieces = ["my card: ４１１１\u00a0１１１１", "one one one\u200bone"]
    await split_card(store, "dan", pieces, "1111")
    assert user_texts(store, "dan")[:2] == [redact_piece(p) for p in pieces]
    assert_unreadable([d for *_x, d in rows(store, "dan")], [card], "dan's rows")


async def test_external_user_events_are_not_counted_as_pieces(store: RedactingSQLTrackerStore) -> None:
    card = "5555555555554444"
    await turn(store, "eve", user("my account is 1234 5678", gateway_meta()), BotUttered("Thanks."), listen())
    await turn(store, "eve", user("5555 5555", gateway_meta()), BotUttered("Go on."), listen())
    # The gateway's trigger_intent (e.g. the survey) between the pieces: Rasa's EXTERNAL user event
    await turn(store, "eve", UserUttered.create_external("start_survey", [{"entity": "score", "value": "5555"}]),
               BotUttered("How did we do?"), listen())
    await turn(store, "eve", user("5555", gateway_meta()), listen())
    split = find_split_card(["my account is 1234 5678", "5555 5555", "5555"], "4444")
    assert split is not None and split.pieces == (1, 2)
    await turn(store, "eve", user(split.text, gateway_meta(pieces=2)), listen())
    assert user_texts(store, "eve") == ["my account is 1234 5678", MASK_PART, "EXTERNAL: start_survey", MASK_PART,
                                        "[card ending 4444]"]
    assert_unreadable([d for *_x, d in rows(store, "eve")], [card], "eve's rows")


async def test_a_customer_typing_external_is_still_a_piece(store: RedactingSQLTrackerStore) -> None:
    card = "5555555555554444"
    await turn(store, "fay", user("EXTERNAL: 5555 5555", gateway_meta()), listen())
    split = find_split_card(["EXTERNAL: 5555 5555"], "5555 4444")
    assert split is not None
    await turn(store, "fay", user(split.text, gateway_meta(pieces=1)), listen())
    assert user_texts(store, "fay")[0] == "EXTERNAL: " + MASK_PART
    assert_unreadable([d for *_x, d in rows(store, "fay")], [card], "fay's rows")


@pytest.mark.parametrize("bad", [0, -1, "2", 99, MAX_PIECES + 1, {"n": 2}, True, 2.0, None, [1]])
async def test_bad_card_pieces_values_change_nothing(store: RedactingSQLTrackerStore, bad: Any, caplog) -> None:
    await turn(store, "gus", user("my account is 1234 5678", gateway_meta()), BotUttered("Thanks 1234 5678."), listen())
    before = rows(store, "gus")
    meta = gateway_meta()
    meta[METADATA_KEY] = {PIECES_KEY: bad}
    with caplog.at_level(logging.WARNING, logger="components.tracker_store"):
        await turn(store, "gus", user("9012 3456", meta), listen())
    after = rows(store, "gus")
    assert after[: len(before)] == before
    assert len(after) == len(before) + 2
    assert any(PIECES_KEY in record.getMessage() for record in caplog.records)
    assert all(repr(bad) not in record.getMessage() for record in caplog.records if isinstance(bad, (str, dict)))


async def test_switchboard_metadata_that_is_not_a_mapping_changes_nothing(store: RedactingSQLTrackerStore) -> None:
    await turn(store, "hal", user("1234 5678", gateway_meta()), listen())
    before = rows(store, "hal")
    await turn(store, "hal", user("9012 3456", {METADATA_KEY: 1}), listen())
    await turn(store, "hal", user("3456 7890", {METADATA_KEY: {"other": 1}}), listen())
    assert rows(store, "hal")[: len(before)] == before


async def test_another_senders_rows_are_untouched(store: RedactingSQLTrackerStore) -> None:
    await turn(store, "bob", user("5555 5555", gateway_meta()), SlotSet("account_number", "5555 5555"),
               BotUttered("I found no account 5555 5555."), listen())
    bobs = rows(store, "bob")
    await split_card(store, "ann", ["5555 5555"], "5555 4444")
    await turn(store, "bob", user("hello", gateway_meta(), intent="greet"), listen())
    assert rows(store, "bob")[: len(bobs)] == bobs
    assert user_texts(store, "bob") == ["5555 5555", "hello"]
    assert user_texts(store, "ann")[0] == MASK_PART


async def test_more_pieces_than_stored_messages_masks_what_there_is(store: RedactingSQLTrackerStore, caplog) -> None:
    await turn(store, "ivy", user("5555 5555", gateway_meta()), listen())
    with caplog.at_level(logging.WARNING, logger="components.tracker_store"):
        await turn(store, "ivy", user("[card ending 4444]", gateway_meta(pieces=3)), listen())
    assert user_texts(store, "ivy") == [MASK_PART, "[card ending 4444]"]
    assert any("only 1" in record.getMessage() for record in caplog.records)


async def test_pieces_across_a_session_start_are_found(store: RedactingSQLTrackerStore) -> None:
    """The pieces may lie before the latest session_started (Rasa's retrieve no longer shows them)."""
    from rasa.shared.core.events import SessionStarted

    await turn(store, "jo", user("5555 5555", gateway_meta()), listen())
    await turn(store, "jo", ActionExecuted("action_session_start"), SessionStarted(), listen())
    await turn(store, "jo", user("[card ending 4444]", gateway_meta(pieces=1)), listen())
    assert user_texts(store, "jo") == [MASK_PART, "[card ending 4444]"]


def test_sqlite_tracker_store_uses_the_write_ahead_log(tmp_path) -> None:
    """Commits wait for no fsync per turn, and a reader never blocks Rasa's writer."""
    import sqlite3

    from components.tracker_store import RedactingSQLTrackerStore

    path = tmp_path / "tracker.db"
    store = RedactingSQLTrackerStore(dialect="sqlite", db=str(path))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_reading_selects_the_same_events_as_rasas_query_across_sessions(tmp_path) -> None:
    """The Core statements of _retrieve and _additional_events select what _event_query selects."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from components.tracker_store import RedactingSQLTrackerStore
    from switchboard import paths

    domain = Domain.load(str(paths.ROOT / "domain"))
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    first = [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.0),
             UserUttered("hello", {"name": "greet"}, timestamp=2.0), SlotSet("language", "en", timestamp=2.0)]
    second = [ActionExecuted("action_session_start", timestamp=10.0), SessionStarted(timestamp=10.0),
              UserUttered("bonjour", {"name": "greet"}, timestamp=11.0)]
    tracker = DialogueStateTracker.from_events("kim", first, slots=domain.slots)
    await store.save(tracker)
    for event in second:
        tracker.update(event)
    await store.save(tracker)
    await store.save(DialogueStateTracker.from_events("other", first, slots=domain.slots))

    with store.session_scope() as session:
        rasa_latest = [json.loads(r.data) for r in store._event_query(session, "kim", fetch_events_from_all_sessions=False)]
        rasa_all = [json.loads(r.data) for r in store._event_query(session, "kim", fetch_events_from_all_sessions=True)]
        from rasa.core.tracker_store import SQLTrackerStore

        for conversation in (tracker, DialogueStateTracker.from_events("kim", second + [SlotSet("a", 1)], slots=[])):
            ours = list(store._additional_events(session, conversation))
            assert ours == list(SQLTrackerStore._additional_events(store, session, conversation))
        assert ours == [SlotSet("a", 1)], "past the three events stored since the latest session start"
    latest = await store.retrieve("kim")
    every = await store.retrieve_full_tracker("kim")
    assert [e.as_dict() for e in latest.events] == rasa_latest and [e.text for e in latest.events if isinstance(e, UserUttered)] == ["bonjour"]
    assert [e.as_dict() for e in every.events] == rasa_all and len(rasa_all) == len(first) + len(second)
    assert await store.retrieve("nobody") is None
