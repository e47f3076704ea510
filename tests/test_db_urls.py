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
