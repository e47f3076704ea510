"""No card number reaches the gateway's database, Rasa or the logs, whatever path it takes
(chat text in any format, words in six languages, split over messages, metadata, the sender
id, agent replies, notes, wrap-up, a callback phone), and numbers that are not cards pass.

The gateway runs in-process with a fake Rasa that records exactly what Rasa would receive;
``tests/test_stack.py`` checks Rasa's own tracker store on the real stack.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pii import is_card_number
from tests.gateway_harness import GatewayThread
from tests.test_pii_properties import assert_no_card, card_numbers, joined, renderings

# (label, how the customer writes it, the card's digits)
FORMATS = [
    ("plain", "4111111111111111", "4111111111111111"),
    ("spaces", "4111 1111 1111 1111", "4111111111111111"),
    ("dashes", "4111-1111-1111-1111", "4111111111111111"),
    ("dots", "4111.1111.1111.1111", "4111111111111111"),
    ("double spaces", "4111  1111  1111  1111", "4111111111111111"),
    ("slashes", "4111/1111/1111/1111", "4111111111111111"),
    ("underscores", "4111_1111_1111_1111", "4111111111111111"),
    ("spaced dashes", "4111 - 1111 - 1111 - 1111", "4111111111111111"),
    ("newlines", "4111\n1111\n1111\n1111", "4111111111111111"),
    ("tabs", "4111\t1111\t1111\t1111", "4111111111111111"),
    ("zero-width spaces", "4111\u200b1111\u200b1111\u200b1111", "4111111111111111"),
    ("no-break spaces", "4111\u00a01111\u00a01111\u00a01111", "4111111111111111"),
    ("narrow no-break spaces", "4111\u202f1111\u202f1111\u202f1111", "4111111111111111"),
    ("ideographic spaces", "4111\u30001111\u30001111\u30001111", "4111111111111111"),
    ("en dashes", "4111\u20131111\u20131111\u20131111", "4111111111111111"),
    ("em dashes", "4111\u20141111\u20141111\u20141111", "4111111111111111"),
    ("commas", "4111,1111,1111,1111", "4111111111111111"),
    ("brackets", "(4111) 1111-1111-1111", "4111111111111111"),
    ("mixed", "4111\u20131111 1111.1111", "4111111111111111"),
    ("fullwidth digits", "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11",
     "4111111111111111"),
    ("arabic-indic digits", "\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661",
     "4111111111111111"),
    ("english words", "four one one one one one one one one one one one one one one one", "4111111111111111"),
    ("english tens", "forty one eleven eleven eleven eleven eleven eleven eleven", "4111111111111111"),
    ("french words", "quatre un un un un un un un un un un un un un un un", "4111111111111111"),
    ("romanian words", "patru unu unu unu unu unu unu unu unu unu unu unu unu unu unu unu", "4111111111111111"),
    ("ukrainian words", "чотири один один один один один один один один один один один один один один один",
     "4111111111111111"),
    ("lithuanian words", "keturi vienas vienas vienas vienas vienas vienas vienas vienas vienas vienas vienas "
                         "vienas vienas vienas vienas", "4111111111111111"),
    ("chinese numerals", "四一一一一一一一一一一一一一一一", "4111111111111111"),
    ("amex", "3782 822463 10005", "378282246310005"),
    ("mastercard 2-series", "2223 0031 2200 3222", "2223003122003222"),
    ("discover", "6011 1111 1111 1117", "6011111111111117"),
    ("diners 14", "3056 9309 0259 04", "30569309025904"),
]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory) -> Iterator[GatewayThread]:
    thread = GatewayThread(tmp_path_factory.mktemp("redaction")).start()
    yield thread
    thread.stop()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def log_lines() -> Iterator[List[str]]:
    handler = _Lines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # the level the gateway logs at (bot/__main__.py)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(previous)


def _db(gateway: GatewayThread) -> Path:
    return Path(gateway.gateway.services.settings.database_url.removeprefix("sqlite:///"))


def _stored(gateway: GatewayThread) -> List[str]:
    """Every value the gateway's database holds, and each conversation's messages joined in order."""
    with sqlite3.connect(_db(gateway)) as conn:
        rows = []
        for table, columns in {"messages": ("text", "payload"), "conversations": ("external_id",),
                               "handoffs": ("context", "routing", "wrap_up"),
                               "handoff_events": ("detail",)}.items():
            rows += [str(value) for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table}") for value in row]
        conversations = conn.execute("SELECT group_concat(text, ' ') FROM (SELECT conversation_id, text FROM messages "
                                     "ORDER BY id) GROUP BY conversation_id").fetchall()
    return rows + [str(text) for (text,) in conversations]


def _sent_to_rasa(gateway: GatewayThread) -> List[str]:
    """Each message Rasa received (with its metadata), and each sender's messages joined in order."""
    received = list(gateway.gateway.rasa.received)
    items = [text + " " + json.dumps(metadata, ensure_ascii=False) for _sender, text, metadata in received]
    by_sender = {}
    for sender, text, _metadata in received:
        by_sender.setdefault(sender, []).append(text)
    return items + [" ".join(texts) for texts in by_sender.values()]


