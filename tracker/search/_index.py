"""Writing the search index: kept in step by the use cases (:func:`index_articles`,
:func:`unindex_articles`, :func:`index_forecasts`), rebuilt whole by :func:`rebuild_index`.

Storage (migration 0016; docs/dev.md, "Search"):

- SQLite: contentless FTS5 tables ``article_fts`` (rowid = article id) and ``forecast_fts`` (rowid
  = ``forecast_search.key``); ``article_search`` holds each indexed article's date (the order of
  hits) and says which articles are in the index.  A contentless table forgets its text, so a row
  leaves it only by FTS5's ``'delete'`` command with the very values it was indexed with:
  :func:`unindex_articles` recomputes them from the stored article, so it must run *before* the
  article's text changes.  A forecast is re-indexed under a new key instead (its old entry is
  left behind, joined to nothing); a deleted article or forecast leaves an entry joined to
  nothing too.  Hits are always joined to live rows, and :func:`rebuild_index` drops the rest.
- PostgreSQL: ``article_search`` / ``forecast_search`` hold a weighted ``tsvector`` (GIN) built
  from a literal made in Python; their rows go with the article or forecast (FK cascade).
"""

from __future__ import annotations

import json
import multiprocessing
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text
from sqlmodel import Session

from tracker.clock import sqlite_text
from tracker.search._analyze import ANALYZER_VERSION
from tracker.search._document import (
    Fields,
    article_fields,
    article_index_values,
    forecast_fields,
    fts_values,
    tsvector_literal,
)

#: rows per batch when rebuilding
BATCH = 2_000
#: above this many rows a rebuild analyzes in a pool of processes
POOL_ABOVE = 20_000

#: (done, total) after each batch of a rebuild
Progress = Callable[[str, int, int], None]

_ARTICLE_COLUMNS = "a.id, a.title, a.summary, a.body, a.author, a.publisher, a.published_at"


def _connection(where: Session | Connection) -> Connection:
    return where.connection() if isinstance(where, Session) else where


def _is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


# --- articles -----------------------------------------------------------------------------------


def _article_row_fields(row: Sequence[Any]) -> Fields:
    return article_fields(row[1], row[2], row[3], row[4], row[5])


def _id_list(ids: Iterable[int]) -> str:
    """Article ids written into the statement: ``(3,5,8)``.  Integers (``int`` rejects anything
    else) cannot carry SQL, and a poll's two look-ups of 200 ids each spent more time in
    SQLAlchemy's expansion of ``IN :ids`` into 200 named parameters than in SQLite."""
    return f"({','.join(str(int(i)) for i in ids)})"


def _read_articles(connection: Connection, ids: list[int]) -> list[Sequence[Any]]:
    sql = f"SELECT {_ARTICLE_COLUMNS} FROM article a WHERE a.id IN {_id_list(ids)}"
    return [tuple(r) for r in connection.exec_driver_sql(sql)]


def _indexed_articles(connection: Connection, ids: list[int]) -> set[int]:
    sql = f"SELECT article_id FROM article_search WHERE article_id IN {_id_list(ids)}"
    return {int(r[0]) for r in connection.exec_driver_sql(sql)}


def index_articles(where: Session | Connection, article_ids: Iterable[int]) -> int:
    """Adds these articles to the index, as stored now (read back and analyzed here, in the
    caller's transaction); articles already in it are left as they are.  Returns how many were
    added.  A poll's new articles, analyzed before its transaction, go through
    :func:`index_new_articles` instead."""
    connection = _connection(where)
    added = 0
    for chunk in _chunked(sorted(set(article_ids)), BATCH):
        done = _indexed_articles(connection, chunk)
        unread = [i for i in chunk if i not in done]
        rows = _read_articles(connection, unread) if unread else []
        docs = _prepare_articles(_is_sqlite(connection), rows)
        _write_articles(connection, docs)
        added += len(docs)
    return added


def index_new_articles(where: Session | Connection, docs: Sequence[Prepared]) -> int:
    """Adds articles inserted in the caller's transaction, each given as (id, date as stored,
    index entry made from the very values inserted: :func:`~._document.article_index_values`,
    which a poll's parse worker runs before any write lock is taken).  Nothing is read back: an
    article inserted in this transaction is in no index yet (an ``article_search`` row goes
    with its article, by FK cascade), and its text and date are the caller's.  Returns how many
    were added."""
    connection = _connection(where)
    for chunk in _chunked(list(docs), BATCH):
        _write_articles(connection, chunk)
    return len(docs)


