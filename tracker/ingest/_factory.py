"""The factories that wire a fetcher and a poller from the settings (one place for both)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from tracker.ingest._fetch import FEED_ACCEPT, Fetcher, FetchLimits, HostLimiter
from tracker.ingest._pages import PAGE_ACCEPT, PageFetcher, PagePolicy
from tracker.ingest._ssrf import AddressGuard
from tracker.ingest.feeds import Poller
from tracker.settings import Settings


def fetch_limits(settings: Settings) -> FetchLimits:
    """The limits of every fetch (feeds, article pages, markets), from the settings."""
    return FetchLimits(total_timeout=settings.fetch_timeout_s)


def make_fetcher(
    settings: Settings,
    *,
    limits: FetchLimits | None = None,
    host_limiter: HostLimiter | None = None,
    guard: AddressGuard | None = None,
    accept: str = FEED_ACCEPT,
) -> Fetcher:
    """The one HTTP client of a worker (or of `tracker poll`), configured from the settings;
    ``accept``: what it asks for (feeds; article pages ask for HTML)."""
    return Fetcher(
        limits or fetch_limits(settings),
        guard or AddressGuard(allow_private=settings.allow_private_feeds),
        host_limiter,
        accept=accept,
    )


def make_page_fetcher(
    settings: Settings,
    *,
    limits: FetchLimits | None = None,
    host_limiter: HostLimiter | None = None,
    guard: AddressGuard | None = None,
) -> PageFetcher:
    """The article-page fetcher of a worker: the same guarded client as the poller's (give it
    the same ``host_limiter``, so the per-host limit counts both), asking for HTML."""
    fetcher = make_fetcher(
        settings, limits=limits, host_limiter=host_limiter, guard=guard, accept=PAGE_ACCEPT
    )
    return PageFetcher(
        fetcher, robots_ttl_s=settings.robots_ttl_s, min_chars=settings.page_min_chars
    )


def page_policy(settings: Settings) -> PagePolicy:
    """How article pages are judged and retried, from the settings."""
    return PagePolicy(
        min_chars=settings.page_min_chars,
        max_attempts=settings.page_max_attempts,
        retry_after=timedelta(seconds=settings.page_retry_s),
    )


def make_poller(
    settings: Settings,
    engine: Engine,
    *,
    fetcher: Fetcher | None = None,
    lease: timedelta = timedelta(minutes=5),
) -> Poller:
    """The poller of a worker or of `tracker poll`: fetcher, lease and parse processes from the
    settings."""
    return Poller(
        engine,
        fetcher or make_fetcher(settings),
        lease=lease,
        parse_processes=settings.parse_processes,
        max_entries=settings.max_entries_per_feed,
    )