def _assert_nowhere(gateway: GatewayThread, log_lines: List[str], card: str, original: str) -> None:
    for item in _stored(gateway) + _sent_to_rasa(gateway) + list(log_lines):
        assert_no_card(item, card, original)


def _chat(gateway: GatewayThread, sender: str, message: str, metadata=None):
    answer = gateway.run(gateway.gateway.chat(sender, message, metadata))
    assert answer.status == 200, answer
    return answer.body


@pytest.mark.parametrize("label, written, card", FORMATS, ids=[f[0] for f in FORMATS])
def test_a_card_in_any_format_is_stored_and_forwarded_masked(gateway, log_lines, label, written, card) -> None:
    assert is_card_number(card), f"{label}: the test's card {card} is not a card number"
    body = _chat(gateway, f"fmt-{label}", f"my card is {written} thanks")
    notice, echo = body["replies"][0]["text"], body["replies"][1]["text"]
    assert notice.startswith("For your security I removed the card number"), body
    assert f"[card ending {card[-4:]}]" in echo, body  # the fake echoes what Rasa got
    _assert_nowhere(gateway, log_lines, card, written)


def test_cvv_and_expiry_next_to_a_card_are_masked_too(gateway, log_lines) -> None:
    body = _chat(gateway, "cvv", "card 4111 1111 1111 1111 exp 12/27 cvv 123")
    echoed = body["replies"][-1]["text"]
    assert "12/27" not in echoed and "123" not in echoed and "[card ending 1111]" in echoed, echoed
    everything = "\n".join(_stored(gateway) + _sent_to_rasa(gateway) + log_lines)
    assert "12/27" not in everything and "cvv 123" not in everything


@pytest.mark.parametrize("after, masked", [("123", "[security code removed]"), ("4567.", "[security code removed]"),
                                           ("12/27", "[expiry removed]"), ("what is 12 plus 30?", None)])
def test_a_security_code_or_expiry_sent_right_after_a_card_is_masked(gateway, after, masked) -> None:
    sender = f"after-{after}"
    _chat(gateway, sender, "card 4111 1111 1111 1111")
    echoed = _chat(gateway, sender, after)["replies"][-1]["text"]
    assert echoed == f"You said: {masked or after}", echoed


@pytest.mark.parametrize("pieces", [
    ["4111 1111", "1111 1111"],
    ["4111", "1111", "1111", "1111"],
    ["my card is 4111 1111 1111", "1111 ok?"],
])
def test_a_card_split_over_messages_is_masked_in_every_piece(gateway, log_lines, pieces) -> None:
    sender = "split-" + "-".join(str(len(p)) for p in pieces)
    for piece in pieces:
        _chat(gateway, sender, piece)
    _assert_nowhere(gateway, [], "4111111111111111", repr(pieces))
    last_metadata = gateway.gateway.rasa.received[-1][2]
    assert last_metadata.get("switchboard", {}).get("card_pieces") == len(pieces) - 1, last_metadata


def test_metadata_is_masked_recursively_before_rasa_sees_it(gateway, log_lines) -> None:
    metadata = {"page": {"form": ["4111-1111-1111-1111", {"pan": 5555555555554444}]}, "4111111111111111": "key"}
    _chat(gateway, "meta", "hello", metadata)
    sent = gateway.gateway.rasa.received[-1][2]
    text = json.dumps(sent)
    assert "4111" not in text.replace("[card ending 1111]", "") and "5555555555554444" not in text, sent
    assert sent["page"]["form"][1]["pan"] == "[card ending 4444]"