def unindex_articles(where: Session | Connection, article_ids: Iterable[int]) -> None:
    """Takes these articles out of the index: call it *before* their text changes, in the same
    transaction, then :func:`index_articles` after (see the module docstring)."""
    connection = _connection(where)
    for chunk in _chunked(sorted(set(article_ids)), BATCH):
        done = _indexed_articles(connection, chunk)
        if not done:
            continue
        if _is_sqlite(connection):
            rows = [r for r in _read_articles(connection, chunk) if r[0] in done]
            _sqlite_fts(
                connection,
                "article_fts",
                [(r[0], fts_values(_article_row_fields(r))) for r in rows],
                delete=True,
            )
        connection.exec_driver_sql(
            f"DELETE FROM article_search WHERE article_id IN {_id_list(sorted(done))}"
        )


#: an article ready to write: id, date, and its FTS5 values (SQLite) or tsvector literal
Prepared = tuple[int, Any, Any]


def _prepare_articles(sqlite: bool, rows: list[Sequence[Any]]) -> list[Prepared]:
    """The analysis of a batch, as the engine takes it (the work a rebuild's pool does)."""
    return [(r[0], r[6], article_index_values(sqlite, *r[1:6])) for r in rows]


def _write_articles(connection: Connection, docs: list[Prepared]) -> None:
    if not docs:
        return
    if _is_sqlite(connection):
        _sqlite_fts(connection, "article_fts", [(i, values) for i, _, values in docs])
        connection.exec_driver_sql(
            "INSERT INTO article_search (article_id, published_at) VALUES (?, ?)",
            [(i, _sqlite_time(at)) for i, at, _ in docs],
        )
    else:
        connection.exec_driver_sql(
            "INSERT INTO article_search (article_id, published_at, tsv, head_tsv) "
            "VALUES (%s, %s, CAST(%s AS tsvector), CAST(%s AS tsvector)) "
            "ON CONFLICT (article_id) DO UPDATE SET published_at = EXCLUDED.published_at, "
            "tsv = EXCLUDED.tsv, head_tsv = EXCLUDED.head_tsv",
            [(i, at, *values) for i, at, values in docs],
        )


#: the text SQLAlchemy (and a poll's converted rows) store a date as on SQLite
_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", re.ASCII)


