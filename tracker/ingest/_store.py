"""Storing entries exactly once, enforced by the database rather than by checks in Python.

An entry's identity within its feed is its guid, else its link, else a hash of title and
content; a guid repeated inside one document (a known publisher bug) becomes guid+link so
distinct items are not collapsed.  ``uq_article_feed_identity`` makes the identity unique per
feed, and the canonical URL (tracking parameters removed) is unique across feeds.  Rows go in
with ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` (SQLite and PostgreSQL alike), so
two workers racing on one feed, or two feeds carrying one story, store it once, and the ids
returned are exactly the articles that are new.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlunsplit

from sqlalchemy import Connection, Dialect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from tracker.ingest._parse import ParsedEntry, split_url
from tracker.models import Article

TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "_hsenc", "_hsmi",
    "mkt_tok", "ocid", "cmpid", "at_medium", "at_campaign", "ns_mchannel", "ns_source", "ns_campaign",
})
FUTURE_TOLERANCE = timedelta(days=1)
_BATCH = 500


def canonical_url(url: str | None) -> str | None:
    """The URL without fragment, default port, tracking parameters (utm_*, fbclid, ...)."""
    if not url:
        return None
    parts = split_url(url.strip())
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    if "@" in netloc or ":" in netloc or "[" in netloc:  # userinfo, port or IPv6: the general path
        host = (parts.hostname or "").lower()
        if parts.port and not ((scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)):
            host = f"{host}:{parts.port}"
        if parts.username:
            host = f"{parts.username}@{host}"
    else:
        host = netloc.lower()
    path, query = parts.path or "/", _canonical_query(parts.query)
    if scheme and host and path[0] == "/":  # what urlunsplit makes of it, without its overhead
        return f"{scheme}://{host}{path}?{query}" if query else f"{scheme}://{host}{path}"
    return urlunsplit((scheme, host, path, query, ""))


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def _canonical_query(query: str) -> str:
    """The query without tracking parameters, re-encoded.  Shortcut (same result): a query whose
    parameters are all tracking ones (names without escapes) is simply empty."""
    if not query:
        return ""
    if "%" not in query and "+" not in query:
        for part in query.split("&"):
            if part and not _is_tracking(part.partition("=")[0]):
                break
        else:
            return ""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)]
    return urlencode(pairs, doseq=True)


def identities(entries: Sequence[ParsedEntry], urls: Sequence[str | None] | None = None) -> list[str]:
    """The identity of each entry of one document (see the module docstring); ``urls`` are the
    entries' canonical URLs when the caller has them already."""
    guid_counts = Counter(entry.guid for entry in entries if entry.guid)
    urls = urls if urls is not None else [canonical_url(entry.link) for entry in entries]
    keys = []
    for entry, url in zip(entries, urls):
        if entry.guid and guid_counts[entry.guid] > 1:
            key = f"guid+link:{entry.guid}\n{url or entry.content_hash}"
        elif entry.guid:
            key = f"guid:{entry.guid}"
        elif entry.link:
            key = f"link:{url}"
        else:
            key = f"hash:{entry.content_hash}"
        keys.append(hashlib.sha256(key.encode("utf-8", "replace")).hexdigest())
    return keys


def article_rows(feed_id: int, entries: Sequence[ParsedEntry], fetched_at: datetime) -> list[dict]:
    """Rows for the article table; each identity once, dates checked (missing/future -> fetched)."""
    rows: dict[str, dict] = {}
    urls = [canonical_url(entry.link) for entry in entries]
    for identity, entry, url in zip(identities(entries, urls), entries, urls):
        published = entry.published
        estimated = published is None or published > fetched_at + FUTURE_TOLERANCE
        rows.setdefault(identity, {
            "feed_id": feed_id, "identity": identity, "guid": (entry.guid or None) and entry.guid[:2000],
            "url": url if url and len(url) <= 2000 else None, "title": entry.title, "summary": entry.summary,
            "published_at": fetched_at if estimated else published, "published_estimated": estimated,
            "fetched_at": fetched_at, "content_hash": entry.content_hash, "matched_at": None,
        })
    return list(rows.values())


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
    stored exactly as the ORM stores them), without SQLAlchemy's per-row bookkeeping: a third
    of the insert's CPU time."""
    columns = tuple(rows[0])
    convert = _bind_processors(dialect, columns)
    params = [process(row[name]) if process else row[name] for row in rows for name, process in convert]
    sql = _sqlite_insert_sql(columns, len(rows))
    return [row[0] for row in connection.exec_driver_sql(sql, tuple(params))]


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
