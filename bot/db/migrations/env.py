"""Alembic environment: runs the gateway's migrations on the URL the caller passes in."""

from alembic import context
from sqlalchemy import create_engine

from bot.db.models import Base

config = context.config


def run_migrations() -> None:
    """Run migrations online against ``config.attributes['sqlalchemy_url']``."""
    url = config.attributes.get("sqlalchemy_url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
