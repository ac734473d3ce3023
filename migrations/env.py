"""Alembic environment: the engine comes from ``tracker.db.upgrade`` or from the settings."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from tracker.db import make_engine
from tracker.search import is_search_table
from tracker.settings import Settings

target_metadata = SQLModel.metadata


def _engine():
    engine = context.config.attributes.get("engine")
    return engine if engine is not None else make_engine(Settings().resolved_database_url())


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """The search index's tables differ by engine and are made by plain DDL (migration 0016):
    autogenerate leaves them alone."""
    return not (type_ == "table" and is_search_table(name))


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table (copy, drop, rename): with foreign keys enforced,
            # dropping the old table would cascade to its children (articles' feed set NULL,
            # evidence deleted).  Off for the migration (a no-op inside a transaction, so first),
            # checked after it, on again before the connection goes back to the pool.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        before = context.get_context().get_current_heads()
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            # Checked only when a migration ran: the check reads every row of every table (16 s
            # at 5,000,000 evidence rows), and the web app upgrades on each start.
            ran = context.get_context().get_current_heads() != before
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all() if ran else []
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"the migration left rows without their parent: {broken[:5]}")


run_migrations_online()
