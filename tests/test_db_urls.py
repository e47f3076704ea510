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
