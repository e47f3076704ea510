"""Handoff through the real stack over the live channels: the customer websocket, the desk
websocket and the desk API, then the supervisor's view. Also the out-of-hours path."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
import websockets

from tests.helpers import http, ws_frames, ws_until
from tests.stack_support import RunningStack, desk_login, running_stack

pytestmark = pytest.mark.stack

ACCOUNT = "100019021001803"


def _ws(stack: RunningStack, path: str) -> str:
    return stack.gateway.replace("http://", "ws://") + path


def _login(stack: RunningStack, username: str) -> dict:
    return desk_login(stack.gateway, username)


@pytest.fixture(scope="module")
def live(model_path, tmp_path_factory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("live-data"), open_now=True) as running:
        yield running


@pytest.fixture(scope="module")
def closed(model_path, tmp_path_factory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("closed-data"), open_now=False) as running:
        yield running


async def say(ws, text: str) -> None:
    await ws.send(json.dumps({"type": "message", "text": text}))


def is_message(role: str, contains: str = ""):
    return lambda f: f["type"] == "message" and f["role"] == role and contains in (f.get("text") or "")


async def test_chat_to_agent_and_back_to_the_bot_for_the_survey(live: RunningStack) -> None:
    async with websockets.connect(_ws(live, "/ws/chat?sender=live-ana")) as customer:
        assert (await ws_frames(customer, 1))[0]["type"] == "ready"
        await say(customer, "hello")
        await ws_until(customer, is_message("bot"))
        await say(customer, "I want to talk to a human")
        queued = await ws_until(customer, lambda f: f["type"] == "queue")
        assert queued["status"] == "queued" and queued["queue"] == "general" and queued["position"] >= 1

        alice = _login(live, "alice")
        async with websockets.connect(_ws(live, "/ws/desk")) as desk:
            await desk.send(json.dumps({"type": "auth", "token": alice["Authorization"].split()[1]}))
            assert (await ws_frames(desk, 1))[0]["type"] == "ready"
            status, taken = http("POST", f"{live.gateway}/api/queues/next", headers=alice)
            assert status == 200 and taken["id"] == queued["id"]
            assert (await ws_until(desk, lambda f: f["type"] == "assigned"))["handoff_id"] == queued["id"]
            # Frames come in the order things happened: who joined, then the status change.
            await ws_until(customer, is_message("bot", "Alice Martin has joined"))
            await ws_until(customer, lambda f: f["type"] == "handoff" and f["status"] == "assigned")

            # The context packet carries what the bot learned.
            status, detail = http("GET", f"{live.gateway}/api/handoffs/{queued['id']}", headers=alice)
            context = detail["context"]
            assert context["channel"] == "chat" and context["language"] == "en"
            assert [m["text"] for m in context["transcript"] if m["role"] == "customer"] == ["hello", "I want to talk to a human"]
            assert any(i["intent"] == "request_human" for i in context["intents"])

            await desk.send(json.dumps({"type": "watch", "handoff_id": queued["id"]}))
            await customer.send(json.dumps({"type": "typing"}))
            assert (await ws_until(desk, lambda f: f["type"] == "typing"))["role"] == "customer"
            await say(customer, "my router keeps dropping the connection")
            got = await ws_until(desk, is_message("customer"))
            assert got["text"] == "my router keeps dropping the connection"

            assert http("POST", f"{live.gateway}/api/handoffs/{queued['id']}/typing", headers=alice)[0] == 200
            assert (await ws_until(customer, lambda f: f["type"] == "typing"))["role"] == "agent"
            status, _ = http("POST", f"{live.gateway}/api/handoffs/{queued['id']}/messages",
                             {"text": "Sorry about that, let me check the line."}, headers=alice)
            assert status == 201
            reply = await ws_until(customer, is_message("agent"))
            assert reply["text"] == "Sorry about that, let me check the line." and reply["agent"] == "Alice Martin"

            status, closed = http("POST", f"{live.gateway}/api/handoffs/{queued['id']}/close",
                                  {"disposition": "resolved", "wrap_up": "Line reset."}, headers=alice)
            assert status == 200
            await ws_until(customer, lambda f: f["type"] == "handoff" and f["status"] == "closed")
            survey = await ws_until(customer, is_message("bot", "from 1 (very unsatisfied) to 5"))
            assert survey["buttons"]
        await say(customer, "5")
        assert "comment" in (await ws_until(customer, is_message("bot")))["text"]


def _complain(stack: RunningStack, sender: str, opening: str, description: str) -> dict:
    stack.chat(sender, opening)
    stack.chat(sender, "billing")
    stack.chat(sender, description)
    stack.chat(sender, "a refund")
    return stack.chat(sender, ACCOUNT)


async def test_angry_repeat_complaint_goes_to_the_complaints_queue_first(live: RunningStack) -> None:
    first = _complain(live, "live-rita-1", "I want to make a complaint", "I was charged twice in October")
    assert first["handoff"] is None  # a first, calm complaint is a ticket, not an escalation
    # A day later she writes again, angry, about the same topic: repeat + anger.
    body = _complain(live, "live-rita-2", "This is ridiculous, I am furious, I want to complain AGAIN",
                     "you charged me twice AGAIN")
    handoff = body["handoff"]
    assert handoff["queue"] == "complaints"

    sam = _login(live, "sam")
    status, overview = http("GET", f"{live.gateway}/api/supervisor/overview", headers=sam)
    flagged = next(e for e in overview["escalations"] if e["id"] == handoff["id"])
    assert "repeat_complaint" in flagged["reasons"] and flagged["score"] >= 0.5
    complaints = next(q for q in overview["queues"] if q["queue"] == "complaints")
    assert complaints["waiting"] >= 1 and complaints["sla_seconds"] == 90

    mei = _login(live, "mei")
    http("PUT", f"{live.gateway}/api/me/presence", {"presence": "available"}, headers=mei)
    status, taken = http("POST", f"{live.gateway}/api/queues/next", headers=mei)
    assert taken["id"] == handoff["id"] and taken["queue"] == "complaints"
    status, detail = http("GET", f"{live.gateway}/api/handoffs/{handoff['id']}", headers=mei)
    assert detail["context"]["escalation"]["escalated"] is True
    assert detail["priority"] > 30  # boosted above an ordinary complaint

    async with websockets.connect(_ws(live, "/ws/chat?sender=live-rita-2")) as customer:
        await ws_frames(customer, 1)
        http("POST", f"{live.gateway}/api/handoffs/{handoff['id']}/messages",
             {"text": "I'm very sorry, I'm refunding the second charge now."}, headers=mei)
        assert "refunding" in (await ws_until(customer, is_message("agent")))["text"]
        await say(customer, "thank you")
    status, _ = http("POST", f"{live.gateway}/api/handoffs/{handoff['id']}/close",
                     {"disposition": "resolved", "wrap_up": "Refunded duplicate charge."}, headers=mei)
    assert status == 200
    status, kpis = http("GET", f"{live.gateway}/api/supervisor/kpis?hours=1", headers=sam)
    assert kpis["handoffs"] >= 1 and kpis["average_handle_seconds"] is not None


def test_hand_back_to_the_bot(live: RunningStack) -> None:
    handoff = live.chat("live-hugo", "can I speak to a person please")["handoff"]
    alice = _login(live, "alice")
    assert http("POST", f"{live.gateway}/api/handoffs/{handoff['id']}/accept", headers=alice)[0] == 200
    status, body = http("POST", f"{live.gateway}/api/handoffs/{handoff['id']}/handback", headers=alice)
    assert status == 200 and body["status"] == "handed_back"
    texts = live.texts("live-hugo", "what are your opening hours?")
    assert "Monday to Friday" in texts[0]  # Rasa answers again


def test_out_of_hours_ends_in_a_callback_ticket(closed: RunningStack) -> None:
    body = closed.chat("night-owl", "I want to speak to a person")
    handoff = body["handoff"]
    assert handoff["queue"] == "callback" and handoff["open"] is False
    assert "closed right now" in body["replies"][-1]["text"]
    left = closed.chat("night-owl", "Please call me about my broken router")
    assert "message is saved" in left["replies"][0]["text"]
    status, moved = http("POST", f"{closed.gateway}/api/chat/leave-queue",
                         {"sender": "night-owl", "callback_phone": "+44 20 7946 0018"})
    assert status == 200 and moved["queue"] == "callback" and moved["status"] == "queued"

    sam = _login(closed, "sam")
    status, detail = http("GET", f"{closed.gateway}/api/handoffs/{handoff['id']}", headers=sam)
    assert detail["routing"]["after_hours"] is True
    assert detail["context"]["callback_phone"] == "+442079460018"  # normalised to E.164 for the dialler
    assert detail["context"]["message_left"] is True
    status, messages = http("GET", f"{closed.gateway}/api/handoffs/{handoff['id']}/messages", headers=sam)
    assert "Please call me about my broken router" in [m["text"] for m in messages["messages"]]
    status, queues = http("GET", f"{closed.gateway}/api/queues", headers=sam)
    callback = next(q for q in queues["queues"] if q["queue"] == "callback")
    assert handoff["id"] in [w["id"] for w in callback["waiting"]]


async def test_french_out_of_hours_notice_is_in_french(closed: RunningStack) -> None:
    body = closed.chat("nuit", "Bonjour, je voudrais parler à un conseiller s'il vous plaît")
    assert body["handoff"]["queue"] == "callback"
    assert "fermée" in body["replies"][-1]["text"]