def _sqlite_time(value: Any) -> str:
    """A date as SQLAlchemy stores it on SQLite (UTC, no zone, microseconds), whatever text
    the row holds, so that dates compare as text in the right order.  Text already in that
    form (every row a poll stores) is kept as it is, not parsed and formatted again for every
    row of the writer's index entries."""
    if isinstance(value, str) and _SQLITE_TIME.fullmatch(value):
        return value
    return sqlite_text(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _sqlite_fts(
    connection: Connection,
    table: str,
    docs: list[tuple[int, tuple[str, str, str]]],
    *,
    delete: bool = False,
) -> None:
    if not docs:
        return
    if delete:
        sql = (
            f"INSERT INTO {table} ({table}, rowid, title, lead, body) VALUES ('delete', ?, ?, ?, ?)"
        )
    else:
        sql = f"INSERT INTO {table} (rowid, title, lead, body) VALUES (?, ?, ?, ?)"
    connection.exec_driver_sql(sql, [(i, *values) for i, values in docs])


# --- forecasts ----------------------------------------------------------------------------------

_FORECAST_SELECT = (
    "SELECT f.id, f.question, f.quote, f.criteria, f.yes_when, f.no_when, s.author, s.title,"
    " s.key FROM forecast f JOIN source s ON s.id = f.source_id"
)


def _phrases(value: Any) -> list[str]:
    """The phrases of a yes_when/no_when rule (a mapping of lists; JSON text on SQLite)."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        return []
    return [str(p) for phrases in value.values() if isinstance(phrases, list) for p in phrases]


def _forecast_row_fields(row: Sequence[Any]) -> Fields:
    _id, question, quote, criteria, yes_when, no_when, author, title, key = row
    return forecast_fields(
        question,
        quote,
        [criteria, " \n".join(_phrases(yes_when) + _phrases(no_when)), author, title, key],
    )


def index_forecasts(where: Session | Connection, forecast_ids: Iterable[str]) -> int:
    """(Re)indexes these forecasts as stored now, in the caller's transaction (flush first when
    they were changed through the ORM); forecasts that are gone are skipped."""
    connection = _connection(where)
    if isinstance(where, Session):
        where.flush()
    count = 0
    for chunk in _chunked(sorted(set(forecast_ids)), BATCH):
        statement = text(_FORECAST_SELECT + " WHERE f.id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        rows = [tuple(r) for r in connection.execute(statement, {"ids": chunk})]
        _write_forecasts(connection, [(r[0], _forecast_row_fields(r)) for r in rows], fresh=False)
        count += len(rows)
    return count


def _write_forecasts(
    connection: Connection, docs: list[tuple[str, Fields]], *, fresh: bool
) -> None:
    if not docs:
        return
    if not _is_sqlite(connection):
        connection.exec_driver_sql(
            "INSERT INTO forecast_search (forecast_id, tsv) VALUES (%s, CAST(%s AS tsvector)) "
            "ON CONFLICT (forecast_id) DO UPDATE SET tsv = EXCLUDED.tsv",
            [(i, tsvector_literal(f)) for i, f in docs],
        )
        return
    ids = [i for i, _ in docs]
    if not fresh:  # the old entry stays in forecast_fts under a key nothing joins any more
        connection.execute(
            text("DELETE FROM forecast_search WHERE forecast_id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
    keys = {}
    for forecast_id in ids:
        cursor = connection.exec_driver_sql(
            "INSERT INTO forecast_search (forecast_id) VALUES (?) RETURNING key", (forecast_id,)
        )
        keys[forecast_id] = int(cursor.scalar_one())
    _sqlite_fts(connection, "forecast_fts", [(keys[i], fts_values(f)) for i, f in docs])


# --- rebuilding ---------------------------------------------------------------------------------


def _chunked(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _analyze_forecasts(rows: list[Sequence[Any]]) -> list[tuple[str, Fields]]:
    return [(r[0], _forecast_row_fields(r)) for r in rows]


def _unit(target: Engine | Connection) -> AbstractContextManager[Connection]:
    """A transaction of its own on an engine; the caller's on a connection (a migration)."""
    return target.begin() if isinstance(target, Engine) else nullcontext(target)


def _reader(target: Engine | Connection) -> AbstractContextManager[Connection]:
    return target.connect() if isinstance(target, Engine) else nullcontext(target)


def _article_batches(target: Engine | Connection) -> Iterator[list[tuple[Any, ...]]]:
    """Every article, in batches by id."""
    last = 0
    with _reader(target) as connection:
        while True:
            rows = [
                tuple(r)
                for r in connection.execute(
                    text(
                        f"SELECT {_ARTICLE_COLUMNS} FROM article a WHERE a.id > :last "
                        "ORDER BY a.id LIMIT :n"
                    ),
                    {"last": last, "n": BATCH},
                )
            ]
            if not rows:
                return
            last = rows[-1][0]
            yield rows


def _count(target: Engine | Connection, table: str) -> int:
    with _reader(target) as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _mapped(function: Callable[[Any], Any], batches: Iterable[Any], total: int) -> Iterator[Any]:
    """``function`` over the batches, in order; in a pool of processes when there are many rows.
    The batches are read here, in the caller's thread, between its writes (a connection is
    never used by two threads)."""
    if total <= POOL_ABOVE:
        yield from map(function, batches)
        return
    workers = max(1, multiprocessing.cpu_count())
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[Any] = deque()
        for batch in batches:
            pending.append(pool.apply_async(function, (batch,)))
            if len(pending) > 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def rebuild_index(target: Engine | Connection, progress: Progress | None = None) -> dict[str, int]:
    """Rebuilds the whole index from the stored articles and forecasts with this analyzer, and
    records :data:`ANALYZER_VERSION`; ``progress(kind, done, total)`` after each batch.  On an
    engine each batch is a transaction of its own; on a connection (a migration) all is the
    caller's one.  Returns how many of each kind were indexed."""
    report = progress or (lambda _kind, _done, _total: None)
    _set_meta(target, "analyzer_version", "rebuilding")
    articles = _rebuild_articles(target, report)
    forecasts = _rebuild_forecasts(target, report)
    _set_meta(target, "analyzer_version", str(ANALYZER_VERSION))
    return {"articles": articles, "forecasts": forecasts}


