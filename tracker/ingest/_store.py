"""Storing entries exactly once, enforced by the database rather than by checks in Python.

The rows come from ``_rows`` (identity, story key, canonical URL, dates).
``uq_article_feed_identity`` makes the identity unique per feed, and the story key (canonical
URL + title) is unique across feeds.  Rows go in
with ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` (SQLite and PostgreSQL alike), so
two workers racing on one feed, or two feeds carrying one story, store it once, and the ids
returned are exactly the articles that are new.  The few rows that conflict on the story key
alone are settled afterwards (:func:`insert_articles`): linked as syndicated copies, or stored
as distinct items.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from typing import Any, NamedTuple

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from tracker.clock import utcnow
from tracker.db import database_error
from tracker.ingest._rows import DriverRows, driver_rows
from tracker.models import Article, ArticleFeed, table_of

_BATCH = 500


def insert_articles(session: Session, rows: list[dict[str, Any]] | DriverRows) -> list[int]:
    """Inserts the rows that are new; returns their ids.  ``rows`` may come already converted
    for SQLite (:class:`~tracker.ingest._rows.DriverRows`).

    A row that conflicts is either stored already (its feed and identity) or another feed's
    copy of a stored story (its story key): that copy is linked to the story's article
    (:class:`~tracker.models.ArticleFeed`), not stored again.  When the stored story belongs to
    the same feed under another guid (an item of the same link and title), the row is a
    distinct item and goes in without a story key; without two guids to tell them apart it is
    the same item (stored before identities took the title in: migration 0007)."""
    dialect = session.get_bind().dialect
    if dialect.name not in ("postgresql", "sqlite"):
        raise NotImplementedError(
            f"exactly-once storage needs ON CONFLICT; {dialect.name} is not supported"
        )
    table = _as_table(rows, dialect.name)
    inserted = _insert(session, table)
    new_ids = [row_id for row_id, _ in inserted]
    if len(inserted) < len(table):
        stored = {identity for _, identity in inserted}
        leftovers = [key for key in table.row_keys() if key.identity not in stored]
        again = _settle_conflicts(session, leftovers)
        if again:
            new_ids += [row_id for row_id, _ in _insert(session, table.without_story(again))]
    return sorted(new_ids)


class _RowKey(NamedTuple):
    feed_id: int
    identity: str
    story: str | None
    guid: str | None


_KEY_COLUMNS = _RowKey._fields


class _Table:
    """The rows of one insert, as dicts (PostgreSQL) or driver values (SQLite), with the keys
    that decide conflicts."""

    def __init__(self, rows: list[dict[str, Any]] | DriverRows) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows.values if isinstance(self.rows, DriverRows) else self.rows)

    def row_keys(self) -> list[_RowKey]:
        if isinstance(self.rows, DriverRows):
            columns = self.rows.columns
            at = [columns.index(name) for name in _KEY_COLUMNS]
            return [_RowKey(*(values[index] for index in at)) for values in self.rows.values]
        return [_RowKey(*(row[name] for name in _KEY_COLUMNS)) for row in self.rows]

    def without_story(self, identities: set[str]) -> _Table:
        """The rows of these identities, their story key left out."""
        if isinstance(self.rows, DriverRows):
            columns = self.rows.columns
            ident, story = columns.index("identity"), columns.index("story")
            values = [
                (*row[:story], None, *row[story + 1 :])
                for row in self.rows.values
                if row[ident] in identities
            ]
            return _Table(DriverRows(columns, values))
        return _Table(
            [{**row, "story": None} for row in self.rows if row["identity"] in identities]
        )


def _as_table(rows: list[dict[str, Any]] | DriverRows, dialect_name: str) -> _Table:
    if dialect_name == "sqlite":
        return _Table(rows if isinstance(rows, DriverRows) else driver_rows(rows))
    if isinstance(rows, DriverRows):
        raise TypeError("rows converted for SQLite given to a PostgreSQL database")
    return _Table(rows)


def _insert(session: Session, table: _Table) -> list[tuple[int, str]]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id, identity`` of every row."""
    if not len(table):
        return []
    if isinstance(table.rows, DriverRows):
        return _insert_sqlite(session.connection(), table.rows)
    connection = session.connection()
    inserted: list[tuple[int, str]] = []
    for start in range(0, len(table.rows), _BATCH):
        result = connection.execute(
            _insert_statement("postgresql"), table.rows[start : start + _BATCH]
        )
        inserted.extend((row[0], row[1]) for row in result)
    return inserted


