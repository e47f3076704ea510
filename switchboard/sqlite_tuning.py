"""SQLite settings shared by the gateway's database and Rasa's tracker store.

Each chat turn commits in both. With SQLite's default rollback journal every commit waits
for two fsyncs, and a reader blocks the writer. In write-ahead-log mode with
``synchronous=NORMAL`` a commit still survives the process being killed (the tests kill
services with SIGKILL mid-conversation); only an OS crash or power loss can lose the last
commits, and readers no longer block the writer. PostgreSQL is the choice where that is
not acceptable (see README, "Scaling out").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def per_connection(dbapi_connection: Any, _record: Any) -> None:
    """The settings every new connection needs (a "connect" event listener)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")  # a per-connection setting
    cursor.close()


def tune(engine: Engine) -> None:
    """Put ``engine``'s database file in WAL mode (kept in the file) and set every new
    connection's sync level. A no-op for other databases."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    event.listen(engine, "connect", per_connection)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
