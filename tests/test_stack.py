"""The real stack end to end: ``python -m switchboard.stack`` (what ``make run`` starts),
then chat through ``POST /api/chat``, restart, and Ctrl-C with no orphans left."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Iterator

import pytest

from tests.helpers import http, processes_with_env, wait_until
from tests.stack_support import TOKEN, RunningStack, desk_login, launch

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("stack-data")


@pytest.fixture(scope="module")
def stack(model_path, data_dir, tmp_path_factory) -> Iterator[RunningStack]:
    running = launch(data_dir, tmp_path_factory.mktemp("logs") / "stack.log")
    yield running
    if running.process.poll() is None:
        running.interrupt()


def test_standard_inbound_with_survey(stack: RunningStack) -> None:
    assert "How can I help you today?" in stack.texts("alice", "hello")[0]
    replies = stack.texts("alice", "what are your opening hours?")
    assert "Monday to Friday" in replies[0]
    assert replies[-1] == "Is there anything else I can help you with?"
    replies = stack.texts("alice", "do you accept credit cards?")
    assert "direct debit" in replies[0]
    replies = stack.texts("alice", "no, that's all")
    assert replies[0] == "Thank you for contacting Northwind Connect."
    assert "from 1 (very unsatisfied) to 5" in replies[1]
    assert "comment" in stack.texts("alice", "4")[0]
    replies = stack.texts("alice", "very quick, thanks")
    assert replies == ["Thank you for your feedback!", "Thank you for contacting Northwind Connect. Goodbye!"]
    surveys = query(stack, "customers.db", "SELECT score, comment FROM surveys")
    assert (4, "very quick, thanks") in surveys


def query(stack: RunningStack, database: str, sql: str) -> list:
    """Read the stack's SQLite data directly, as an auditor would."""
    import sqlite3

    with sqlite3.connect(stack.data_dir / database) as db:
        return db.execute(sql).fetchall()


@pytest.mark.parametrize(
    "sender, greeting, question, expected",
    [
        ("fr-user", "Bonjour !", "Comment puis-je payer ma facture ?", "prélèvement"),
        ("ro-user", "Bună ziua", "Cum pot plăti factura?", "debit direct"),
        ("uk-user", "Добрий день", "Як я можу оплатити рахунок?", "банківським переказом"),
        ("lt-user", "Laba diena", "Kaip galiu apmokėti sąskaitą?", "tiesioginiu debetu"),
        ("zh-user", "你好", "话费可以用什么方式付？", "银行转账"),
    ],
)
def test_answers_in_the_customers_language(stack: RunningStack, sender, greeting, question, expected) -> None:
    greeting_reply = stack.texts(sender, greeting)[0]
    assert "Northwind Connect" in greeting_reply and "How can I help" not in greeting_reply
    answer = stack.texts(sender, question)[0]
    assert expected in answer.lower() or expected in answer


def test_explicit_language_switch_wins(stack: RunningStack) -> None:
    stack.texts("switcher", "Bonjour, j'ai une question")
    assert stack.texts("switcher", "in English please")[0] == "Of course, let's continue in English."
    # Pinned: a French word later does not switch back.
    assert "Monday to Friday" in stack.texts("switcher", "horaires d'ouverture ?")[0]


def test_bill_needs_identity_first(stack: RunningStack) -> None:
    replies = stack.texts("bill-user", "how much is my bill?")
    assert replies[0] == "I understand you'd like to see your bill."
    assert "account number" in replies[1]
    assert "date of birth" in stack.texts("bill-user", "100019021001803")[0]
    replies = stack.texts("bill-user", "12 March 1985")
    assert replies[0] == "Thank you, Alex Morgan, you're verified."
    assert "Your current bill is €32.99 for your Fibre 500 plan" in replies[1]
    # Verified once per conversation: the next account question is answered directly.
    replies = stack.texts("bill-user", "and what is my balance?")
    assert replies[0] == "I understand you'd like to know your balance."
    assert replies[1].startswith("Your balance is €32.99.")


def test_three_failed_identity_attempts_reveal_nothing(stack: RunningStack) -> None:
    stack.texts("intruder", "what is my balance?")
    all_replies = []
    for day in (1, 2, 3):
        stack.texts("intruder", "100019021001803")
        all_replies += stack.texts("intruder", f"{day} January 1970")
    assert all_replies[-2].startswith("I'm sorry, I couldn't verify your identity")
    assert "put you through to a person" in all_replies[-1]
    assert not any("€" in reply or "Alex" in reply for reply in all_replies)


