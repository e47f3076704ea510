"""The gateway on a real PostgreSQL server (Debian's ``postgresql``): migrations, the desk
flow, KPIs, and a restart that keeps the queue (``tests/postgres_support.py`` starts the server).
The concurrency of claims on PostgreSQL is tested with SQLite's in ``tests/test_desk_rules.py``."""

from __future__ import annotations

import subprocess

import pytest

from tests.gateway_harness import FakeRasa, running_gateway


@pytest.fixture
def postgres(postgres_server) -> str:
    """A fresh database on the session's PostgreSQL server."""
    return postgres_server.new_database("gateway")


def _psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-At", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


async def test_desk_flow_and_restart_on_postgresql(postgres: str, tmp_path) -> None:
    rasa = FakeRasa()
    async with running_gateway(tmp_path, database_url=postgres, rasa=rasa) as gateway:
        tables = _psql(postgres, "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
                                 "WHERE table_schema = 'public'")
        assert {"alembic_version", "agents", "conversations", "handoffs", "messages", "agent_sessions",
                "handoff_events"} <= set(tables.split(","))
        handoff_id = await gateway.queued("pg-customer", queue="general")

    # The queue survives a restart of the gateway, then the desk works it.
    rasa.down = True
    async with running_gateway(tmp_path, database_url=postgres, rasa=rasa) as gateway:
        alice = await gateway.login("alice")
        general = next(q for q in (await gateway.call("GET", "/api/queues", token=alice)).body["queues"]
                       if q["queue"] == "general")
        assert [w["id"] for w in general["waiting"]] == [handoff_id]
        await gateway.available(alice)
        assert (await gateway.call("POST", f"/api/handoffs/{handoff_id}/accept", token=alice)).status == 200
        sent = await gateway.call("POST", f"/api/handoffs/{handoff_id}/messages",
                                  {"text": "card 4111 1111 1111 1111 noted"}, token=alice)
        assert sent.status == 201 and sent.body["text"] == "card [card ending 1111] noted"
        closed = await gateway.call("POST", f"/api/handoffs/{handoff_id}/close", {"disposition": "resolved"}, token=alice)
        assert closed.status == 200 and closed.body["bot_replies"] == 1
        sam = await gateway.login("sam")
        kpis = await gateway.call("GET", "/api/supervisor/kpis?hours=1", token=sam)
        assert kpis.status == 200 and kpis.body["handoffs"] == 1 and kpis.body["first_contact_resolution_rate"] == 1.0
        stored = _psql(postgres, f"SELECT string_agg(text, ' | ') FROM messages m JOIN handoffs h "
                                 f"ON h.conversation_id = m.conversation_id WHERE h.id = {handoff_id}")
        assert "4111 1111" not in stored and "[card ending 1111]" in stored
        events = _psql(postgres, f"SELECT string_agg(transition, ',' ORDER BY id) FROM handoff_events "
                                 f"WHERE handoff_id = {handoff_id}")
        assert events == "queue,claim,close"
