"""Statement periods and the peer score (Metaculus), computed for every forecast at once.

**Statement periods.**  A forecast's probability stands from its statement's day until the day
of its next statement, or until its last day: the earlier of its close date and the day it was
resolved, inclusive (the convention of :mod:`tracker.scoring._timeweighted`; several
statements on one day: the last recorded wins).  A forecast without a history has one period,
from its ``opens`` date, at its probability.

**Peer score** (Metaculus scoring FAQ, "What is the Peer score?").  On a day when ``N >= 2``
forecasts on the question stand, forecast ``i`` scores, on the outcome that happened::

    100 * (ln p_i - mean over the other N - 1 forecasts j of ln p_j)

(``100 · N/(N-1) · ln(p_i / geometric mean of all N)`` in Metaculus' code: the same number).
The peer score of a forecast is the sum of its daily scores divided by the number of days of
the question, from the first day any forecast on it stood to its last day.  Days before the
forecast's first statement score 0 and still count in the division, as on Metaculus (a late
forecaster forgoes that part of the score; ``coverage`` says which share of the question it
stood); so do days on which no other forecast stood.  A question with one forecast gives no
peer score (NaN).  Probabilities are clipped to [0.1 %, 99.9 %] as for the log score.
Higher is better; the peer scores of the forecasts on a question that all stood throughout
sum to 0.

The days are integrated piecewise: a question's timeline changes only where a statement
starts or ends, so the number of standing forecasts and the sum of their logs are constant
between such days, and each statement period's integral is a difference of two running sums.
Everything is ``O(statements log statements)``, with no loop over forecasts or days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.scoring._data import ScoringData
from tracker.scoring._metrics import clipped_log, probability_of_outcome


def question_index(data: ScoringData) -> tuple[np.ndarray, int]:
    """(question code of each forecast, number of codes).  Without ``question_codes`` (callers
    that know no questions) every forecast is its own question."""
    codes = data.question_codes
    if len(codes) == len(data) and len(data):
        return codes, max(len(data.questions), int(codes.max()) + 1)
    return np.arange(len(data), dtype=np.int64), len(data)


@dataclass(frozen=True)
class Periods:
    """One entry per period during which one statement of a forecast stood: ``[start, end)``
    in days, ``p`` the probability of YES.  Sorted by forecast, then day.  A forecast that
    stood no day at all (stated after its last day) has one period of zero days at its
    standing probability."""

    forecast: np.ndarray
    start: np.ndarray
    end: np.ndarray
    p: np.ndarray

    def days(self) -> np.ndarray:
        days: np.ndarray = (self.end - self.start).astype(np.float64)
        return days

    def weights(self, n_forecasts: int) -> np.ndarray:
        """Each period's share of its forecast's days (1 for the zero-day fallback)."""
        days = self.days()
        total = np.bincount(self.forecast, weights=days, minlength=n_forecasts)[self.forecast]
        return np.where(total > 0, days / np.where(total > 0, total, 1.0), 1.0)


def last_day(data: ScoringData) -> np.ndarray:
    """The last day each forecast is scored: the earlier of its close and its resolution."""
    last: np.ndarray = np.minimum(data.closes, data.resolved)
    return last


def statement_periods(data: ScoringData) -> Periods:
    """The statement periods of every forecast (see the module's docstring)."""
    n = len(data)
    end_all = last_day(data) + 1
    f = data.update_forecast
    if len(f):
        start = np.maximum(data.update_day, data.opens[f])
        same_next = np.zeros(len(f), dtype=bool)
        same_next[:-1] = f[1:] == f[:-1]
        end = end_all[f].copy()
        end[same_next] = np.minimum(data.update_day[1:][same_next[:-1]], end[same_next])
        end = np.maximum(end, start)
        with_history = np.zeros(n, dtype=bool)
        with_history[f] = True
        stood = np.bincount(f, weights=(end - start).astype(np.float64), minlength=n) > 0
        keep = stood[f]
        hist = (f[keep], start[keep], end[keep], data.update_p[keep])
    else:
        with_history = stood = np.zeros(n, dtype=bool)
        hist = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    # Forecasts without a history, or whose history stood no day: their standing probability.
    plain = np.flatnonzero(~(with_history & stood))
    plain_start = data.opens[plain]
    plain_end = np.maximum(end_all[plain], plain_start)
    forecast = np.concatenate((hist[0], plain))
    order = np.lexsort((np.concatenate((hist[1], plain_start)), forecast))
    return Periods(
        forecast=forecast[order],
        start=np.concatenate((hist[1], plain_start))[order],
        end=np.concatenate((hist[2], plain_end))[order],
        p=np.concatenate((hist[3], data.p[plain]))[order],
    )


def time_averaged(data: ScoringData, periods: Periods, per_period_loss: np.ndarray) -> np.ndarray:
    """Per forecast, the mean over its days of a loss given per period."""
    weights = periods.weights(len(data))
    averaged: np.ndarray = np.bincount(
        periods.forecast, weights=weights * per_period_loss, minlength=len(data)
    )
    return averaged


def _segmented_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Running sums that restart where ``first`` is true.  Each segment's total is taken off
    at the next segment's start, so the sums stay as small as one segment's (a running sum
    over a million questions would lose the digits of a small one)."""
    starts = np.flatnonzero(first)
    adjusted = values.astype(np.float64, copy=True)
    if len(starts) > 1:
        adjusted[starts[1:]] -= np.add.reduceat(values, starts)[:-1]
    running = np.cumsum(adjusted)
    # what rounding left of the earlier segments at each start is taken off its segment
    residue = running[starts] - values[starts]
    running -= np.repeat(residue, np.diff(np.append(starts, len(values))))
    return running


@dataclass(frozen=True)
class PeerScores:
    """Per forecast: the peer score (NaN without peers) and its coverage (the share of the
    question's days on which it stood, whether or not a peer stood too)."""

    score: np.ndarray
    coverage: np.ndarray
    peers: np.ndarray  # other forecasts on the same question


def peer_detail(data: ScoringData, periods: Periods | None = None) -> PeerScores:
    """Peer scores, coverages and peer counts of every forecast."""
    n = len(data)
    periods = periods or statement_periods(data)
    codes, n_questions = question_index(data)
    per_question = np.bincount(codes, minlength=n_questions)
    peers = per_question[codes] - 1
    q_start = np.full(n_questions, np.iinfo(np.int64).max)
    np.minimum.at(q_start, codes, data.opens)
    q_end = np.zeros(n_questions, np.int64)
    np.maximum.at(q_end, codes, last_day(data) + 1)
    length = (q_end - q_start).astype(np.float64)
    days = periods.days()
    stood = np.bincount(periods.forecast, weights=days, minlength=n)
    question_days = length[codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(question_days > 0, stood / question_days, np.nan)
    integral = _integrals(data, periods, codes)
    score = np.full(n, np.nan)
    ok = (peers > 0) & (question_days > 0)
    score[ok] = 100.0 * integral[ok] / question_days[ok]
    return PeerScores(score, coverage, peers)


def peer_scores(data: ScoringData) -> np.ndarray:
    """Per forecast, its Metaculus peer score (higher is better; NaN on a question with no
    other forecast).  See the module's docstring for the definition."""
    return peer_detail(data).score


def _integrals(data: ScoringData, periods: Periods, codes: np.ndarray) -> np.ndarray:
    """Per forecast, the sum over its days of ``ln p_i - mean of the others' ln p_j`` (days
    with no other standing forecast: 0)."""
    n = len(data)
    live = periods.end > periods.start
    f, start, end = periods.forecast[live], periods.start[live], periods.end[live]
    value = clipped_log(probability_of_outcome(periods.p[live], data.y[f]))
    q = codes[f]
    if not len(f):
        return np.zeros(n)
    # The timeline of every question: events where a statement starts (+1, +ln p) or ends.
    first_day = int(start.min())
    span = int(end.max()) - first_day + 1
    event_key = np.concatenate((q * span + (start - first_day), q * span + (end - first_day)))
    keys, where = np.unique(event_key, return_inverse=True)
    count_change = np.bincount(where, weights=np.repeat([1.0, -1.0], len(f)), minlength=len(keys))
    log_change = np.bincount(where, weights=np.concatenate((value, -value)), minlength=len(keys))
    key_question = keys // span
    first = np.ones(len(keys), dtype=bool)
    first[1:] = key_question[1:] != key_question[:-1]
    standing = np.rint(np.cumsum(count_change))  # exact: counts return to 0 at each question end
    log_sum = _segmented_cumsum(log_change, first)
    duration = np.zeros(len(keys))
    same = ~first[1:]
    duration[:-1][same] = (keys[1:] - keys[:-1])[same]
    has_peer = standing >= 2
    others = np.where(has_peer, standing - 1.0, 1.0)
    rate_own = np.where(has_peer, standing / others, 0.0) * duration
    rate_all = np.where(has_peer, log_sum / others, 0.0) * duration
    # integral from the question's first event up to each key (exclusive)
    own_before = _segmented_cumsum(rate_own, first) - rate_own
    all_before = _segmented_cumsum(rate_all, first) - rate_all
    s_at, e_at = where[: len(f)], where[len(f) :]
    per_period = value * (own_before[e_at] - own_before[s_at]) - (
        all_before[e_at] - all_before[s_at]
    )
    total: np.ndarray = np.bincount(f, weights=per_period, minlength=n)
    return total


__all__ = [
    "PeerScores",
    "Periods",
    "last_day",
    "peer_detail",
    "peer_scores",
    "question_index",
    "statement_periods",
    "time_averaged",
]
