"""DATABASE_URL handling: SQLite by default, PostgreSQL through the URL."""

import pytest

from bot.db.engine import async_url, sync_url


def test_sqlite_drivers() -> None:
    assert async_url("sqlite:///var/x.db").drivername == "sqlite+aiosqlite"
    assert sync_url("sqlite:///var/x.db").drivername == "sqlite"


@pytest.mark.parametrize("url", ["postgresql://u:p@h/db", "postgres://u:p@h/db"])
def test_postgres_drivers(url: str) -> None:
    assert async_url(url).drivername == "postgresql+asyncpg"
    assert sync_url(url).drivername == "postgresql+psycopg2"
    assert async_url(url).database == "db"


def test_unsupported_database_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        async_url("mysql://u:p@h/db")


async def test_gateway_sqlite_database_uses_the_write_ahead_log(tmp_path) -> None:
    import sqlite3

    from bot.db.engine import create_engine, upgrade_schema

    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade_schema(url)
    assert sqlite3.connect(tmp_path / "gateway.db").execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        await engine.dispose()


async def test_a_transaction_that_read_first_still_writes_after_another_commits(tmp_path) -> None:
    """Two gateway write transactions that each read, then write, overlapping: both commit.

    Begun deferred in WAL mode, the first one's write would fail at once with "database is
    locked" once the second had committed after its read (CI saw it with six identical chat
    requests at once). Begun immediate, the second waits for the first.
    """
    import asyncio

    from sqlalchemy import text

    from bot.db.engine import create_engine, session_factory, upgrade_schema, write_transaction

    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade_schema(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with write_transaction(sessions) as setup:
            await setup.execute(text("CREATE TABLE notes (author TEXT)"))

        async def second() -> None:
            async with write_transaction(sessions) as session:
                await session.execute(text("SELECT count(*) FROM notes"))
                await session.execute(text("INSERT INTO notes VALUES ('second')"))

        async with write_transaction(sessions) as first:
            await first.execute(text("SELECT count(*) FROM notes"))
            other = asyncio.create_task(second())
            await asyncio.sleep(0.3)  # room for the second to commit, were it allowed to
            await first.execute(text("INSERT INTO notes VALUES ('first')"))
        await other
        async with sessions() as check:
            authors = (await check.execute(text("SELECT author FROM notes ORDER BY rowid"))).scalars().all()
        assert authors == ["first", "second"]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("kind", ["write", "read"])
async def test_a_transaction_cancelled_mid_statement_leaves_no_lock_behind(tmp_path, monkeypatch, kind) -> None:
    """A task cancelled while its statement runs (a client gone mid-turn) must not keep
    SQLite's write lock: CI saw every later write wait 30 s, then fail "database is locked"."""
    import asyncio
    import threading

    from sqlalchemy import event, text

    from bot.db import engine as engine_module

    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_S", 1.0)
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    engine_module.upgrade_schema(url)
    engine = engine_module.create_engine(url)
    sessions = engine_module.session_factory(engine)
    running, release = threading.Event(), threading.Event()

    def hold() -> int:
        running.set()
        release.wait(10)
        return 1

    event.listen(engine.sync_engine, "connect", lambda dbapi, _record: dbapi.create_function("hold", 0, hold))
    try:
        async with engine_module.write_transaction(sessions) as setup:
            await setup.execute(text("CREATE TABLE notes (author TEXT)"))

        async def interrupted() -> None:
            if kind == "write":
                async with engine_module.write_transaction(sessions) as session:
                    await session.execute(text("INSERT INTO notes VALUES ('cancelled')"))
                    await session.execute(text("SELECT hold()"))
            else:
                async with sessions() as session:
                    await session.execute(text("SELECT hold() FROM notes"))

        if kind == "read":
            async with engine_module.write_transaction(sessions) as session:
                await session.execute(text("INSERT INTO notes VALUES ('kept')"))
        task = asyncio.create_task(interrupted())
        assert await asyncio.to_thread(running.wait, 10), "the statement never started"
        task.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task

        async with engine_module.write_transaction(sessions) as session:  # within 1 s, or "database is locked"
            await session.execute(text("INSERT INTO notes VALUES ('after')"))
        async with sessions() as check:
            authors = (await check.execute(text("SELECT author FROM notes ORDER BY rowid"))).scalars().all()
        assert authors == (["after"] if kind == "write" else ["kept", "after"])
    finally:
        release.set()
        await engine.dispose()


async def test_a_database_locked_past_the_busy_timeout_is_a_503_with_nothing_stored(tmp_path, monkeypatch) -> None:
    import sqlite3

    from bot.db import engine as engine_module
    from tests.gateway_harness import running_gateway

    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_S", 0.5)
    async with running_gateway(tmp_path) as gateway:
        holder = sqlite3.connect(tmp_path / "gateway.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            answer = await gateway.call("POST", "/api/chat", {"sender": "locked-out", "message": "hello"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert answer.status == 503, answer
        assert answer.body["error"] == "database_busy"
        assert answer.headers.get("retry-after") == "2"
        history = await gateway.call("GET", "/api/chat/history?sender=locked-out")
        assert history.status == 404, f"the refused turn left a conversation behind: {history}"
        assert gateway.rasa.received == []
