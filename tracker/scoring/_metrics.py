"""Proper scores of binary forecasts, their skill and their bootstrap interval (numpy, vectorised).

Conventions (every function takes ``p``: float array of probabilities of YES, and
``y``: 0/1 array of outcomes, same length):

- Brier score on the 0-1 scale: mean of ``(p - y)**2``; the 0-2 scale of Brier's
  original two-category score, used in Tetlock's studies, is exactly twice it.
- Log score as *log loss* in nats (lower is better).  **Clipping policy**: the probability
  given to what happened is clipped to ``[LOG_CLIP, 1 - LOG_CLIP]`` (0.1% .. 99.9%, the range
  Metaculus accepts).  Words like "impossible" (Kent: 0) and "certain" (Kent: 1) would
  otherwise make a single miss cost an infinite score; the number of clipped forecasts is
  reported beside the score.
- Metaculus' baseline score: ``100 * (log2 p_outcome + 1)`` averaged (0 for always saying
  50%, 100 for certainty that came true; higher is better), with the same clipping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tracker.scoring._standing import LOG_CLIP as LOG_CLIP

LN2 = math.log(2.0)


def probability_of_outcome(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The probability each forecast gave to what actually happened."""
    return np.where(y.astype(bool), p, 1.0 - p)


def brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.square(p - y)))


def clipped_log(p_outcome: np.ndarray) -> np.ndarray:
    """Natural log of the probability of the outcome, after the clipping policy."""
    logs: np.ndarray = np.log(np.clip(p_outcome, LOG_CLIP, 1.0 - LOG_CLIP))
    return logs


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(clipped_log(probability_of_outcome(p, y))))


def clipped_count(p: np.ndarray) -> int:
    """How many forecasts the log-score clipping policy changes."""
    return int(np.count_nonzero((p < LOG_CLIP) | (p > 1.0 - LOG_CLIP)))


def metaculus_baseline_from_loss(loss: float) -> float:
    """Metaculus' baseline score from a mean log loss in nats: 100 (log2 p + 1) averaged."""
    return 100.0 * (1.0 - loss / LN2)


def skill(score: float, reference: float) -> float | None:
    """Skill score ``1 - score / reference``; None when the reference is 0 (nothing to beat)."""
    return None if reference <= 0.0 else 1.0 - score / reference


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def to_json(self) -> list[float]:
        return [self.low, self.high]


@dataclass(frozen=True)
class BootstrapResult:
    brier: Interval
    log_loss: Interval
    resamples: int
    level: float
    method: str  # "pooled" (multinomial over distinct values) or "indices"


def bootstrap(
    p: np.ndarray,
    y: np.ndarray,
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 20220121,
) -> BootstrapResult:
    """Percentile bootstrap intervals of the mean Brier score and the mean log loss.

    Both scores depend on a forecast only through the probability it gave to the outcome,
    so resampling forecasts is resampling those values.  When they take few distinct
    values (forecasts read from words), one resample is a multinomial draw of counts over
    the distinct values, exactly equivalent to drawing ``n`` indices and ``O(distinct)``
    instead of ``O(n)``.  Otherwise indices are drawn and counted.
    The seed is fixed so that a report is reproducible.
    """
    n = len(p)
    if n == 0:
        nan = Interval(math.nan, math.nan)
        return BootstrapResult(nan, nan, resamples, level, "none")
    rng = np.random.default_rng(seed)
    p_out = probability_of_outcome(p, y)
    values, counts = np.unique(p_out, return_counts=True)
    if len(values) * 8 <= n:
        method = "pooled"
        draws = rng.multinomial(n, counts / n, size=resamples).astype(np.float64)
        brier_means = draws @ np.square(1.0 - values) / n
        log_means = -(draws @ clipped_log(values)) / n
    else:
        method = "indices"
        # One resample = n indices drawn with replacement, turned into a count per forecast
        # (one sequential pass) and then into both means by dot products: cheaper than
        # gathering each per-forecast score at random positions.
        per_forecast = np.stack([np.square(1.0 - p_out), -clipped_log(p_out)])
        means = np.empty((resamples, 2))
        dtype = np.int64 if n > 2**31 - 1 else np.int32
        for r in range(resamples):
            counts = np.bincount(rng.integers(0, n, size=n, dtype=dtype), minlength=n)
            means[r] = per_forecast @ counts
        means /= n
        brier_means, log_means = means[:, 0], means[:, 1]
    tail = (1.0 - level) / 2.0 * 100.0
    qs = (tail, 100.0 - tail)
    b_lo, b_hi = np.percentile(brier_means, qs)
    l_lo, l_hi = np.percentile(log_means, qs)
    return BootstrapResult(
        Interval(float(b_lo), float(b_hi)),
        Interval(float(l_lo), float(l_hi)),
        resamples,
        level,
        method,
    )
