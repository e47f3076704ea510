"""Database URLs, the async engine the gateway uses, and running migrations."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool

from switchboard import sqlite_tuning

logger = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations"

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg2"}


def _backend(url: URL) -> str:
    backend = url.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"DATABASE_URL: unsupported database {backend!r} (use sqlite or postgresql)")
    return backend


def async_url(database_url: str) -> URL:
    """The URL with an asyncio driver (aiosqlite or asyncpg)."""
    url = make_url(database_url)
    return url.set(drivername=_ASYNC_DRIVERS[_backend(url)])


def sync_url(database_url: str) -> URL:
    """The URL with a blocking driver, for Alembic."""
    url = make_url(database_url)
    return url.set(drivername=_SYNC_DRIVERS[_backend(url)])


def ensure_sqlite_dir(database_url: str) -> None:
    """Create the folder of a SQLite database file if it is missing."""
    url = make_url(database_url)
    if _backend(url) == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


SQLITE_BUSY_TIMEOUT_S = 30.0  # sqlite3's default of 5 s lost writes under load ("database is locked")


WRITES = "switchboard_writes"  # execution option: this connection's transaction will write


def create_engine(database_url: str) -> AsyncEngine:
    """The gateway's async engine; on SQLite, pooled connections whose write transactions
    (:func:`write_transaction`) take the write lock when they begin, waiting up to 30 s for another's."""
    url = make_url(async_url(database_url))
    if _backend(url) != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    # SQLAlchemy 1.4 gives aiosqlite no pool: every session opened a new connection and a new
    # thread to run it (a fifth of the gateway's time per chat turn). A local file needs no
    # liveness ping either.
    engine = create_async_engine(
        url, poolclass=AsyncAdaptedQueuePool, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}
    )
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    event.listen(engine.sync_engine.pool, "close", _sqlite_rollback_before_close)
    return engine


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    """The WAL settings, and no transaction begun by the driver: ``_sqlite_begin`` begins
    them (SQLAlchemy's recipe for SQLite transactions, aiosqlite dialect docs)."""
    sqlite_tuning.per_connection(dbapi_connection, record)
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    """Begin a write transaction holding SQLite's write lock; a read-only one deferred.

    A gateway write transaction reads, then writes. Begun deferred in WAL mode, its first
    write fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, no busy wait) when
    another connection committed after its first read: seen with six identical chat requests
    at once. Begun immediate, it waits (busy timeout) for the writer before it reads.

    Reads stay deferred: they never wait for a writer, and a read cancelled mid-statement (a
    websocket closed while its events were being screened) leaves behind, until the pool's
    connection is collected, a snapshot, not a lock that stopped every write (CI: 30 s later,
    "database is locked").
    """
    writes = connection.get_execution_options().get(WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _sqlite_rollback_before_close(dbapi_connection: Any, _record: Any) -> None:
    """End a connection's transaction before the pool closes it.

    A task cancelled mid-statement (a client gone during a chat turn) has its connection
    invalidated: closed, without the rollback a connection returned to the pool gets. SQLite
    keeps a connection closed while its cursor's statement is still referenced open as a
    zombie, transaction and write lock included, until that cursor is collected: every
    other write waited, then failed with "database is locked".
    """
    try:
        dbapi_connection.rollback()  # nothing to do outside a transaction
    except Exception:  # noqa: BLE001 - the connection is being discarded; closing must go on
        logger.warning("could not roll back a SQLite connection before closing it", exc_info=True)


def session_factory(engine: AsyncEngine) -> "sessionmaker[AsyncSession]":
    """Sessions that keep loaded objects usable after commit. Used as they are, for reads:
    their transaction is rolled back when they close. Writes go in :func:`write_transaction`."""
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def write_transaction(sessions: "sessionmaker[AsyncSession]") -> AsyncIterator[AsyncSession]:
    """A session in a transaction that commits when the block ends (rolls back on an error);
    on SQLite it holds the write lock from its first statement."""
    async with sessions() as session, session.begin():
        await session.connection(execution_options={WRITES: True})
        yield session


def upgrade_schema(database_url: str) -> None:
    """Bring the schema to the latest Alembic revision. Blocking: run it in an executor."""
    from alembic import command
    from alembic.config import Config

    ensure_sqlite_dir(database_url)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["sqlalchemy_url"] = sync_url(database_url)
    command.upgrade(config, "head")
    engine = sa_create_engine(sync_url(database_url))
    try:
        sqlite_tuning.tune(engine)  # WAL mode, kept in the file (the gateway's engine is async)
    finally:
        engine.dispose()
    logger.info("database schema is up to date")