def _settle_conflicts(session: Session, leftovers: list[_RowKey]) -> set[str]:
    """Links the rows that are copies of another feed's story to its article; returns the
    identities to insert again without a story key (distinct items of the story's own feed).
    Rows already stored under their own feed and identity need nothing."""
    article = table_of(Article)
    stored: set[tuple[int, str]] = set()
    for chunk in _chunks(leftovers):
        stored.update(
            (row[0], row[1])
            for row in session.connection().execute(
                select(article.c.feed_id, article.c.identity).where(
                    article.c.feed_id.in_({key.feed_id for key in chunk}),
                    article.c.identity.in_([key.identity for key in chunk]),
                )
            )
        )
    copies = [key for key in leftovers if (key.feed_id, key.identity) not in stored and key.story]
    owners: dict[str, tuple[int, int | None, str | None]] = {}
    for chunk in _chunks(copies):
        owners.update(
            (row[0], (row[1], row[2], row[3]))
            for row in session.connection().execute(
                select(article.c.story, article.c.id, article.c.feed_id, article.c.guid).where(
                    article.c.story.in_([key.story for key in chunk])
                )
            )
        )
    again, links = set(), []
    for key in copies:
        owner = owners.get(key.story or "")
        if owner is None:
            continue  # conflicted with a row that is gone again: the next poll stores it
        owner_id, owner_feed, owner_guid = owner
        if owner_feed != key.feed_id:
            links.append({"article_id": owner_id, "feed_id": key.feed_id, "seen_at": utcnow()})
        elif key.guid and owner_guid and key.guid != owner_guid:
            again.add(key.identity)  # two guids: two items, whatever their link and title
        # else: the same item, stored under the identity an older version of the rules gave it
    _link(session, links)
    return again


def _chunks(keys: list[_RowKey]) -> list[list[_RowKey]]:
    return [keys[start : start + _BATCH] for start in range(0, len(keys), _BATCH)]


def _link(session: Session, links: list[dict[str, Any]]) -> None:
    if not links:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.connection().execute(insert(table_of(ArticleFeed)).on_conflict_do_nothing(), links)


@functools.lru_cache(maxsize=2)
def _insert_statement(dialect_name: str) -> Insert:
    """One cached ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, executed for many rows
    (SQLAlchemy batches them as multi-row statements: "insertmanyvalues")."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    table = table_of(Article)
    return insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.identity)


def _insert_sqlite(connection: Connection, rows: DriverRows) -> list[tuple[int, str]]:
    """SQLite: the same statement as :func:`_insert_statement`, written once per shape and run
    through the driver's cursor with the values already converted (see ``DriverRows``), without
    SQLAlchemy's per-row bookkeeping, which was most of the insert's CPU time."""
    inserted: list[tuple[int, str]] = []
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
            inserted.extend((row[0], row[1]) for row in cursor.fetchall())
    except sqlite3.Error as exc:  # the driver's own: SQLAlchemy is not in the way to wrap it
        raise database_error(exc) from exc
    finally:
        cursor.close()
    return inserted


@functools.lru_cache(maxsize=64)
def _sqlite_insert_sql(columns: tuple[str, ...], count: int) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(["(" + ", ".join("?" * len(columns)) + ")"] * count)
    return (
        f"INSERT INTO article ({names}) VALUES {values} "
        "ON CONFLICT DO NOTHING RETURNING id, identity"
    )