def test_late_payment_deferral_is_recorded(stack: RunningStack) -> None:
    stack.texts("late-user", "my payment will be late this month")
    stack.texts("late-user", "100020000000001")
    replies = stack.texts("late-user", "1 July 1990")
    assert "why the payment is late" in replies[-1]
    offer = stack.texts("late-user", "my card was blocked by the bank")[0]
    assert "I can move your due date" in offer
    confirmed = stack.texts("late-user", "yes please")[0]
    assert confirmed.startswith("Done: your new due date is")
    rows = query(
        stack, "customers.db",
        "SELECT kind, topic FROM tickets WHERE account_number = '100020000000001' AND kind = 'payment_arrangement'",
    )
    assert rows == [("payment_arrangement", "late_payment")]


def test_same_sender_keeps_one_conversation(stack: RunningStack) -> None:
    first = stack.chat("bob", "hi")["conversation_id"]
    second = stack.chat("bob", "when are you open?")["conversation_id"]
    other = stack.chat("carol", "hi")["conversation_id"]
    assert first == second != other


def test_request_human_queues_the_conversation_with_its_context(stack: RunningStack) -> None:
    stack.chat("dave", "what are your opening hours?")
    body = stack.chat("dave", "I want to talk to a human")
    assert "connect you with a member of our team" in body["replies"][0]["text"]
    handoff = body["handoff"]
    assert handoff["status"] == "queued" and handoff["queue"] == "general"
    assert handoff["reason"] == "customer_request"
    assert handoff["position"] >= 1 and handoff["estimated_wait_seconds"] > 0

    # While queued, messages are kept for the agent and not sent to Rasa.
    waiting = stack.chat("dave", "hello? are you there?")
    assert waiting["replies"] == [] and waiting["handoff"]["id"] == handoff["id"]
    status, tracker = http("GET", f"{stack.rasa}/conversations/{body['conversation_id']}/tracker?token={TOKEN}")
    assert "hello? are you there?" not in [e.get("text") for e in tracker["events"] if e["event"] == "user"]

    import json as _json

    (context,) = query(stack, "gateway.db", f"SELECT context FROM handoffs WHERE id = {handoff['id']}")[0:1]
    packet = _json.loads(context[0])
    assert packet["reason"] == "customer_request" and packet["channel"] == "chat" and packet["language"] == "en"
    assert [i["intent"] for i in packet["intents"]][:2] == ["faq/opening_hours", "request_human"]
    assert all(0 <= i["confidence"] <= 1 for i in packet["intents"])
    assert [m["text"] for m in packet["transcript"]][0] == "what are your opening hours?"
    assert packet["identity_verified"] is False and packet["customer"] is None
    assert "unverified customer, en: asked about faq/opening_hours, request_human" in packet["summary"]


def test_card_numbers_are_redacted_before_rasa_stores_them(stack: RunningStack) -> None:
    conversation = stack.chat("erin", "my card is 4111 1111 1111 1111")["conversation_id"]
    status, tracker = http("GET", f"{stack.rasa}/conversations/{conversation}/tracker?token={TOKEN}")
    assert status == 200
    user_texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert user_texts == ["my card is [card ending 1111]"]
    dump = str(tracker)
    assert "4111 1111 1111 1111" not in dump and "4111111111111111" not in dump


def test_rasa_api_needs_the_token(stack: RunningStack) -> None:
    status, _ = http("GET", f"{stack.rasa}/status")
    assert status == 401
    status, _ = http("GET", f"{stack.rasa}/status?token=wrong")
    assert status == 401
    status, body = http("GET", f"{stack.rasa}/status?token={TOKEN}")
    assert status == 200 and body["model_id"]