def _rebuild_articles(target: Engine | Connection, report: Progress) -> int:
    total = _count(target, "article")
    sqlite = target.dialect.name == "sqlite"
    with _unit(target) as connection:
        if sqlite:
            connection.exec_driver_sql(
                "INSERT INTO article_fts (article_fts) VALUES ('delete-all')"
            )
            connection.exec_driver_sql("DELETE FROM article_search")
        else:
            connection.exec_driver_sql("DROP INDEX IF EXISTS ix_article_search_tsv")
            connection.exec_driver_sql("DROP INDEX IF EXISTS ix_article_search_head")
            connection.exec_driver_sql("TRUNCATE article_search")
            # (a database migrated by 0016 before head_tsv existed gets it here)
            connection.exec_driver_sql(
                "ALTER TABLE article_search ADD COLUMN IF NOT EXISTS head_tsv TSVECTOR NOT NULL"
            )
    done = 0
    report("articles", 0, total)
    prepare = partial(_prepare_articles, sqlite)
    for docs in _mapped(prepare, _article_batches(target), total):
        with _unit(target) as connection:
            # an article a poller indexed meanwhile is in already
            indexed = _indexed_articles(connection, [d[0] for d in docs])
            _write_articles(connection, [d for d in docs if d[0] not in indexed])
        done += len(docs)
        report("articles", done, total)
    if not sqlite:
        with _unit(target) as connection:
            for name, column in (("tsv", "tsv"), ("head", "head_tsv")):
                connection.exec_driver_sql(
                    f"CREATE INDEX IF NOT EXISTS ix_article_search_{name} ON article_search "
                    f"USING gin ({column})"
                )
            _analyze_postgres(connection, "article_search", "tsv", "head_tsv")
    return done


def _analyze_postgres(connection: Connection, table: str, *columns: str) -> None:
    """Fresh statistics, with many of the commonest lexemes: the planner then knows a rare word
    from a common one and reads a rare word's few rows through the GIN index (and sorts them),
    a common word's by walking the date index (under the default target a word in one article
    of 5,000 was guessed at one in 200 and its query walked every article: 3 s at 200,000)."""
    for column in columns or ("tsv",):
        connection.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS 1000")
    connection.exec_driver_sql(f"ANALYZE {table}")


def _rebuild_forecasts(target: Engine | Connection, report: Progress) -> int:
    total = _count(target, "forecast")
    with _unit(target) as connection:
        if target.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "INSERT INTO forecast_fts (forecast_fts) VALUES ('delete-all')"
            )
        connection.exec_driver_sql("DELETE FROM forecast_search")
        rows = [tuple(r) for r in connection.execute(text(_FORECAST_SELECT + " ORDER BY f.id"))]
        done = 0
        report("forecasts", 0, total)
        for chunk in _chunked(rows, BATCH):
            _write_forecasts(connection, _analyze_forecasts(chunk), fresh=True)
            done += len(chunk)
            report("forecasts", done, total)
        if target.dialect.name != "sqlite":
            _analyze_postgres(connection, "forecast_search")
    return done


# --- the analyzer's version ---------------------------------------------------------------------


def _set_meta(target: Engine | Connection, name: str, value: str) -> None:
    with _unit(target) as connection:
        connection.execute(text("DELETE FROM search_meta WHERE name = :n"), {"n": name})
        connection.execute(
            text("INSERT INTO search_meta (name, value) VALUES (:n, :v)"), {"n": name, "v": value}
        )


def index_version(where: Session | Connection) -> str | None:
    """The analyzer version the index was built with (``'rebuilding'`` while a rebuild runs)."""
    row = (
        _connection(where)
        .execute(text("SELECT value FROM search_meta WHERE name = 'analyzer_version'"))
        .first()
    )
    return None if row is None else str(row[0])
