"""The factories that wire a fetcher and a poller from the settings (one place for both)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from tracker.ingest._fetch import Fetcher, FetchLimits, HostLimiter
from tracker.ingest._ssrf import AddressGuard
from tracker.ingest.feeds import Poller
from tracker.settings import Settings


def make_fetcher(
    settings: Settings,
    *,
    limits: FetchLimits | None = None,
    host_limiter: HostLimiter | None = None,
    guard: AddressGuard | None = None,
) -> Fetcher:
    """The one HTTP client of a worker (or of `tracker poll`), configured from the settings."""
    return Fetcher(
        limits or FetchLimits(),
        guard or AddressGuard(allow_private=settings.allow_private_feeds),
        host_limiter,
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
    )
