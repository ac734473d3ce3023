"""Storing entries exactly once, enforced by the database rather than by checks in Python.

The rows come from ``_rows`` (identity, story key, canonical URL, dates).
``uq_article_feed_identity`` makes the identity unique per feed, and the story key (canonical
URL + title) is unique across feeds.  Rows go in
with ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` (SQLite and PostgreSQL alike), so
two workers racing on one feed, or two feeds carrying one story, store it once, and the ids
returned are exactly the articles that are new.  The few rows that conflict on the story key
alone are settled afterwards (:func:`insert_new_articles`): linked as syndicated copies, or stored
as distinct items.

A story is shared only by feeds of one publisher (``Article.publisher``: the server the rows
were fetched from).  A feed is free to name any link, so a row whose story is stored under
another publisher is stored as its own article: one feed naming ``reuters.example/a`` first can
neither take the place of Reuters' own article at that link nor have it counted for Reuters.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from typing import Any, NamedTuple

from sqlalchemy import Connection, select, update
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from tracker.clock import utcnow
from tracker.db import database_error, insert_with_conflicts, where
from tracker.ingest._rows import DriverRows, driver_rows
from tracker.models import Article, ArticleFeed, table_of
from tracker.urls import registered_domain

_BATCH = 500


def insert_new_articles(
    session: Session, rows: list[dict[str, Any]] | DriverRows
) -> dict[int, str]:
    """Inserts the rows that are new; returns their identities by the ids they got.  ``rows``
    may come already converted for SQLite (:class:`~tracker.ingest._rows.DriverRows`).

    A row that conflicts is either stored already (its feed and identity) or another feed's
    copy of a stored story (its story key): a copy from a feed of the same publisher is linked
    to the story's article (:class:`~tracker.models.ArticleFeed`), not stored again; another
    publisher's copy is its own article, counted for its own publisher: it goes in without a
    story key, unless the link is on its publisher's own domain and the stored one's is not (a
    feed that named the link first): then it takes the story key over, so that the publisher's
    other feeds find their own article, not the squatter's.  When the stored story belongs to
    the same feed under another guid (an item of the same link and title), the row is a
    distinct item and goes in without a story key; without two guids to tell them apart it is
    the same item (stored before identities took the title in: migration 0007)."""
    dialect = session.get_bind().dialect
    if dialect.name not in ("postgresql", "sqlite"):
        raise NotImplementedError(
            f"exactly-once storage needs ON CONFLICT; {dialect.name} is not supported"
        )
    table = _as_table(rows, dialect.name)
    inserted = dict(_insert(session, table))
    if len(inserted) < len(table):
        stored = set(inserted.values())
        leftovers = [key for key in table.row_keys() if key.identity not in stored]
        again, taken_over = _settle_conflicts(session, leftovers)
        if again:
            inserted.update(_insert(session, table.only(again, story=False)))
        if taken_over:
            took = dict(_insert(session, table.only(taken_over)))
            inserted.update(took)
            late = taken_over - set(took.values())  # a racing poller's same key
            if late:
                inserted.update(_insert(session, table.only(late, story=False)))
    return inserted


class _RowKey(NamedTuple):
    feed_id: int
    identity: str
    story: str | None
    guid: str | None
    publisher: str | None
    url: str | None


_KEY_COLUMNS = _RowKey._fields


class _Owner(NamedTuple):
    """The stored article holding a story key."""

    id: int
    feed_id: int | None
    guid: str | None
    publisher: str | None
    url: str | None


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
            at = [columns.index(name) if name in columns else None for name in _KEY_COLUMNS]
            return [
                _RowKey._make(None if index is None else values[index] for index in at)
                for values in self.rows.values
            ]
        return [_RowKey._make(row.get(name) for name in _KEY_COLUMNS) for row in self.rows]

    def only(self, identities: set[str], *, story: bool = True) -> _Table:
        """The rows of these identities (without ``story``: their story key left out)."""
        if isinstance(self.rows, DriverRows):
            columns = self.rows.columns
            ident, at = columns.index("identity"), columns.index("story")
            values = [
                row if story else (*row[:at], None, *row[at + 1 :])
                for row in self.rows.values
                if row[ident] in identities
            ]
            return _Table(DriverRows(columns, values))
        return _Table(
            [
                row if story else {**row, "story": None}
                for row in self.rows
                if row["identity"] in identities
            ]
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


def _settle_conflicts(session: Session, leftovers: list[_RowKey]) -> tuple[set[str], set[str]]:
    """Links the rows that are copies of another feed's story to its article; returns the
    identities to insert again without a story key (distinct items of the story's own feed,
    other publishers' copies), and those to insert again with it (a publisher's own link, whose
    key another publisher's feed held: released here).  Rows already stored under their own feed
    and identity need nothing."""
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
    owners: dict[str, _Owner] = {}
    for chunk in _chunks(copies):
        owners.update(
            (row[0], _Owner(*row[1:]))
            for row in session.connection().execute(
                select(
                    article.c.story,
                    article.c.id,
                    article.c.feed_id,
                    article.c.guid,
                    article.c.publisher,
                    article.c.url,
                ).where(article.c.story.in_([key.story for key in chunk]))
            )
        )
    again, taken_over, released, links = set(), set(), [], []
    for key in copies:
        owner = owners.get(key.story or "")
        if owner is None:
            continue  # conflicted with a row that is gone again: the next poll stores it
        owner_id, owner_feed, owner_guid, owner_publisher, owner_url = owner
        if owner_feed != key.feed_id and owner_publisher != key.publisher:
            # another publisher's copy: its own article, never displaced
            if _owns(key.publisher, key.url) and not _owns(owner_publisher, owner_url):
                taken_over.add(key.identity)
                released.append(owner_id)
            else:
                again.add(key.identity)
        elif owner_feed != key.feed_id:
            links.append({"article_id": owner_id, "feed_id": key.feed_id, "seen_at": utcnow()})
        elif key.guid and owner_guid and key.guid != owner_guid:
            again.add(key.identity)  # two guids: two items, whatever their link and title
        # else: the same item, stored under the identity an older version of the rules gave it
    _link(session, links)
    if released:
        session.connection().execute(
            update(article).where(article.c.id.in_(released)).values(story=None)
        )
    return again, taken_over


def _owns(publisher: str | None, url: str | None) -> bool:
    """Whether ``url`` is on ``publisher``'s own domain."""
    return publisher is not None and registered_domain(url) == publisher


def _chunks(keys: list[_RowKey]) -> list[list[_RowKey]]:
    return [keys[start : start + _BATCH] for start in range(0, len(keys), _BATCH)]


def _link(session: Session, links: list[dict[str, Any]]) -> None:
    if not links:
        return
    insert = insert_with_conflicts(session.get_bind().dialect.name)
    session.connection().execute(insert(table_of(ArticleFeed)).on_conflict_do_nothing(), links)


@functools.lru_cache(maxsize=2)
def _insert_statement(dialect_name: str) -> Insert:
    """One cached ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, executed for many rows
    (SQLAlchemy batches them as multi-row statements: "insertmanyvalues")."""
    insert = insert_with_conflicts(dialect_name)
    table = table_of(Article)
    statement: Insert = insert(table).on_conflict_do_nothing()
    return statement.returning(table.c.id, table.c.identity)


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
        raise database_error(exc, where(connection.engine)) from exc
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
