"""Calibration tables: per probability bin, per verbal term, per author/source/tag.

Every row carries its count (a frequency of 2 out of 3 is not one of 200 out of 300) and
the Wilson score interval of the observed frequency, which unlike the normal
approximation stays inside [0, 1] and is sensible for the small counts of a pundit.

A group row also carries the 95 % Student-t interval of its mean Brier score
(:func:`mean_intervals`) and is marked ``too_few`` below :data:`MIN_JUDGED` forecasts
(docs/scores.md says why 20).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from tracker.scoring._metrics import LN2, LOG_CLIP
from tracker.scoring._murphy import BinSums, bin_edges

#: The two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975).
Z95 = 1.959963984540054
#: A group with fewer forecasts is marked too few to judge: below 20, the 95 % interval of a
#: mean Brier score (per-forecast spread about 0.2) is wider than ±0.1, the distance between
#: always saying 50 % (0.25) and a good forecaster (about 0.15).
MIN_JUDGED = 20


def wilson(successes: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (no continuity correction) for each ``successes`` out of ``n``;
    NaN where ``n`` is 0."""
    successes = np.atleast_1d(np.asarray(successes, dtype=np.float64))
    n = np.atleast_1d(np.asarray(n, dtype=np.float64))
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        phat = successes / n
        denom = 1.0 + z2 / n
        center = (phat + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(phat * (1.0 - phat) / n + z2 / (4.0 * n * n)) / denom
    low, high = np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)
    # Exact at the ends (rounding would put 1.0 a hair outside an interval it bounds).
    low[(successes == 0) & (n > 0)] = 0.0
    high[(successes == n) & (n > 0)] = 1.0
    return low, high


class BinPoint(NamedTuple):
    """A non-empty bin as a diagram draws it."""

    mean_forecast: float
    observed: float
    wilson_low: float
    wilson_high: float
    forecasts: int