def test_troubleshooting_ends_with_a_booked_technician(stack: RunningStack) -> None:
    replies = stack.texts("tech-user", "my router is not working at all")
    assert "step by step" in replies[0]
    assert "What do you see?" in replies[-1]  # the device came from the message
    assert "Since when" in stack.texts("tech-user", "the light is red")[0]
    assert stack.texts("tech-user", "since this morning")[0].startswith("Step 1:")
    assert stack.texts("tech-user", "no")[0].startswith("Step 2:")
    assert stack.texts("tech-user", "no, still nothing")[0].startswith("Step 3:")
    body = stack.chat("tech-user", "no it didn't help")
    assert body["replies"][0]["text"].startswith("I'm sorry the steps didn't help. I've opened ticket NW-")
    assert len(body["replies"][1]["buttons"]) == 3
    booked = stack.texts("tech-user", "2")[0]
    assert booked.startswith("Done: a technician will visit on")
    assert query(stack, "customers.db", "SELECT count(*) FROM appointments") == [(1,)]


def test_angry_complaint_is_escalated_to_the_complaints_queue(stack: RunningStack) -> None:
    replies = stack.texts("angry-user", "This is UNACCEPTABLE, I want to complain!!")
    assert replies[0].startswith("I'm really sorry")
    assert "What is your complaint about?" in replies[1]
    stack.texts("angry-user", "billing")
    stack.texts("angry-user", "you charged me twice in October")
    stack.texts("angry-user", "a refund of the second charge")
    body = stack.chat("angry-user", "skip")
    texts = [r.get("text") for r in body["replies"]]
    assert texts[0].startswith("Thank you for explaining. I apologise")
    assert texts[1].startswith("I've registered your complaint as NW-")
    assert "marked your complaint as urgent" in texts[2]
    assert body["handoff"]["queue"] == "complaints"
    rows = query(stack, "customers.db", "SELECT kind, topic FROM tickets WHERE kind = 'complaint'")
    assert ("complaint", "billing") in rows


def test_agent_takes_over_then_the_bot_resumes_for_the_survey(stack: RunningStack) -> None:
    handoff = stack.chat("henry", "I need to speak to an agent")["handoff"]
    hid = handoff["id"]
    auth = desk_login(stack.gateway, "sam")
    status, queues = http("GET", f"{stack.gateway}/api/queues", headers=auth)
    general = next(q for q in queues["queues"] if q["queue"] == "general")
    assert hid in [w["id"] for w in general["waiting"]]
    assert http("POST", f"{stack.gateway}/api/handoffs/{hid}/accept", headers=auth)[0] == 200

    assert stack.chat("henry", "my bill looks wrong")["handoff"]["status"] == "assigned"
    status, sent = http("POST", f"{stack.gateway}/api/handoffs/{hid}/messages",
                        {"text": "Hi Henry, I'm looking at your bill now."}, headers=auth)
    assert status == 201
    other = http("POST", f"{stack.gateway}/api/auth/login", {"username": "bogdan", "password": "bogdan-demo-pass"})[1]
    status, _ = http("POST", f"{stack.gateway}/api/handoffs/{hid}/messages", {"text": "hi"},
                     headers={"Authorization": f"Bearer {other['token']}"})
    assert status == 403

    status, history = http("GET", f"{stack.gateway}/api/chat/history?sender=henry")
    roles_texts = [(m["role"], m["text"]) for m in history["messages"]]
    assert ("customer", "my bill looks wrong") in roles_texts
    assert ("agent", "Hi Henry, I'm looking at your bill now.") in roles_texts
    last_id = history["messages"][-1]["id"]

    status, closed = http("POST", f"{stack.gateway}/api/handoffs/{hid}/close",
                          {"disposition": "resolved", "wrap_up": "Explained the October charges."}, headers=auth)
    assert status == 200 and closed["bot_replies"] >= 2
    status, history = http("GET", f"{stack.gateway}/api/chat/history?sender=henry&after={last_id}")
    texts = [m["text"] for m in history["messages"]]
    assert texts[0] == "Thank you for contacting Northwind Connect."
    assert "from 1 (very unsatisfied) to 5" in texts[1]
    assert history["status"] == "bot"
    assert "comment" in stack.texts("henry", "5")[0]


