"""Alembic environment: runs the gateway's migrations on the URL the caller passes in.

Several gateway instances may start at once on one PostgreSQL database (``make run-scaled``,
``docker compose up``): each takes the same advisory lock first, so one migrates and the
others then find the schema at head. SQLite is one instance's file and needs no lock.
"""

from alembic import context
from sqlalchemy import create_engine, text

from bot.db.models import Base

config = context.config

MIGRATION_LOCK = 0x5B0A_12  # pg_advisory_lock key: any constant the gateway alone uses


def run_migrations() -> None:
    """Run migrations online against ``config.attributes['sqlalchemy_url']``."""
    url = config.attributes.get("sqlalchemy_url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # A session lock: held until this connection closes (engine.dispose below).
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
