"""Alembic environment: the engine comes from ``tracker.db.upgrade`` or from the settings."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from tracker.db import make_engine
from tracker.settings import Settings

target_metadata = SQLModel.metadata


def _engine():
    engine = context.config.attributes.get("engine")
    return engine if engine is not None else make_engine(Settings().resolved_database_url())


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
