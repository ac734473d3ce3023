"""One pull of one market baseline: read the market and its new trades, store its daily prices.

Three steps, so no transaction stays open while the API is asked:

1. claim the baseline when it is due (its next pull moves a lease ahead: a duplicate task finds
   it not due) and read what is stored: the question's window, the last stored day;
2. ask the API: the market, then its trades since the start of the last stored day (all of them
   the first time);
3. store the day's last price for each day from the last stored one (or the later of the
   question's opening and the market's creation) to the earliest of today, the question's
   close date and the day the market stopped trading; then the next pull is due after the
   interval, or never once no day is left to come.

A failure (:class:`~tracker.errors.BaselinePullError`) is recorded on the baseline with its kind
and retried with backoff; the stored points are not touched.  Other errors (the database) are
raised, for the caller's retry policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from tracker.baselines._manifold import ManifoldClient, Market
from tracker.baselines._series import Trade, daily_prices
from tracker.baselines._store import (
    claim,
    get_baseline,
    get_question,
    last_point,
    record_failure,
    record_success,
    write_points,
)
from tracker.db import session_scope
from tracker.errors import BaselinePullError
from tracker.models import Baseline


@dataclass(frozen=True)
class PullResult:
    """What one pull did: ``outcome`` is ``ok``, ``failed`` or ``skipped`` (not due, or taken by
    another pull); days ``added`` and ``changed``; for a failure its kind and message."""

    baseline_id: int
    outcome: str
    added: int = 0
    changed: int = 0
    error_kind: str | None = None
    message: str = ""


@dataclass(frozen=True)
class _Plan:
    slug: str
    opens: date
    closes: date
    interval: timedelta
    last: tuple[date, float] | None


def pull_baseline(
    engine: Engine,
    client: ManifoldClient,
    baseline_id: int,
    *,
    default_interval: timedelta,
    now: datetime,
    force: bool = False,
) -> PullResult:
    """Pull one baseline now if it is due (``force``: due or not)."""
    plan = _claim(engine, baseline_id, default_interval, now, force)
    if plan is None:
        return PullResult(baseline_id, "skipped")
    try:
        market = client.market(plan.slug)
        after = datetime.combine(plan.last[0], time(), UTC) if plan.last else None
        trades = client.trades(market.id, after=after)
    except BaselinePullError as error:
        with session_scope(engine) as session:
            record_failure(get_baseline(session, baseline_id), error, now, plan.interval)
        return PullResult(baseline_id, "failed", error_kind=error.kind, message=error.message)
    first, last = _days(plan, market, now.date())
    points = daily_prices(trades, first, last, _opening(plan, market, trades))
    with session_scope(engine) as session:
        written = write_points(session, baseline_id, points, now)
        finished = last < now.date()  # no day is left to come: the pulls stop
        record_success(
            get_baseline(session, baseline_id),
            now,
            None if finished else now + plan.interval,
            market_id=market.id,
            url=market.url,
        )
    return PullResult(baseline_id, "ok", written.added, written.changed)


def _claim(
    engine: Engine, baseline_id: int, default_interval: timedelta, now: datetime, force: bool
) -> _Plan | None:
    with session_scope(engine) as session:
        baseline = session.get(Baseline, baseline_id)  # removed since it was queued: skipped
        if baseline is None or baseline.market is None:
            return None
        if not claim(session, baseline_id, now, force=force):
            return None
        question = get_question(session, baseline.question_id)
        interval = timedelta(seconds=baseline.interval_s) if baseline.interval_s else None
        return _Plan(
            baseline.market,
            question.opens,
            question.closes,
            interval or default_interval,
            last_point(session, baseline_id),
        )


def _days(plan: _Plan, market: Market, today: date) -> tuple[date, date]:
    """The first and last day to store (the last may come before the first: nothing to store)."""
    first = max(plan.opens, market.created.date(), plan.last[0] if plan.last else date.min)
    stopped = market.last_trading_moment()
    last = min(plan.closes, today, stopped.date() if stopped else today)
    return first, last


def _opening(plan: _Plan, market: Market, trades: list[Trade]) -> float:
    """The price before the trades read: where the first one started from; without trades, the
    last stored price, else (a market nobody traded) its price now."""
    if trades:
        return trades[0].prob_before
    return plan.last[1] if plan.last else market.probability
