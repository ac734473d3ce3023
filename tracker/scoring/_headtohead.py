"""Head-to-head: two forecasters on the questions both forecast.

For each common question, each forecaster's score is the mean over their forecasts on it
(usually one) of the forecast's time-averaged Brier score and log loss (the scorecard's
per-forecast scores).  The differences ``a - b`` per question are averaged; their interval
is a paired percentile bootstrap: questions are drawn with replacement and both forecasters'
scores on a drawn question move together, so what the question's difficulty adds to both
cancels out (the design of a paired t test; percentile intervals: Efron & Tibshirani 1993,
*An Introduction to the Bootstrap*, ch. 13).  Lower is better for both scores: a negative
difference favours ``a``.

Each forecaster's Murphy diagram (:mod:`tracker.scoring._murphy_diagram`) is drawn on the
same questions, every statement period weighted by its share of the forecast's days, so the
mean of a curve over uniform thresholds is half the forecaster's Brier score here.  Which
curve lies below the other is decided on every threshold where either curve bends, not only
on the displayed grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracker.errors import ScoringError
from tracker.scoring._data import ScoringData
from tracker.scoring._metrics import Interval
from tracker.scoring._murphy_diagram import (
    DEFAULT_THRESHOLDS,
    dominance,
    exact_thresholds,
    murphy_diagram,
)
from tracker.scoring._peer import Periods, question_index, statement_periods
from tracker.scoring._relative import forecast_brier, forecast_log_loss

#: differences closer than this are ties (the same probabilities, computed two ways)
TIE = 1e-12


@dataclass(frozen=True)
class HeadToHead:
    """``a`` against ``b`` on their common questions (differences are ``a - b``)."""

    a: str
    b: str
    questions: int
    brier_a: float | None
    brier_b: float | None
    brier_difference: float | None
    brier_interval: Interval | None
    log_loss_a: float | None
    log_loss_b: float | None
    log_loss_difference: float | None
    log_loss_interval: Interval | None
    wins: int  # questions where a's Brier is lower
    losses: int
    ties: int
    thresholds: np.ndarray
    murphy_a: np.ndarray
    murphy_b: np.ndarray
    dominance: str  # "a", "b", "equal", "neither", or "none" without common questions
    resamples: int
    level: float
    seed: int

    def swapped(self) -> HeadToHead:
        """The same comparison read from ``b``'s side (differences ``b - a``)."""

        def negated(i: Interval | None) -> Interval | None:
            return None if i is None else Interval(-i.high, -i.low)

        def minus(value: float | None) -> float | None:
            return None if value is None else -value

        flipped = {"a": "b", "b": "a"}
        return HeadToHead(
            a=self.b,
            b=self.a,
            questions=self.questions,
            brier_a=self.brier_b,
            brier_b=self.brier_a,
            brier_difference=minus(self.brier_difference),
            brier_interval=negated(self.brier_interval),
            log_loss_a=self.log_loss_b,
            log_loss_b=self.log_loss_a,
            log_loss_difference=minus(self.log_loss_difference),
            log_loss_interval=negated(self.log_loss_interval),
            wins=self.losses,
            losses=self.wins,
            ties=self.ties,
            thresholds=self.thresholds,
            murphy_a=self.murphy_b,
            murphy_b=self.murphy_a,
            dominance=flipped.get(self.dominance, self.dominance),
            resamples=self.resamples,
            level=self.level,
            seed=self.seed,
        )

    def to_json(self) -> dict[str, Any]:
        def num(value: float | None) -> float | None:
            return None if value is None or not math.isfinite(value) else float(value)

        def interval(i: Interval | None) -> list[float] | None:
            return None if i is None or math.isnan(i.low) else [i.low, i.high]

        return {
            "a": self.a,
            "b": self.b,
            "questions": self.questions,
            "brier": {
                "a": num(self.brier_a),
                "b": num(self.brier_b),
                "difference": num(self.brier_difference),
                "interval": interval(self.brier_interval),
            },
            "log_loss": {
                "a": num(self.log_loss_a),
                "b": num(self.log_loss_b),
                "difference": num(self.log_loss_difference),
                "interval": interval(self.log_loss_interval),
            },
            "wins": self.wins,
            "losses": self.losses,
            "ties": self.ties,
            "murphy": {
                "thresholds": [float(t) for t in self.thresholds],
                "a": [num(v) for v in self.murphy_a],
                "b": [num(v) for v in self.murphy_b],
                "dominance": self.dominance,
            },
            "bootstrap": {
                "resamples": self.resamples,
                "level": self.level,
                "seed": self.seed,
                "method": "paired percentile",
            },
        }


