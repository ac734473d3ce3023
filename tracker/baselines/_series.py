"""A baseline's probabilities by day: a market's trades made daily, and the standing value on a
day.

A market's probability on a day is its last price of that UTC day, carried forward over days
without trades; before its first trade it stands at the price the first trade started from.
A baseline's standing value on a day is its last point on or before that day (the same rule
as an author's standing probability), so a comparison at the date of an author's statement
reads the price the author could have seen that day.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Trade:
    """One trade of a yes/no market: when, and its probability before and after."""

    at: datetime
    prob_before: float
    prob_after: float


@dataclass(frozen=True)
class BaselineSeries:
    """One baseline's daily points on one question, oldest first."""

    baseline_id: int
    name: str
    kind: str
    points: list[tuple[date, float]] = field(default_factory=list)

    def at(self, day: date) -> float | None:
        """The standing value on ``day`` (see :func:`baseline_at`)."""
        return baseline_at(self, day)


def baseline_at(series: BaselineSeries, day: date) -> float | None:
    """The baseline's standing probability on ``day``: its last point on or before it; None
    before its first point."""
    index = bisect.bisect_right(series.points, day, key=lambda point: point[0])
    return series.points[index - 1][1] if index else None


def daily_prices(
    trades: Sequence[Trade], first: date, last: date, opening: float
) -> list[tuple[date, float]]:
    """The price at the end of each UTC day from ``first`` to ``last``: the last trade's
    probability on or before that day, ``opening`` before any trade.  ``trades`` oldest first;
    trades before ``first`` set the price ``first`` starts from."""
    points: list[tuple[date, float]] = []
    price = opening
    index = 0
    day = first
    while day <= last:
        while index < len(trades) and trades[index].at.date() <= day:
            price = trades[index].prob_after
            index += 1
        points.append((day, price))
        day += timedelta(days=1)
    return points
