"""No card number is readable anywhere the real stack writes: Rasa's tracker store
(``tracker.db``, through ``components/tracker_store.py``), the gateway's database and the logs.

One stack (``python -m switchboard.stack``, SQLite in a temporary data dir) gets cards in many
formats through ``POST /api/chat``, cards split over 2 and 4 messages, and a card in the
message metadata; then the stored data is read directly, as an auditor would.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from pii import redact_piece
from tests.helpers import http
from tests.stack_support import RunningStack, launch
from tests.test_pii_properties import assert_no_card
from tests.test_tracker_store import assert_unreadable, readable_texts

pytestmark = pytest.mark.stack

# sender: (messages typed one after the other, the card they hold)
CONVERSATIONS: Dict[str, Tuple[List[str], str]] = {
    "dots": (["my card is 4111.1111.1111.1111"], "4111111111111111"),
    "en-dashes": (["5555–5555–5555–4444 is my card"], "5555555555554444"),
    "no-break-spaces": (["card 4012\u00a08888\u00a08888\u00a01881 thanks"], "4012888888881881"),
    "zero-width-spaces": (["3782\u200b822463\u200b10005"], "378282246310005"),
    "english-words": (["four one one one one one one one one one one one one one one one"], "4111111111111111"),
    "fullwidth": (["my card is ６０１１ １１１１ １１１１ １１１７"], "6011111111111117"),
    "chinese": (["我的卡号是五五五五五五五五五五五五四四四四"], "5555555555554444"),
    "split-2": (["my card is 5105 1051", "0510 5100"], "5105105105105100"),
    "split-4": (["4000", "0566", "5566", "5556"], "4000056655665556"),
}
METADATA_CARD = "4242424242424242"
CARDS = sorted({card for _messages, card in CONVERSATIONS.values()} | {METADATA_CARD})
TRACKER_ENV = ["SWITCHBOARD_TRACKER_DIALECT", "SWITCHBOARD_TRACKER_HOST", "SWITCHBOARD_TRACKER_DB",
               "SWITCHBOARD_TRACKER_USER", "SWITCHBOARD_TRACKER_PASSWORD"]


@pytest.fixture(scope="module")
def stack(model_path, tmp_path_factory) -> Iterator[RunningStack]:
    """The whole stack with its defaults: the tracker store is SQLite at ``<data dir>/tracker.db``."""
    data_dir = tmp_path_factory.mktemp("redaction-stack")
    log = tmp_path_factory.mktemp("redaction-logs") / "stack.log"
    with pytest.MonkeyPatch.context() as patch:
        for name in TRACKER_ENV:  # switchboard.stack's defaults, whatever this shell has set
            patch.delenv(name, raising=False)
        running = launch(data_dir, log)
    yield running
    if running.process.poll() is None:
        running.interrupt()


def chat(stack: RunningStack, sender: str, message: str, metadata: Optional[Dict[str, Any]] = None) -> dict:
    body: Dict[str, Any] = {"sender": sender, "message": message}
    if metadata is not None:
        body["metadata"] = metadata
    status, answer = http("POST", f"{stack.gateway}/api/chat", body)
    assert status == 200, answer
    return answer


@pytest.fixture(scope="module")
def conversations(stack: RunningStack) -> Dict[str, dict]:
    """Every conversation typed once; sender -> the last answer (its conversation_id is Rasa's sender id)."""
    answers: Dict[str, dict] = {}
    for sender, (messages, _card) in CONVERSATIONS.items():
        for message in messages:
            answers[sender] = chat(stack, sender, message)
            assert answers[sender]["handoff"] is None, f"{sender}: {answers[sender]}"
    answers["metadata"] = chat(stack, "metadata", "hello",
                               {"note": f"card {METADATA_CARD[:4]} {METADATA_CARD[4:8]} {METADATA_CARD[8:12]} "
                                        f"{METADATA_CARD[12:]}", "pan": int(METADATA_CARD)})
    answers["faq"] = chat(stack, "faq", "what are your opening hours?")
    return answers


def tracker_rows(stack: RunningStack) -> List[Tuple[int, str, str, str]]:
    with sqlite3.connect(stack.data_dir / "tracker.db") as db:
        return db.execute("SELECT id, sender_id, type_name, data FROM events ORDER BY id").fetchall()


def tracker_data(stack: RunningStack, sender_id: str) -> List[Dict[str, Any]]:
    return [json.loads(data) for _id, sender, _type, data in tracker_rows(stack) if sender == sender_id]


def gateway_tables(stack: RunningStack) -> Dict[str, Tuple[List[str], List[tuple]]]:
    """Every table of the gateway's database: (column names, rows)."""
    tables: Dict[str, Tuple[List[str], List[tuple]]] = {}
    with sqlite3.connect(stack.data_dir / "gateway.db") as db:
        names = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            cursor = db.execute('SELECT * FROM "' + name.replace('"', '""') + '"')
            tables[name] = ([c[0] for c in cursor.description], cursor.fetchall())
    return tables


def cell_texts(cell: Any) -> List[str]:
    if isinstance(cell, str) and cell.startswith(("{", "[")):
        try:
            return [cell, *readable_texts(json.loads(cell))]
        except ValueError:
            pass
    return [] if cell is None else [str(cell)]


def test_the_model_answers_and_the_redacting_store_is_the_one_in_use(stack, conversations) -> None:
    replies = [r.get("text") or "" for r in conversations["faq"]["replies"]]
    assert any("Monday to Friday" in reply for reply in replies), replies
    faq = tracker_data(stack, conversations["faq"]["conversation_id"])
    assert [d["text"] for d in faq if d["event"] == "user"] == ["what are your opening hours?"]
    assert any("Monday to Friday" in (d.get("text") or "") for d in faq if d["event"] == "bot")
    log = stack.log.read_text(encoding="utf-8", errors="replace")
    assert "InMemoryTrackerStore" not in log, "Rasa fell back to its in-memory tracker store"


def test_no_card_is_readable_in_the_tracker_store(stack, conversations) -> None:
    stored = tracker_rows(stack)
    assert stored
    for row_id, sender, _type, data in stored:
        assert_unreadable([data], CARDS, f"tracker.db row {row_id}")
    for name, answer in conversations.items():
        sender_id = answer["conversation_id"]
        mine = [data for _id, sender, _type, data in stored if sender == sender_id]
        assert mine, f"no tracker rows for {name}"
        assert_unreadable(mine, CARDS, f"tracker.db rows of {name}")


@pytest.mark.parametrize("name, pieces", [("split-2", 1), ("split-4", 3)])
def test_rasa_masked_the_pieces_of_a_split_card(stack, conversations, name: str, pieces: int) -> None:
    user = [d for d in tracker_data(stack, conversations[name]["conversation_id"]) if d["event"] == "user"]
    texts = [d["text"] for d in user]
    card = CONVERSATIONS[name][1]
    assert texts[-1] == f"[card ending {card[-4:]}]"
    assert texts[:-1] == [redact_piece(t) for t in CONVERSATIONS[name][0][:-1]]
    ours = user[-1]["metadata"]["switchboard"]
    assert ours["card_pieces"] == pieces and type(ours["message_id"]) is int, ours
    assert all(d["parse_data"]["text"] == d["text"] for d in user)


def test_no_card_is_readable_in_the_gateway_database(stack, conversations) -> None:
    tables = gateway_tables(stack)
    assert "messages" in tables
    for table, (_columns, table_rows) in tables.items():
        for row in table_rows:
            texts = [t for cell in row for t in cell_texts(cell)]
            for card in CARDS:
                for text in texts:
                    assert_no_card(text, card, f"gateway.db {table} row {row[:2]}")
    columns, messages = tables["messages"]
    conversation, text = columns.index("conversation_id"), columns.index("text")
    for name, answer in conversations.items():
        mine = [row[text] or "" for row in sorted(messages, key=lambda r: r[0]) if row[conversation] == answer["conversation_id"]]
        assert mine, f"no gateway messages for {name}"
        assert_unreadable(mine, CARDS, f"gateway.db messages of {name}")


def test_no_card_is_readable_in_the_logs(stack, conversations) -> None:
    lines = stack.log.read_text(encoding="utf-8", errors="replace").splitlines()
    assert lines
    for number, line in enumerate(lines, 1):
        for card in CARDS:
            assert_no_card(line, card, f"stack log line {number}")
