"""Calibration tables: per probability bin, per verbal term, per author/source/tag.

Every row carries its count (a frequency of 2 out of 3 is not one of 200 out of 300) and
the Wilson score interval of the observed frequency, which unlike the normal
approximation stays inside [0, 1] and is sensible for the small counts of a pundit.
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
    ScoreColumn("metaculus_baseline", "Metaculus baseline", 2),
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
            )
        )
    rows.sort(key=lambda r: (-r.count, r.name))
    return rows


__all__ = [
    "LOG_CLIP",
    "Z95",
    "CalibrationRow",
    "GroupRow",
    "calibration_table",
    "group_table",
    "wilson",
]