def test_a_client_cannot_set_the_gateways_own_metadata(gateway) -> None:
    _chat(gateway, "spoof", "hello", {"switchboard": {"card_pieces": 5}, "is_external": True})
    sent = gateway.gateway.rasa.received[-1][2]
    assert "is_external" not in sent, sent
    assert set(sent["switchboard"]) == {"message_id"}, sent  # the gateway's own id of the stored message


def test_a_card_number_as_the_sender_id_is_masked_and_the_conversation_continues(gateway, log_lines) -> None:
    first = _chat(gateway, "4111 1111 1111 1111", "hello")
    second = _chat(gateway, "4111 1111 1111 1111", "again")
    assert first["conversation_id"] == second["conversation_id"]
    _assert_nowhere(gateway, log_lines, "4111111111111111", "sender")


def test_a_card_number_is_refused_as_a_callback_phone(gateway) -> None:
    handoff = _chat(gateway, "callback-card", "I want a human")["handoff"]
    assert handoff and handoff["status"] == "queued"
    answer = gateway.run(gateway.gateway.call("POST", "/api/chat/leave-queue",
                                              {"sender": "callback-card", "callback_phone": "4111 1111 1111 1111"}))
    assert answer.status == 400 and answer.body["error"] == "card_number_refused", answer
    assert not any("4111 1111" in row for row in _stored(gateway))
    ok = gateway.run(gateway.gateway.call("POST", "/api/chat/leave-queue",
                                          {"sender": "callback-card", "callback_phone": "07700 900123"}))
    assert ok.status == 200 and ok.body["queue"] == "callback", ok


def test_agent_replies_notes_and_wrap_up_are_masked(gateway, log_lines) -> None:
    async def desk_work() -> None:
        g = gateway.gateway
        handoff = await g.queued("desk-cards")
        alice = await g.login("alice")
        await g.available(alice)
        assert (await g.call("POST", f"/api/handoffs/{handoff}/accept", token=alice)).status == 200
        for path, body in [("messages", {"text": "I have 5555-5555-5555-4444 on file"}),
                           ("notes", {"text": "customer read 4111 1111 1111 1111 exp 09/28 cvc 456"})]:
            answer = await g.call("POST", f"/api/handoffs/{handoff}/{path}", body, token=alice)
            assert answer.status == 201 and "5555-5555" not in answer.body["text"], answer
            assert "456" not in answer.body["text"] and "09/28" not in answer.body["text"], answer
        closed = await g.call("POST", f"/api/handoffs/{handoff}/close",
                              {"disposition": "resolved", "wrap_up": "paid with 3782 822463 10005"}, token=alice)
        assert closed.status == 200, closed

    gateway.run(desk_work())
    for card in ("5555555555554444", "4111111111111111", "378282246310005"):
        _assert_nowhere(gateway, log_lines, card, "desk")
    everything = "\n".join(_stored(gateway) + log_lines)
    assert "cvc 456" not in everything and "09/28" not in everything


@pytest.mark.parametrize("message", [
    "my account number is 100019021001803",
    "account 1000 1902 1001 803 please",
    "call me on +44 7700 900123 or 07700 900123",
    "my date of birth is 12/03/1985",
    "born 1985-03-12, phone +86 138 0013 8000",
    "+370 612 34567",
])
def test_what_the_flows_need_is_not_masked(gateway, message) -> None:
    body = _chat(gateway, "keep", message)
    assert [r["text"] for r in body["replies"]] == [f"You said: {message}"], body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data(), card=card_numbers())
def test_property_no_rendering_of_a_card_is_stored_forwarded_or_logged(gateway, log_lines, data, card) -> None:
    atoms, seps = data.draw(renderings(card))
    sender = f"prop-{uuid.uuid4().hex}"
    if len(atoms) > 1 and data.draw(st.booleans()):  # typed in two messages, split between digit groups
        cut = data.draw(st.integers(1, len(atoms) - 1))
        _chat(gateway, sender, joined((atoms[:cut], seps[:cut - 1])))
        atoms, seps = atoms[cut:], seps[cut:]
    written = joined((atoms, seps))
    _chat(gateway, sender, written, data.draw(st.sampled_from([None, {"note": written}])))
    _assert_nowhere(gateway, log_lines, card, written)
