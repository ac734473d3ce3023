"""When to poll a feed next (each feed keeps its own next-check time, as in Miniflux).

After a success: the feed's interval, raised to at least the feed's RSS ``<ttl>`` and the
response's ``Cache-Control: max-age`` / ``Expires``.  After a failure: the interval doubled per
consecutive failure, raised to at least ``Retry-After``.  Everything is capped at
:data:`MAX_DELAY` (a failing feed is retried at least daily: never silently dropped; a server's
header asking for more, up to 30 digits of seconds, is read as the cap), and a
positive jitter of up to 10 % spreads the feeds of one host so they do not poll in step.
"""

from __future__ import annotations

import email.utils
import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

MAX_DELAY = timedelta(hours=24)
JITTER = 0.10
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE | re.ASCII)


def seconds_capped(seconds: float) -> timedelta:
    """``seconds`` as a delay, at most :data:`MAX_DELAY` (a server's wish of 10**30 seconds is a
    day, not an ``OverflowError``) and never negative."""
    return timedelta(seconds=min(max(seconds, 0.0), MAX_DELAY.total_seconds()))


def server_wish(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the server says the response stays fresh (Cache-Control max-age, else Expires)."""
    cache_control = headers.get("cache-control", "")
    if "no-cache" in cache_control.lower() or "no-store" in cache_control.lower():
        return None
    match = _MAX_AGE.search(cache_control)
    if match:  # the digits are counted first: int() of a million digits is slow by itself
        digits = match.group(1).lstrip("0") or "0"
        return MAX_DELAY if len(digits) > 9 else seconds_capped(int(digits))
    expires = headers.get("expires")
    if expires:
        try:
            when = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return min(max(timedelta(0), when - now), MAX_DELAY)
    return None


def _jittered(delay: timedelta, rng: random.Random) -> timedelta:
    return min(delay * (1 + rng.random() * JITTER), MAX_DELAY)


def after_success(
    now: datetime,
    interval: timedelta,
    *,
    ttl: timedelta | None = None,
    fresh_for: timedelta | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next check after a successful poll (200 or 304)."""
    delay = max([interval] + [d for d in (ttl, fresh_for) if d is not None])
    return now + _jittered(delay, rng or random.Random())


def after_failure(
    now: datetime,
    interval: timedelta,
    failures: int,
    *,
    retry_after: timedelta | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next check after the ``failures``-th consecutive failure (1 for the first)."""
    # 2**20 minutes is far past the cap already; a larger power overflows a timedelta
    # (a daily feed failing for a month: 2**30 days)
    exponent = min(max(failures - 1, 0), 20)
    delay = min(interval * (2**exponent), MAX_DELAY)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_DELAY))
    return now + _jittered(delay, rng or random.Random())
