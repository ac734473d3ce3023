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
import sqlite3
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from tracker.db import database_error
from tracker.ingest._rows import DriverRows, driver_rows
from tracker.models import Article, table_of

_BATCH = 500


def insert_articles(session: Session, rows: list[dict[str, Any]] | DriverRows) -> list[int]:
    """Inserts the rows that are new; returns their ids (the others conflict and are skipped).
    ``rows`` may come already converted for SQLite (:class:`~tracker.ingest._rows.DriverRows`)."""
    dialect = session.get_bind().dialect
    if dialect.name not in ("postgresql", "sqlite"):
        raise NotImplementedError(
            f"exactly-once storage needs ON CONFLICT; {dialect.name} is not supported"
        )
    if dialect.name == "sqlite":
        return sorted(
            _insert_sqlite(
                session.connection(), rows if isinstance(rows, DriverRows) else driver_rows(rows)
            )
        )
    if isinstance(rows, DriverRows):
        raise TypeError("rows converted for SQLite given to a PostgreSQL database")
    connection = session.connection()
    new_ids: list[int] = []
    for start in range(0, len(rows), _BATCH):
        new_ids.extend(
            connection.execute(_insert_statement(dialect.name), rows[start : start + _BATCH])
            .scalars()
            .all()
        )
    return sorted(new_ids)


@functools.lru_cache(maxsize=2)
def _insert_statement(dialect_name: str) -> Insert:
    """One cached ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, executed for many rows
    (SQLAlchemy batches them as multi-row statements: "insertmanyvalues")."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    table = table_of(Article)
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def _insert_sqlite(connection: Connection, rows: DriverRows) -> list[int]:
    """SQLite: the same statement as :func:`_insert_statement`, written once per shape and run
    through the driver's cursor with the values already converted (see ``DriverRows``), without
    SQLAlchemy's per-row bookkeeping, which was most of the insert's CPU time."""
    new_ids: list[int] = []
    driver = connection.connection.dbapi_connection
    assert driver is not None  # an open connection
    cursor = driver.cursor()  # inside the session's transaction
    try:
        for start in range(0, len(rows.values), _BATCH):
            batch = rows.values[start : start + _BATCH]
            cursor.execute(
                _sqlite_insert_sql(rows.columns, len(batch)),
                tuple(itertools.chain.from_iterable(batch)),
            )
            new_ids.extend(row[0] for row in cursor.fetchall())
    except sqlite3.Error as exc:  # the driver's own: SQLAlchemy is not in the way to wrap it
        raise database_error(exc) from exc
    finally:
        cursor.close()
    return new_ids


@functools.lru_cache(maxsize=64)
def _sqlite_insert_sql(columns: tuple[str, ...], count: int) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * count)
    return f"INSERT INTO article ({names}) VALUES {values} ON CONFLICT DO NOTHING RETURNING id"
