"""The gateway on a real PostgreSQL server (Debian's ``postgresql``): migrations, the desk
flow, KPIs, and a restart that keeps the queue. The server is a throwaway cluster in a
temporary folder, on a free port, owned by the ``postgres`` system user."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import start_gateway
from tests.helpers import free_port, http, wait_until

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def _as_postgres(args: list, **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + args, check=True, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    if PG_BIN is None:
        pytest.fail("PostgreSQL is not installed: run `make setup-test` (it installs Debian's postgresql)")
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="switchboard-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"])
    _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "pg.log"), "-w", "start",
                  "-o", f"-p {port} -k {base} -h 127.0.0.1 -c fsync=off"])
    _as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "switchboard"])
    yield f"postgresql://postgres@127.0.0.1:{port}/switchboard"
    _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
    shutil.rmtree(base, ignore_errors=True)


def _psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-At", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def test_desk_flow_and_restart_on_postgresql(postgres: str, tmp_path) -> None:
    process, url = start_gateway(tmp_path, rasa_port=free_port(), extra={"DATABASE_URL": postgres})
    try:
        tables = _psql(postgres, "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
                                 "WHERE table_schema = 'public'")
        assert {"alembic_version", "agents", "conversations", "handoffs", "messages", "agent_sessions"} <= set(tables.split(","))
        _psql(postgres, "INSERT INTO conversations (id, channel, external_id, status, language, created_at, updated_at) "
                        "VALUES ('pg-1', 'chat', 'pg-customer', 'human', 'en', now(), now())")
        handoff_id = int(_psql(postgres, (
            "INSERT INTO handoffs (conversation_id, status, reason, queue, language, priority, sla_seconds, context, "
            "routing, created_at) VALUES ('pg-1', 'queued', 'customer_request', 'general', 'en', 10, 300, "
            f"'{json.dumps({'summary': 'on postgres'})}', '{json.dumps({'skill': 'general'})}', now()) RETURNING id"
        )).splitlines()[0])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)

    # The queue survives a restart of the gateway, then the desk works it.
    process, url = start_gateway(tmp_path, rasa_port=free_port(), extra={"DATABASE_URL": postgres})
    try:
        login = http("POST", f"{url}/api/auth/login", {"username": "alice", "password": "alice-demo-pass"})[1]
        auth = {"Authorization": f"Bearer {login['token']}"}
        status, queues = http("GET", f"{url}/api/queues", headers=auth)
        general = next(q for q in queues["queues"] if q["queue"] == "general")
        assert [w["id"] for w in general["waiting"]] == [handoff_id]
        assert http("POST", f"{url}/api/handoffs/{handoff_id}/accept", headers=auth)[0] == 200
        status, sent = http("POST", f"{url}/api/handoffs/{handoff_id}/messages",
                            {"text": "card 4111 1111 1111 1111 noted"}, headers=auth)
        assert status == 201 and sent["text"] == "card [card ending 1111] noted"
        status, closed = http("POST", f"{url}/api/handoffs/{handoff_id}/close", {"disposition": "resolved"}, headers=auth)
        assert status == 200 and closed["bot_replies"] == 0  # Rasa is down here: closing still works
        sam = http("POST", f"{url}/api/auth/login", {"username": "sam", "password": "sam-demo-pass"})[1]
        status, kpis = http("GET", f"{url}/api/supervisor/kpis?hours=1",
                            headers={"Authorization": f"Bearer {sam['token']}"})
        assert status == 200 and kpis["handoffs"] == 1 and kpis["first_contact_resolution_rate"] == 1.0
        stored = _psql(postgres, "SELECT text FROM messages WHERE conversation_id = 'pg-1' AND role = 'agent'")
        assert "4111 1111" not in stored
        assert wait_until(lambda: http("GET", f"{url}/health")[1]["components"]["database"] == "up", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
