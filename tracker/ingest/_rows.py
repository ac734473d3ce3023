"""Article rows from parsed entries: identity, story, canonical URL, dates (no database imports).

An entry's identity within its feed is its guid, else its canonical link plus title, else a
hash of title and content; a guid repeated inside one document (a known publisher bug) becomes
guid+link so distinct items are not collapsed.  Two entries with different guids are two
articles whatever their links (a comments feed's items all link to one page).

Across feeds a story is its canonical URL plus title (:func:`story_key`): a syndicated copy is
stored once and linked to every feed of the same publisher that carried it (``_store``; another
publisher's copy is stored as its own article, so no feed can displace another publisher's).
Inside one document a story key that repeats under another identity is left out (None), so the
second item is kept.

The canonical URL drops the fragment, the default port and tracking parameters (utm_*,
fbclid, ...); the link as the feed gave it is kept beside it (``original_url``).  This module
imports no database code, so the parse worker processes (``_parsepool``) start quickly;
``_store`` puts the rows in the database.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlunsplit

from tracker.clock import sqlite_text
from tracker.ingest._parse import ParsedEntry, split_url

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ocid",
        "cmpid",
        "at_medium",
        "at_campaign",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
    }
)
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST_PUBLISHED = datetime(1990, 1, 1, tzinfo=UTC)  # before the web's news feeds: a bad date
MAX_URL = 2000


def canonical_url(url: str | None) -> str | None:
    """The URL without fragment, default port, tracking parameters (utm_*, fbclid, ...)."""
    if not url:
        return None
    parts = split_url(url.strip())
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    if "@" in netloc or ":" in netloc or "[" in netloc:  # userinfo, port or IPv6: the general path
        host = (parts.hostname or "").lower()
        if parts.port and not (
            (scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)
        ):
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


def identities(
    entries: Sequence[ParsedEntry], urls: Sequence[str | None] | None = None
) -> list[str]:
    """The identity of each entry of one document (see the module docstring); ``urls`` are the
    entries' canonical URLs when the caller has them already."""
    guid_counts = Counter(entry.guid for entry in entries if entry.guid)
    urls = urls if urls is not None else [canonical_url(entry.link) for entry in entries]
    keys = []
    for entry, url in zip(entries, urls, strict=True):
        if entry.guid and guid_counts[entry.guid] > 1:
            key = f"guid+link:{entry.guid}\n{url or entry.content_hash}"
        elif entry.guid:
            key = f"guid:{entry.guid}"
        elif url:
            key = f"link+title:{url}\n{_title_key(entry.title)}"
        else:
            key = f"hash:{entry.content_hash}"
        keys.append(hashlib.sha256(key.encode("utf-8", "replace")).hexdigest())
    return keys


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def story_key(url: str | None, title: str) -> str | None:
    """The cross-feed key of a story: sha256 of its canonical URL and its title (whitespace
    collapsed, case folded); None without a URL.  Migration 0007 holds a frozen copy."""
    if not url:
        return None
    return hashlib.sha256(f"{url}\n{_title_key(title)}".encode("utf-8", "replace")).hexdigest()


def plausible_date(published: datetime | None, fetched_at: datetime) -> datetime | None:
    """The publication time, or None when there is none or it cannot be right: before 1990 (a
    year read from a stray number) or more than a day after it was fetched."""
    if published is None or published < EARLIEST_PUBLISHED:
        return None
    return None if published > fetched_at + FUTURE_TOLERANCE else published


def article_rows(
    feed_id: int,
    entries: Sequence[ParsedEntry],
    fetched_at: datetime,
    publisher: str | None = None,
) -> list[dict[str, Any]]:
    """Rows for the article table; each identity once, each story once, dates checked
    (missing, before 1990 or in the future: the fetch time, flagged estimated).

    ``publisher`` is whom every row counts for: the feed's server (the registered domain it was
    fetched from, after redirects) or the publisher the operator vouches the feed is; never the
    domain an entry's link names, which the feed chooses (issue 17)."""
    rows: dict[str, dict[str, Any]] = {}
    stories: set[str] = set()
    urls = [canonical_url(entry.link) for entry in entries]
    for identity, entry, url in zip(identities(entries, urls), entries, urls, strict=True):
        if identity in rows:
            continue
        url = url if url and len(url) <= MAX_URL else None
        story = story_key(url, entry.title)
        if story in stories:
            story = None  # a distinct item (another identity) of the same story in this document
        elif story:
            stories.add(story)
        published = plausible_date(entry.published, fetched_at)
        rows[identity] = {
            "feed_id": feed_id,
            "identity": identity,
            "story": story,
            "guid": (entry.guid or None) and entry.guid[:MAX_URL],
            "url": url,
            "original_url": entry.link if entry.link and len(entry.link) <= MAX_URL else None,
            "title": entry.title,
            "summary": entry.summary,
            "body": entry.body,
            "body_source": "feed" if entry.body else None,
            "text_truncated": entry.truncated,
            "author": entry.author[:500] if entry.author else None,
            "categories": entry.categories,
            "published_at": published or fetched_at,
            "published_estimated": published is None,
            "fetched_at": fetched_at,
            "content_hash": entry.content_hash,
            "publisher": publisher,
            "matched_at": None,
        }
    return list(rows.values())


@dataclass
class DriverRows:
    """Article rows as SQLite's driver takes them: ``columns``, and per row the values SQLAlchemy's
    bind processors make of the dict rows (UTC datetimes as naive text, booleans as 0 and 1).

    Made in a parse worker process, so the polling process, the one writer, only hands them to
    the driver (converting there was a third of its work per row).  ``tests/test_ingest_poll.py``
    checks they are stored byte for byte as SQLAlchemy stores the dict rows.
    """

    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]


def driver_rows(rows: list[dict[str, Any]]) -> DriverRows:
    if not rows:
        return DriverRows((), [])
    columns = tuple(rows[0])
    table = [_driver_column([row[name] for row in rows]) for name in columns]
    return DriverRows(columns, list(zip(*table, strict=True)))


def _driver_column(values: list[Any]) -> list[Any]:
    """One column's driver values; each distinct datetime converted once (a poll's rows share
    their fetched time)."""
    sample = next((value for value in values if value is not None), None)
    if isinstance(sample, datetime):
        converted: dict[datetime, str] = {}
        return [
            None
            if value is None
            else converted[value]
            if value in converted
            else converted.setdefault(value, _sqlite_datetime(value))
            for value in values
        ]
    if isinstance(sample, bool):
        return [None if value is None else int(value) for value in values]
    if isinstance(sample, list):  # a JSON column: SQLAlchemy's default serializer, json.dumps
        return [None if value is None else json.dumps(value) for value in values]
    return values


def _sqlite_datetime(value: datetime) -> str:
    """``tracker.models.UTCDateTime`` then SQLAlchemy's SQLite ``DATETIME``: naive UTC text with
    microseconds (the storage format every stored datetime of this database has)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return sqlite_text(value)