@dataclass(frozen=True)
class CalibrationRow:
    label: str
    count: int
    mean_forecast: float | None
    observed: float | None
    wilson_low: float | None
    wilson_high: float | None
    low: float | None = None  # bin edges, for bin rows
    high: float | None = None

    def point(self) -> BinPoint | None:
        """The bin's point and Wilson interval, for a diagram; None for an empty bin."""
        m, o, low, high = self.mean_forecast, self.observed, self.wilson_low, self.wilson_high
        if not self.count or m is None or o is None or low is None or high is None:
            return None
        return BinPoint(m, o, low, high, self.count)

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def mean_intervals(
    codes: np.ndarray,
    values: np.ndarray,
    m: int,
    level: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, low, high) of ``values`` in each of ``m`` groups: the Student-t interval
    ``mean ± t(level, n-1) · s / √n`` (s the sample standard deviation), clipped to
    ``bounds``.  NaN interval below 2 values; NaN mean for an empty group.

    One pass for every group at once, unlike a bootstrap per group, whose cost (resamples ×
    forecasts) would be paid again for every breakdown.  At the small counts where the two
    differ, the percentile bootstrap is the narrower (it undercovers): the t interval errs
    on the side of caution, and such rows are marked too few anyway."""
    from scipy.special import stdtrit  # here: listing forecasts with their scores needs no scipy

    count = np.bincount(codes, minlength=m).astype(np.float64)
    total = np.bincount(codes, weights=values, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        deviation = values - mean[codes]
        var = np.bincount(codes, weights=deviation * deviation, minlength=m) / (count - 1.0)
        half = stdtrit(np.maximum(count - 1.0, 1.0), 0.5 + level / 2.0) * np.sqrt(var / count)
    half[count < 2] = np.nan
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    return count, mean, low, high


def calibration_table(sums: BinSums, n_bins: int) -> list[CalibrationRow]:
    """One row per bin, empty bins included (count 0), in increasing order."""
    mean_p, observed = sums.means()
    low, high = wilson(sums.sum_y, sums.count)
    edges = bin_edges(n_bins)
    rows = []
    for k in range(n_bins):
        lo_edge, hi_edge = float(edges[k]), float(edges[k + 1])
        label = f"{'[' if k == 0 else '('}{lo_edge:.0%}, {hi_edge:.0%}]"
        rows.append(
            CalibrationRow(
                label,
                int(sums.count[k]),
                _num(mean_p[k]),
                _num(observed[k]),
                _num(low[k]),
                _num(high[k]),
                lo_edge,
                hi_edge,
            )
        )
    return rows


@dataclass(frozen=True)
class GroupRow:
    """Scores of one group of forecasts (an author, a source, a tag, a verbal term)."""

    name: str
    count: int
    mean_forecast: float
    observed: float
    wilson_low: float
    wilson_high: float
    brier: float
    brier_tetlock: float
    log_loss: float
    metaculus_baseline: float
    #: 95 % Student-t interval of the mean Brier score (0-1 scale); None below 2 forecasts
    brier_low: float | None = None
    brier_high: float | None = None
    #: fewer than :data:`MIN_JUDGED` forecasts: too few to judge the group by
    too_few: bool = False

    @property
    def sample(self) -> str:
        """What a table shows beside a group too small to judge."""
        return f"too few (n < {MIN_JUDGED})" if self.too_few else ""

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


#: the label of the Brier score on Tetlock's 0-2 scale (what the literature on pundits reports)
TETLOCK_LABEL = "Brier (0–2, Tetlock)"


@dataclass(frozen=True)
class ScoreColumn:
    """One measure of a :class:`GroupRow`, as every table of groups shows it."""

    key: str  # the GroupRow field
    label: str
    digits: int | None  # decimals; None for a count
    brief: bool = True  # shown in compact tables (the web's sortable breakdowns)


#: the measures of a group of forecasts, in display order: the report tables, the CLI and the
#: web's sortable breakdowns all read this list
GROUP_COLUMNS: tuple[ScoreColumn, ...] = (
    ScoreColumn("count", "count", None),
    ScoreColumn("mean_forecast", "mean forecast", 3),
    ScoreColumn("observed", "observed frequency", 3),
    ScoreColumn("wilson_low", "Wilson 95% low", 3, brief=False),
    ScoreColumn("wilson_high", "Wilson 95% high", 3, brief=False),
    ScoreColumn("brier", "Brier (0–1)", 4),
    ScoreColumn("brier_tetlock", TETLOCK_LABEL, 4, brief=False),
    ScoreColumn("log_loss", "log loss", 4),
    ScoreColumn("metaculus_baseline", "baseline (Metaculus formula)", 2),
    ScoreColumn("brier_low", "Brier 95% low", 4, brief=False),
    ScoreColumn("brier_high", "Brier 95% high", 4, brief=False),
    ScoreColumn("sample", "sample size", None),
)


def group_table(
    codes: np.ndarray,
    names: list[str],
    p: np.ndarray,
    y: np.ndarray,
    brier_each: np.ndarray,
    log_each: np.ndarray,
) -> list[GroupRow]:
    """Scores per group; ``codes[i]`` is the index in ``names`` of forecast i's group
    (a forecast in several groups, like a tagged one, appears once per group: the
    arrays then hold one entry per (forecast, group) pair).  Largest groups first."""
    m = len(names)
    count = np.bincount(codes, minlength=m)
    sums = [np.bincount(codes, weights=w, minlength=m) for w in (p, y, brier_each, log_each)]
    low, high = wilson(sums[1], count)
    _, _, brier_low, brier_high = mean_intervals(codes, brier_each, m, bounds=(0.0, 1.0))
    rows = []
    for g in np.flatnonzero(count):
        c = count[g]
        loss = -sums[3][g] / c
        rows.append(
            GroupRow(
                name=names[g],
                count=int(c),
                mean_forecast=float(sums[0][g] / c),
                observed=float(sums[1][g] / c),
                wilson_low=float(low[g]),
                wilson_high=float(high[g]),
                brier=float(sums[2][g] / c),
                brier_tetlock=float(2.0 * sums[2][g] / c),
                log_loss=float(loss),
                metaculus_baseline=float(100.0 * (1.0 - loss / LN2)),
                brier_low=_num(brier_low[g]),
                brier_high=_num(brier_high[g]),
                too_few=bool(c < MIN_JUDGED),
            )
        )
    rows.sort(key=lambda r: (-r.count, r.name))
    return rows


__all__ = [
    "LOG_CLIP",
    "MIN_JUDGED",
    "Z95",
    "CalibrationRow",
    "GroupRow",
    "calibration_table",
    "group_table",
    "mean_intervals",
    "wilson",
]
