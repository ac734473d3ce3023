"""The database a use case works on: the engine, its schema, and one unit of work.

A unit of work is one session that commits when the block succeeds and rolls back when it
raises (:func:`unit_of_work`); every use case that takes a ``session`` runs inside one, opened
by the front end, so a front end decides what is one transaction (one command, one request,
one task) and the use case never commits on its own.
"""

from __future__ import annotations

from sqlalchemy import Engine

from tracker import db
from tracker.errors import StorageError
from tracker.settings import Settings

#: one session per unit of work: ``with unit_of_work(engine) as session: ...``
unit_of_work = db.session_scope


def database(settings: Settings) -> Engine:
    """The engine of the database the settings name (one per URL and process)."""
    return db.engine_for(settings)


def init_database(settings: Settings) -> Engine:
    """Create the schema, or upgrade it to this version (``alembic upgrade head``); safe twice."""
    engine = database(settings)
    db.upgrade(engine)
    return engine


def ready_database(settings: Settings) -> Engine:
    """The engine, once its schema is this version's; else a one-line error saying what to run."""
    engine = database(settings)
    revisions = db.schema_revisions(engine)
    db.refuse_newer_schema(engine, revisions)
    if revisions != db.migration_heads():
        where = engine.url.render_as_string(hide_password=True)
        raise StorageError(
            f"the database {where} is not initialised or is older than this version; "
            "run `tracker init`"
        )
    return engine


def schema_is_current(engine: Engine) -> bool:
    """Whether the schema is this version's (the web app's health check)."""
    return db.schema_is_current(engine)
