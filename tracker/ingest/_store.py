"""Storing entries exactly once, enforced by the database rather than by checks in Python.

The rows come from ``_rows`` (identity, canonical URL, dates).  ``uq_article_feed_identity``
makes the identity unique per feed, and the canonical URL (tracking parameters removed) is
unique across feeds.  Rows go in
with ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` (SQLite and PostgreSQL alike), so
two workers racing on one feed, or two feeds carrying one story, store it once, and the ids
returned are exactly the articles that are new.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

from sqlalchemy import Connection, Dialect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from tracker.models import Article

_BATCH = 500


def insert_articles(session: Session, rows: list[dict]) -> list[int]:
    """Inserts the rows that are new; returns their ids (the others conflict and are skipped)."""
    dialect = session.get_bind().dialect
    if dialect.name not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"exactly-once storage needs ON CONFLICT; {dialect.name} is not supported")
    if not rows:
        return []
    connection = session.connection()
    new_ids: list[int] = []
    for start in range(0, len(rows), _BATCH):
        batch = rows[start:start + _BATCH]
        if dialect.name == "sqlite":
            new_ids.extend(_insert_sqlite(connection, dialect, batch))
        else:
            new_ids.extend(connection.execute(_insert_statement(dialect.name), batch).scalars().all())
    return sorted(new_ids)


@functools.lru_cache(maxsize=2)
def _insert_statement(dialect_name: str) -> Insert:
    """One cached ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, executed for many rows
    (SQLAlchemy batches them as multi-row statements: "insertmanyvalues")."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    table = Article.__table__
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def _insert_sqlite(connection: Connection, dialect: Dialect, rows: list[dict]) -> list[int]:
    """SQLite: the same statement as :func:`_insert_statement`, written once per shape and run
    through the driver with values converted by SQLAlchemy's own bind processors (so they are
    stored exactly as the ORM stores them), without SQLAlchemy's per-row bookkeeping: it was
    most of the insert's CPU time.  Values go column by column, and a converted column converts
    each distinct value once (a poll's rows share their fetched time, flags and NULLs)."""
    columns = tuple(rows[0])
    values = [_bound_column([row[name] for row in rows], process) for name, process in
              _bind_processors(dialect, columns)]
    cursor = connection.connection.dbapi_connection.cursor()  # inside the session's transaction
    try:
        cursor.execute(_sqlite_insert_sql(columns, len(rows)), tuple(itertools.chain.from_iterable(zip(*values))))
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()


def _bound_column(values: list, process: Callable | None) -> list:
    if process is None:
        return values
    converted: dict = {}
    return [converted[value] if value in converted else converted.setdefault(value, process(value))
            for value in values]


@functools.lru_cache(maxsize=8)
def _bind_processors(dialect: Dialect, columns: tuple[str, ...]) -> list[tuple[str, Callable | None]]:
    """Each column's bind processor for ``dialect`` (e.g. UTCDateTime -> naive UTC -> SQLite text)."""
    types = [Article.__table__.c[name].type for name in columns]
    return [(name, type_.dialect_impl(dialect).bind_processor(dialect)) for name, type_ in zip(columns, types)]


@functools.lru_cache(maxsize=64)
def _sqlite_insert_sql(columns: tuple[str, ...], count: int) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * count)
    return f"INSERT INTO article ({names}) VALUES {values} ON CONFLICT DO NOTHING RETURNING id"