def test_desk_bad_input_gets_clear_errors(stack: RunningStack) -> None:
    auth = desk_login(stack.gateway, "sam")
    hid = stack.chat("ivy", "agent please")["handoff"]["id"]
    status, body = http("POST", f"{stack.gateway}/api/handoffs/{hid}/close", {"disposition": "resolved"}, headers=auth)
    assert status == 409 and body["error"] == "not_assigned"
    http("POST", f"{stack.gateway}/api/handoffs/{hid}/accept", headers=auth)
    status, body = http("POST", f"{stack.gateway}/api/handoffs/{hid}/close", {"disposition": "maybe"}, headers=auth)
    assert status == 400 and "resolved" in body["message"]
    status, body = http("POST", f"{stack.gateway}/api/handoffs/{hid}/messages", {"text": ""}, headers=auth)
    assert status == 400 and body["error"] == "empty_field"
    status, body = http("GET", f"{stack.gateway}/api/chat/history?sender=ivy&after=abc")
    assert status == 400
    status, body = http("GET", f"{stack.gateway}/api/chat/history?sender=nobody-at-all")
    assert status == 404


# Runs last: it stops the module's stack.
def test_restart_keeps_the_conversation_and_ctrl_c_leaves_no_orphans(
    stack: RunningStack, data_dir: Path, tmp_path_factory
) -> None:
    before = stack.chat("frank", "hello")["conversation_id"]
    stack.chat("frank", "how can I pay?")
    queued = stack.chat("grace", "let me talk to a person")["handoff"]
    assert processes_with_env("SWITCHBOARD_DATA_DIR", str(data_dir))

    stack.assert_stops_cleanly()
    assert "Stopped." in stack.log.read_text()
    assert wait_until(lambda: not processes_with_env("SWITCHBOARD_DATA_DIR", str(data_dir)), timeout=30)

    again = launch(data_dir, tmp_path_factory.mktemp("logs2") / "stack.log")
    try:
        after = again.chat("frank", "thanks")["conversation_id"]
        assert after == before
        status, tracker = http("GET", f"{again.rasa}/conversations/{after}/tracker?token={TOKEN}")
        assert status == 200
        user_texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert user_texts == ["hello", "how can I pay?", "thanks"]
        # The queued conversation kept its place and context across the restart.
        still = again.chat("grace", "still waiting")["handoff"]
        assert still["id"] == queued["id"] and still["status"] == "queued"
    except BaseException:
        again.interrupt()
        raise
    again.assert_stops_cleanly()
    assert wait_until(lambda: not processes_with_env("SWITCHBOARD_DATA_DIR", str(data_dir)), timeout=30)


# How each service shows in /proc/<pid>/cmdline.
SERVICE_COMMANDS = {"gateway": b"-m\x00bot\x00", "rasa": b"-m\x00switchboard.rasa_cli\x00run"}


@pytest.mark.parametrize("service", ["gateway", "rasa"])
def test_handoff_survives_kill_9(model_path, tmp_path_factory, service) -> None:
    data_dir = tmp_path_factory.mktemp(f"kill9-{service}-data")
    first = launch(data_dir, tmp_path_factory.mktemp("kill9-logs") / "stack.log")
    try:
        faq = first.chat("kim", "what are your opening hours?")
        queued = first.chat("kim", "I want to speak to a person")["handoff"]
        pids = [
            pid for pid in processes_with_env("SWITCHBOARD_DATA_DIR", str(data_dir))
            if SERVICE_COMMANDS[service] in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(pids) == 1
        os.kill(pids[0], signal.SIGKILL)
        # The launcher sees the service die, stops the rest and exits with an error.
        assert first.process.wait(timeout=60) == 1
        assert wait_until(lambda: not processes_with_env("SWITCHBOARD_DATA_DIR", str(data_dir)), timeout=30)
    finally:
        if first.process.poll() is None:
            first.interrupt()
    second = launch(data_dir, tmp_path_factory.mktemp("kill9-logs2") / "stack.log")
    try:
        still = second.chat("kim", "hello, still there?")["handoff"]
        assert still["id"] == queued["id"] and still["status"] == "queued" and still["queue"] == queued["queue"]
        assert still["position"] == queued["position"]
        status, login = http("POST", f"{second.gateway}/api/auth/login", {"username": "sam", "password": "sam-demo-pass"})
        status, detail = http("GET", f"{second.gateway}/api/handoffs/{queued['id']}",
                              headers={"Authorization": f"Bearer {login['token']}"})
        assert status == 200
        assert detail["context"]["transcript"][0]["text"] == "what are your opening hours?"
        assert detail["context"]["reason"] and detail["context"]["summary"]
    except BaseException:
        second.interrupt()  # stop it, and report the failure that happened inside the try
        raise
    second.assert_stops_cleanly()
    assert "Monday to Friday" in faq["replies"][0]["text"]
