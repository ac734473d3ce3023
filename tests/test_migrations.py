"""The schema comes only from Alembic, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from tracker import db


def test_upgrade_creates_every_table_and_is_safe_twice(engine):
    db.upgrade(engine)  # a second `tracker init`
    tables = set(inspect(engine).get_table_names())
    assert {
        "source",
        "forecast",
        "forecast_tag",
        "probability_update",
        "resolution",
        "audit_log",
        "feed",
        "article",
        "task_run",
    } <= tables
    assert db.schema_is_current(engine)


def test_autogenerate_finds_no_difference_from_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_fresh_database_is_not_current(database_url):
    engine = db.make_engine(database_url)
    assert not db.schema_is_current(engine)
    engine.dispose()
