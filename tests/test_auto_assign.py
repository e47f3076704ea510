"""Push assignment (``auto_assign: true`` in routing.yml) on a real gateway: work goes to a free
agent with the skill and language when they become available, and their desk is told."""

import json
import signal
import sqlite3

import pytest
import websockets

from tests.conftest import start_gateway
from tests.helpers import free_port, http, write_routing, ws_frames, ws_until


@pytest.fixture(scope="module")
def pushing_gateway(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gateway-auto-assign")
    routing = write_routing(tmp / "routing.yml", open_now=True, auto_assign=True)
    process, url = start_gateway(tmp, rasa_port=free_port(), extra={"SWITCHBOARD_ROUTING_FILE": str(routing)})
    yield {"url": url, "db": tmp / "gateway.db"}
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def _queue(db, conversation_id: str, queue: str, skill: str, language: str, senior: bool = False) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO conversations (id, channel, external_id, status, language, created_at, updated_at) "
            "VALUES (?, 'chat', ?, 'human', ?, datetime('now'), datetime('now'))",
            (conversation_id, conversation_id, language),
        )
        cursor = conn.execute(
            "INSERT INTO handoffs (conversation_id, status, reason, queue, language, priority, sla_seconds, "
            "context, routing, created_at) VALUES (?, 'queued', 'customer_request', ?, ?, 20, 120, '{}', ?, "
            "datetime('now'))",
            (conversation_id, queue, language, json.dumps({"skill": skill, "senior_required": senior, "open_sites": ["x"]})),
        )
        return cursor.lastrowid


async def test_becoming_available_pulls_in_matching_work(pushing_gateway) -> None:
    url, db = pushing_gateway["url"], pushing_gateway["db"]
    billing_en = _queue(db, "aa-billing-en", "billing", "billing", "en")
    complaint = _queue(db, "aa-complaint-en", "complaints", "complaints", "en")
    login = http("POST", f"{url}/api/auth/login", {"username": "alice", "password": "alice-demo-pass"})[1]
    auth = {"Authorization": f"Bearer {login['token']}"}
    async with websockets.connect(url.replace("http://", "ws://") + "/ws/desk") as desk:
        await desk.send(json.dumps({"type": "auth", "token": login["token"]}))
        await ws_frames(desk, 1)
        status, _ = http("PUT", f"{url}/api/me/presence", {"presence": "available"}, headers=auth)
        assert status == 200
        pushed = await ws_until(desk, lambda f: f["type"] == "assigned")
        assert pushed["handoff_id"] == billing_en
    status, mine = http("GET", f"{url}/api/me/handoffs", headers=auth)
    # Alice has no complaints skill, and complaints overflow to general only after 120 s.
    assert [h["id"] for h in mine["handoffs"]] == [billing_en]
    with sqlite3.connect(db) as conn:
        waiting = conn.execute("SELECT status FROM handoffs WHERE id = ?", (complaint,)).fetchone()[0]
        joined = conn.execute("SELECT text FROM messages WHERE conversation_id = 'aa-billing-en'").fetchall()
    assert joined == [("Alice Martin has joined the conversation.",)]
    assert waiting == "queued"


async def test_away_agents_get_nothing_pushed(pushing_gateway) -> None:
    url, db = pushing_gateway["url"], pushing_gateway["db"]
    login = http("POST", f"{url}/api/auth/login", {"username": "bogdan", "password": "bogdan-demo-pass"})[1]
    auth = {"Authorization": f"Bearer {login['token']}"}
    http("PUT", f"{url}/api/me/presence", {"presence": "away"}, headers=auth)
    technical = _queue(db, "aa-tech-ro", "technical", "technical", "ro")
    http("PUT", f"{url}/api/me/presence", {"presence": "away"}, headers=auth)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM handoffs WHERE id = ?", (technical,)).fetchone()[0] == "queued"
    http("PUT", f"{url}/api/me/presence", {"presence": "available"}, headers=auth)
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT status, agent_id FROM handoffs WHERE id = ?", (technical,)).fetchone()
    agent_id = http("GET", f"{url}/api/me", headers=auth)[1]["id"]
    assert row == ("assigned", agent_id)
