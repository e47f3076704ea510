"""The scaled topology through its real servers (``python -m switchboard.scaled``): a conversation
survives a SIGKILL of the gateway instance or the Rasa server serving it, mid-turn, with no
message lost or doubled; auto-assign on two gateways never assigns a conversation twice; and
Ctrl-C stops everything.

The kills are placed mid-turn without timing: the servers downstream of the victim are
stopped (SIGSTOP) so the turn is provably in the victim's hands (its message is stored, or its
action call is open), then the victim is killed and the others continued (SIGCONT).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from typing import Iterator, List

import pytest
import websockets

from tests.helpers import established_remote_ports, http, processes_with_env, wait_until, ws_until
from tests.stack_support import ScaledStack, desk_login, running_scaled

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def scaled(model_path) -> Iterator[ScaledStack]:
    with running_scaled(auto_assign=True) as running:
        yield running


def _customer_texts(stack: ScaledStack, sender: str) -> List[str]:
    return [m["text"] for m in stack.history(sender) if m["role"] == "customer"]


def _user_texts(stack: ScaledStack, conversation_id: str) -> List[str]:
    return [e["text"] for e in stack.tracker_events(conversation_id) if e["event"] == "user"]


def _signal_all(stack: ScaledStack, role: str, signum: int) -> None:
    for index in range(len(stack.ports[role])):
        os.kill(stack.pid(role, index), signum)


def _in_background(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _post_and_forget(stack: ScaledStack, sender: str, message: str, key: str, base: str) -> None:
    try:
        stack.chat(sender, message, key, base=base, timeout=120)
    except OSError:
        pass  # the instance serving it was killed: the client never got an answer


def test_a_gateway_killed_mid_turn_loses_and_doubles_nothing(scaled: ScaledStack) -> None:
    sender = "kill-gateway"
    first = scaled.chat_until_answered(sender, "hello", "g-1")
    gateway = scaled.instance_url("gateway", 0)
    victim = scaled.pid("gateway", 0)
    _signal_all(scaled, "rasa", signal.SIGSTOP)  # the turn will wait in the gateway for Rasa
    try:
        pending = _in_background(_post_and_forget, scaled, sender, "what are your opening hours?", "g-2", gateway)
        stored = wait_until(lambda: scaled.database(
            "SELECT 1 FROM chat_turns WHERE client_message_id = 'g-2' AND completed_at IS NULL"), timeout=60)
        os.kill(victim, signal.SIGKILL)
    finally:
        _signal_all(scaled, "rasa", signal.SIGCONT)
    pending.join(timeout=120)
    assert stored, f"the turn was never stored by {gateway}:\n{scaled.log_tail()}"

    retried = scaled.chat_until_answered(sender, "what are your opening hours?", "g-2")  # through nginx
    again = scaled.chat_until_answered(sender, "what are your opening hours?", "g-2")
    after = scaled.chat_until_answered(sender, "thanks", "g-3")

    assert retried["conversation_id"] == first["conversation_id"] == after["conversation_id"]
    assert "Monday to Friday" in retried["replies"][0]["text"], retried
    assert again == retried
    assert _customer_texts(scaled, sender) == ["hello", "what are your opening hours?", "thanks"]
    bot = [m["text"] for m in scaled.history(sender) if m["role"] == "bot"]
    assert sum("Monday to Friday" in (text or "") for text in bot) == 1, bot
    assert _user_texts(scaled, first["conversation_id"]) == ["hello", "what are your opening hours?", "thanks"]
    # The supervisor started the killed instance again.
    assert wait_until(lambda: http("GET", f"{gateway}/health", timeout=5)[0] == 200, timeout=120), scaled.log_tail()
    assert victim != scaled.pid("gateway", 0)


def _rasa_calling_actions(stack: ScaledStack) -> List[int]:
    """Indexes of the Rasa servers with a call open to the action servers' balancer."""
    action_lb = stack.ports["action_lb"][0]
    return [i for i in range(len(stack.ports["rasa"])) if action_lb in established_remote_ports(stack.pid("rasa", i))]


def test_a_rasa_server_killed_mid_turn_loses_and_doubles_nothing(scaled: ScaledStack) -> None:
    sender = "kill-rasa"
    first = scaled.chat_until_answered(sender, "what are your opening hours?", "r-1")
    _signal_all(scaled, "actions", signal.SIGSTOP)  # "hello" runs action_greet: Rasa waits for it
    try:
        pending = _in_background(_post_and_forget, scaled, sender, "hello", "r-2", scaled.public)
        holders: List[int] = []

        def one_rasa_holds_the_turn() -> bool:
            holders[:] = _rasa_calling_actions(scaled)
            return len(holders) == 1

        victim = scaled.pid("rasa", holders[0]) if wait_until(one_rasa_holds_the_turn, timeout=60) else None
        if victim is not None:
            os.kill(victim, signal.SIGKILL)
    finally:
        _signal_all(scaled, "actions", signal.SIGCONT)
    pending.join(timeout=120)
    assert victim is not None, f"no Rasa server was seen calling the action servers:\n{scaled.log_tail()}"

    # The other Rasa server takes the conversation once the dead one's lock expires (Redis);
    # the gateway answered the first request 503, the client sends it again.
    retried = scaled.chat_until_answered(sender, "hello", "r-2")
    after = scaled.chat_until_answered(sender, "what are your opening hours?", "r-3")

    assert retried["conversation_id"] == first["conversation_id"] == after["conversation_id"]
    assert retried["replies"] and "Monday to Friday" in after["replies"][0]["text"], (retried, after)
    assert _customer_texts(scaled, sender) == ["what are your opening hours?", "hello", "what are your opening hours?"]
    assert _user_texts(scaled, first["conversation_id"]) == [
        "what are your opening hours?", "hello", "what are your opening hours?"]
    assert wait_until(lambda: "rasa-%d is ready again." % (holders[0] + 1) in scaled.log.read_text(), timeout=300), \
        scaled.log_tail()


