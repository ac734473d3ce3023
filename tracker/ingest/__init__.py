"""News feed ingestion: feeds -> articles.  Callable without Celery (the CLI polls in-process).

Public API (``tracker.ingest``):

- managing feeds: :func:`add_feed`, :func:`list_feeds`, :func:`get_feed`, :func:`remove_feed`,
  :func:`enable_feed`, :func:`disable_feed`, :func:`article_counts`, :func:`import_opml`, :func:`export_opml`,
  :func:`due_feed_ids`;
- polling: :func:`make_poller` (the factory wiring settings, fetcher, SSRF guard and host
  limiter) -> :class:`Poller` with ``poll_feed(feed_id)`` and ``poll_due()``;
- articles: :func:`list_articles`, :func:`unmatched_article_ids`;
- the hand-off to the next stage: :data:`new_articles` (see :mod:`tracker.ingest.hooks`).

Private modules, one responsibility each: ``_fetch`` (HTTP with limits), ``_ssrf`` (address
guard), ``_parse`` (hardening and parsing), ``_schedule`` (next-check times), ``_store``
(exactly-once storage), ``_writes`` (write transactions, group commit on SQLite), ``_opml``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from tracker.ingest._fetch import Fetcher, FetchLimits, HostBusyError, HostLimiter, LocalHostLimiter, RedisHostLimiter
from tracker.ingest._ssrf import AddressGuard
from tracker.ingest.feeds import (
    ErrorKind, Outcome, Poller, PollResult, add_feed, article_counts, disable_feed, due_feed_ids, enable_feed, export_opml,
    get_feed, import_opml, list_articles, list_feeds, remove_feed, unmatched_article_ids,
)
from tracker.ingest.hooks import new_articles
from tracker.settings import Settings


def make_fetcher(settings: Settings, *, limits: FetchLimits | None = None,
                 host_limiter: HostLimiter | None = None, guard: AddressGuard | None = None) -> Fetcher:
    """The one HTTP client of a worker (or of `tracker poll`), configured from the settings."""
    return Fetcher(limits or FetchLimits(), guard or AddressGuard(allow_private=settings.allow_private_feeds),
                   host_limiter)


def make_poller(settings: Settings, engine: Engine, *, fetcher: Fetcher | None = None,
                lease: timedelta = timedelta(minutes=5)) -> Poller:
    return Poller(engine, fetcher or make_fetcher(settings), lease=lease)


__all__ = [
    "AddressGuard", "ErrorKind", "FetchLimits", "Fetcher", "HostBusyError", "HostLimiter", "LocalHostLimiter",
    "Outcome", "PollResult", "Poller", "RedisHostLimiter", "add_feed", "article_counts", "disable_feed", "due_feed_ids",
    "enable_feed", "export_opml", "get_feed", "import_opml", "list_articles", "list_feeds", "make_fetcher",
    "make_poller", "new_articles", "remove_feed", "unmatched_article_ids",
]
