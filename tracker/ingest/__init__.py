"""News feed ingestion: feeds -> articles.  Callable without Celery (the CLI polls in-process).

Public API (``tracker.ingest``):

- managing feeds: :func:`add_feed`, :func:`list_feeds`, :func:`get_feed`, :func:`remove_feed`,
  :func:`enable_feed`, :func:`disable_feed`, :func:`import_opml`,
  :func:`export_opml`,
  :func:`due_feed_ids`;
- polling: :func:`make_poller` (the factory wiring settings, fetcher, SSRF guard and host
  limiter, in ``_factory``) -> :class:`Poller` with ``poll_feed(feed_id)`` and ``poll_due()``;
- articles: :func:`list_articles`, :func:`unmatched_article_ids`;
- article pages (feeds with ``fetch_articles``): :func:`make_page_fetcher` ->
  :class:`PageFetcher`, :func:`fetch_article_page`, :func:`due_page_ids` (``_pages``);
- the hand-off to the next stage: :data:`new_articles` (see :mod:`tracker.ingest.hooks`).

Private modules, one responsibility each: ``_fetch`` (HTTP with limits), ``_ssrf`` (address
guard), ``_parse`` (hardening and parsing), ``_rows`` (article rows), ``_parsepool`` (parsing
in worker processes), ``_schedule`` (next-check times), ``_store``
(exactly-once storage), ``_writes`` (write transactions, group commit on SQLite), ``_opml``.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from tracker.ingest._factory import (
        fetch_limits,
        make_fetcher,
        make_page_fetcher,
        make_poller,
        page_policy,
    )
    from tracker.ingest._fetch import (
        Fetcher,
        FetchLimits,
        HostBusyError,
        HostLimiter,
        LocalHostLimiter,
        RedisHostLimiter,
    )
    from tracker.ingest._pages import (
        PageErrorKind,
        PageFetcher,
        PageOutcome,
        PagePolicy,
        PageState,
        PageText,
        due_page_ids,
        extract_page,
        fetch_article_page,
        page_state_counts,
        teaser_feed_ids,
    )
    from tracker.ingest._ssrf import (
        AddressGuard,
    )
    from tracker.ingest.feeds import (
        ErrorKind,
        FeedState,
        Outcome,
        Poller,
        PollResult,
        add_feed,
        all_article_ids,
        count_articles,
        count_due_feeds,
        count_feeds,
        count_unmatched,
        disable_feed,
        due_feed_ids,
        enable_feed,
        export_opml,
        feed_interval,
        feed_state,
        feed_tally,
        get_feed,
        import_opml,
        list_articles,
        list_feeds,
        read_feeds,
        remove_feed,
        set_fetch_articles,
        unmatched_article_ids,
    )
    from tracker.ingest.hooks import (
        new_articles,
    )

# The public names are imported on first use (PEP 562): a parse worker process (``_parsepool``)
# imports ``tracker.ingest._parsepool``, and with eager imports here it would load SQLAlchemy,
# httpx and the models too, tripling its start-up time for nothing.
_EXPORTS = {
    "tracker.ingest._factory": (
        "fetch_limits",
        "make_fetcher",
        "make_page_fetcher",
        "make_poller",
        "page_policy",
    ),
    "tracker.ingest._fetch": (
        "Fetcher",
        "FetchLimits",
        "HostBusyError",
        "HostLimiter",
        "LocalHostLimiter",
        "RedisHostLimiter",
    ),
    "tracker.ingest._pages": (
        "PageErrorKind",
        "PageFetcher",
        "PageOutcome",
        "PagePolicy",
        "PageState",
        "PageText",
        "due_page_ids",
        "extract_page",
        "fetch_article_page",
        "page_state_counts",
        "teaser_feed_ids",
    ),
    "tracker.ingest._ssrf": ("AddressGuard",),
    "tracker.ingest.feeds": (
        "ErrorKind",
        "FeedState",
        "Outcome",
        "Poller",
        "PollResult",
        "add_feed",
        "all_article_ids",
        "count_articles",
        "count_due_feeds",
        "count_feeds",
        "count_unmatched",
        "feed_tally",
        "disable_feed",
        "due_feed_ids",
        "enable_feed",
        "export_opml",
        "feed_interval",
        "feed_state",
        "get_feed",
        "import_opml",
        "list_articles",
        "list_feeds",
        "read_feeds",
        "remove_feed",
        "set_fetch_articles",
        "unmatched_article_ids",
    ),
    "tracker.ingest.hooks": ("new_articles",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AddressGuard",
    "ErrorKind",
    "FeedState",
    "FetchLimits",
    "Fetcher",
    "HostBusyError",
    "HostLimiter",
    "LocalHostLimiter",
    "Outcome",
    "PageErrorKind",
    "PageFetcher",
    "PageOutcome",
    "PagePolicy",
    "PageState",
    "PageText",
    "PollResult",
    "Poller",
    "RedisHostLimiter",
    "add_feed",
    "all_article_ids",
    "count_articles",
    "count_due_feeds",
    "count_feeds",
    "count_unmatched",
    "disable_feed",
    "due_feed_ids",
    "due_page_ids",
    "enable_feed",
    "export_opml",
    "extract_page",
    "feed_interval",
    "feed_state",
    "feed_tally",
    "fetch_article_page",
    "fetch_limits",
    "get_feed",
    "import_opml",
    "list_articles",
    "list_feeds",
    "make_fetcher",
    "make_page_fetcher",
    "make_poller",
    "new_articles",
    "page_policy",
    "page_state_counts",
    "read_feeds",
    "remove_feed",
    "set_fetch_articles",
    "teaser_feed_ids",
    "unmatched_article_ids",
]