def _ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


def _message(role: str, text: str = ""):
    return lambda f: f["type"] == "message" and f["role"] == role and text in (f.get("text") or "")


async def test_websockets_on_two_gateways_see_each_others_events_in_order(scaled: ScaledStack) -> None:
    """The customer's socket is on gateway-1, the agent works through gateway-2 (Redis pub/sub)."""
    customer_gateway, agent_gateway = (scaled.instance_url("gateway", i) for i in range(2))
    sam = desk_login(agent_gateway, "sam")  # the only agent available: auto-assign gives it to sam
    token = sam["Authorization"].removeprefix("Bearer ")
    async with websockets.connect(_ws_url(customer_gateway, "/ws/chat?sender=two-sockets")) as customer, \
            websockets.connect(_ws_url(agent_gateway, "/ws/desk")) as desk:
        await ws_until(customer, lambda f: f["type"] == "ready")
        await desk.send(json.dumps({"type": "auth", "token": token}))
        await ws_until(desk, lambda f: f["type"] == "ready")

        await customer.send(json.dumps({"type": "message", "text": "I want to speak to a person"}))
        assigned = await ws_until(customer, lambda f: f["type"] == "handoff" and f["status"] == "assigned")
        handoff = assigned["id"]
        replies = [f"Reply {n} through the other gateway" for n in range(5)]
        for text in replies:
            status, body = http("POST", f"{agent_gateway}/api/handoffs/{handoff}/messages", {"text": text}, headers=sam)
            assert status == 201, body
        got = [(await ws_until(customer, _message("agent")))["text"] for _ in replies]
        assert got == replies, "the agent's messages reached the customer's socket on the other gateway in order"

        await customer.send(json.dumps({"type": "message", "text": "thanks, that works"}))
        seen = await ws_until(desk, _message("customer", "thanks"))
        assert seen["handoff_id"] == handoff and seen["text"] == "thanks, that works"
    status, body = http("POST", f"{agent_gateway}/api/handoffs/{handoff}/close",
                        {"disposition": "resolved", "wrap_up": "scaled test"}, headers=sam)
    assert status == 200, body  # sam is free again for the next test


AGENTS = ("alice", "bogdan", "mei")  # general queue, English, capacity 2 each (content/agents.yml)
HANDOFFS = 10


def test_auto_assign_on_two_gateways_never_assigns_a_conversation_twice(scaled: ScaledStack) -> None:
    senders = [f"queue-{i}" for i in range(HANDOFFS)]
    handoffs = []
    for sender in senders:
        answer = scaled.chat_until_answered(sender, "I want to speak to a person", f"{sender}-1")
        assert answer["handoff"] and answer["handoff"]["status"] == "queued", answer
        handoffs.append(answer["handoff"]["id"])
    gateways = [scaled.instance_url("gateway", i) for i in range(2)]
    logins = {name: desk_login(gateways[0], name, available=False) for name in AGENTS}

    # Every agent becomes available on both gateways at once: each request runs auto-assign on
    # its instance, racing the other instance for the same queued conversations.
    barrier = threading.Barrier(len(AGENTS) * len(gateways))
    answers: List[tuple] = []

    def available(gateway: str, name: str) -> None:
        barrier.wait()
        answers.append(http("PUT", f"{gateway}/api/me/presence", {"presence": "available"}, headers=logins[name]))

    threads = [_in_background(available, gateway, name) for gateway in gateways for name in AGENTS]
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in answers] == [200] * len(threads), answers

    claims = scaled.database(
        "SELECT handoff_id, count(*) FROM handoff_events WHERE transition = 'claim' AND handoff_id = ANY(%s) "
        "GROUP BY handoff_id", handoffs)
    states = dict(scaled.database("SELECT id, status FROM handoffs WHERE id = ANY(%s)", handoffs))
    load = scaled.database(
        "SELECT a.username, a.capacity, count(h.id) FROM agents a JOIN handoffs h ON h.agent_id = a.id "
        "AND h.status = 'assigned' GROUP BY a.username, a.capacity")
    joined = scaled.database(
        "SELECT h.id, count(m.id) FROM handoffs h JOIN messages m ON m.conversation_id = h.conversation_id "
        "AND m.text LIKE '%%has joined the conversation.' WHERE h.id = ANY(%s) GROUP BY h.id", handoffs)

    assert all(count == 1 for _handoff, count in claims), claims
    assert {h for h, _count in claims} == {h for h, status in states.items() if status == "assigned"}, (claims, states)
    assert all(count == 1 for _handoff, count in joined), joined
    assert all(assigned <= capacity for _name, capacity, assigned in load), load
    assert claims, f"nothing was assigned:\n{scaled.log_tail()}"


def test_ctrl_c_stops_everything(scaled: ScaledStack) -> None:
    code = scaled.interrupt()
    assert code == 0, f"the scaled topology exited with {code} on Ctrl-C:\n{scaled.log_tail()}"
    assert wait_until(lambda: not processes_with_env("SWITCHBOARD_DATA_DIR", str(scaled.data_dir)), timeout=30)