def paired_bootstrap(
    differences: np.ndarray, *, resamples: int, seed: int, level: float = 0.95
) -> list[Interval]:
    """Percentile interval of the mean of each row of ``differences`` (k × n), the same
    resampled columns for every row.  One resample draws ``n`` indices, counts them (one
    sequential pass) and takes every row's mean as a dot product."""
    k, n = differences.shape
    if n == 0 or resamples == 0:
        return [Interval(math.nan, math.nan)] * k
    rng = np.random.default_rng(seed)
    means = np.empty((resamples, k))
    dtype = np.int64 if n > 2**31 - 1 else np.int32
    for r in range(resamples):
        counts = np.bincount(rng.integers(0, n, size=n, dtype=dtype), minlength=n)
        means[r] = differences @ counts
    means /= n
    tail = (1.0 - level) / 2.0 * 100.0
    lows, highs = np.percentile(means, (tail, 100.0 - tail), axis=0)
    return [Interval(float(lo), float(hi)) for lo, hi in zip(lows, highs, strict=True)]


@dataclass(frozen=True)
class _Side:
    """One forecaster's per-question scores (NaN where they did not forecast)."""

    present: np.ndarray  # bool per question
    brier: np.ndarray
    log_loss: np.ndarray


def _author_code(data: ScoringData, name: str) -> int:
    try:
        return data.authors.index(name)
    except ValueError:
        raise ScoringError("author", f"{name!r} has no scored forecast here") from None


def _side(
    data: ScoringData, author: int, codes: np.ndarray, m: int, scores: tuple[np.ndarray, ...]
) -> _Side:
    mine = data.author_codes == author
    count = np.bincount(codes[mine], minlength=m).astype(np.float64)
    present = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        means = [np.bincount(codes[mine], weights=s[mine], minlength=m) / count for s in scores]
    return _Side(present, means[0], means[1])


def _murphy_inputs(
    data: ScoringData, periods: Periods, author: int, codes: np.ndarray, common: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, y, weight) of the author's statement periods on the common questions, weighted so
    that each question counts once."""
    f = periods.forecast
    keep = (data.author_codes[f] == author) & common[codes[f]]
    m = len(common)
    per_question = np.bincount(codes[data.author_codes == author], minlength=m).astype(np.float64)
    weight = periods.weights(len(data))[keep] / per_question[codes[f[keep]]]
    return periods.p[keep], data.y[f[keep]], weight


def head_to_head(
    data: ScoringData,
    a: str,
    b: str,
    *,
    resamples: int = 1000,
    seed: int = 20220121,
    level: float = 0.95,
    thresholds: np.ndarray | None = None,
    periods: Periods | None = None,
    brier: np.ndarray | None = None,
) -> HeadToHead:
    """``a`` against ``b`` on the questions both forecast (see the module's docstring).
    ``periods`` and ``brier`` may be passed when already computed for ``data``."""
    code_a, code_b = _author_code(data, a), _author_code(data, b)
    if code_a == code_b:
        raise ScoringError("author", f"compare {a!r} with someone else")
    periods = periods or statement_periods(data)
    brier = forecast_brier(data, periods) if brier is None else brier
    log_loss = forecast_log_loss(data, periods)
    codes, m = question_index(data)
    side_a = _side(data, code_a, codes, m, (brier, log_loss))
    side_b = _side(data, code_b, codes, m, (brier, log_loss))
    common = side_a.present & side_b.present
    d_brier = side_a.brier[common] - side_b.brier[common]
    d_log = side_a.log_loss[common] - side_b.log_loss[common]
    intervals = paired_bootstrap(
        np.stack((d_brier, d_log)), resamples=resamples, seed=seed, level=level
    )
    grid = DEFAULT_THRESHOLDS if thresholds is None else np.asarray(thresholds, np.float64)
    inputs_a = _murphy_inputs(data, periods, code_a, codes, common)
    inputs_b = _murphy_inputs(data, periods, code_b, codes, common)
    exact = exact_thresholds(inputs_a[0], inputs_b[0])
    n = int(common.sum())
    verdict = "none"
    if n:
        verdict = dominance(
            murphy_diagram(*inputs_a[:2], exact, inputs_a[2]),
            murphy_diagram(*inputs_b[:2], exact, inputs_b[2]),
        )

    def mean(values: np.ndarray) -> float | None:
        return float(values.mean()) if n else None

    return HeadToHead(
        a=a,
        b=b,
        questions=n,
        brier_a=mean(side_a.brier[common]),
        brier_b=mean(side_b.brier[common]),
        brier_difference=mean(d_brier),
        brier_interval=intervals[0] if n else None,
        log_loss_a=mean(side_a.log_loss[common]),
        log_loss_b=mean(side_b.log_loss[common]),
        log_loss_difference=mean(d_log),
        log_loss_interval=intervals[1] if n else None,
        wins=int(np.count_nonzero(d_brier < -TIE)),
        losses=int(np.count_nonzero(d_brier > TIE)),
        ties=int(np.count_nonzero(np.abs(d_brier) <= TIE)),
        thresholds=grid,
        murphy_a=murphy_diagram(*inputs_a[:2], grid, inputs_a[2]),
        murphy_b=murphy_diagram(*inputs_b[:2], grid, inputs_b[2]),
        dominance=verdict,
        resamples=resamples,
        level=level,
        seed=seed,
    )


__all__ = ["TIE", "HeadToHead", "head_to_head", "paired_bootstrap"]
