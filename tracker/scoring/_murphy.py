"""Binning and the binned Murphy decomposition with the generalised terms of
Stephenson, Coelho & Jolliffe (2008, Weather and Forecasting 23, 752-757).

**Bin-edge rule.** ``n_bins`` equal bins over [0, 1], closed on the right: bin ``k`` holds
``k/n < p <= (k+1)/n`` and the first bin also holds 0.  Forecasts mapped from words sit
exactly on decile edges (0.3 for "could", 0.7 for "likely"): they go to the bin they close
("20-30%", "60-70%"), the convention of scikit-learn's ``calibration_curve``.  A forecast
within 1e-9 of an edge counts as on it, so 0.7 lands in the same bin whether it was typed
or computed (``0.1 * 7 == 0.7000000000000001``).

With ``n_k`` forecasts in bin k, mean forecast ``f_k``, observed frequency ``o_k``,
overall frequency ``o``:

    REL  = sum n_k (f_k - o_k)^2 / n                 reliability (lower is better)
    RES  = sum n_k (o_k - o)^2 / n                   resolution
    UNC  = o (1 - o)                                 uncertainty
    WBV  = sum_i (f_i - f_k(i))^2 / n                within-bin variance of the forecasts
    WBC  = sum_i (f_i - f_k(i)) (o_i - o_k(i)) / n   within-bin covariance
    GRES = RES - WBV + 2 WBC                         generalised resolution

and then ``BS = REL - GRES + UNC`` exactly (the classic ``REL - RES + UNC`` only holds
when every forecast in a bin is the same).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

EDGE_TOLERANCE = 1e-9


def bin_index(p: np.ndarray, n_bins: int) -> np.ndarray:
    """The bin of each forecast under the right-closed rule above."""
    idx = np.ceil(p * n_bins - EDGE_TOLERANCE).astype(np.int64) - 1
    return np.clip(idx, 0, n_bins - 1, out=idx)


def bin_edges(n_bins: int) -> np.ndarray:
    return np.arange(n_bins + 1) / n_bins


@dataclass(frozen=True)
class BinSums:
    """Per-bin sums that the decomposition and the calibration table share."""

    index: np.ndarray  # bin of each forecast
    count: np.ndarray
    sum_p: np.ndarray
    sum_y: np.ndarray

    @classmethod
    def of(cls, p: np.ndarray, y: np.ndarray, n_bins: int) -> BinSums:
        index = bin_index(p, n_bins)
        return cls(
            index=index,
            count=np.bincount(index, minlength=n_bins),
            sum_p=np.bincount(index, weights=p, minlength=n_bins),
            sum_y=np.bincount(index, weights=y, minlength=n_bins),
        )

    def means(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean forecast and observed frequency per bin (NaN for empty bins)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sum_p / self.count, self.sum_y / self.count


@dataclass(frozen=True)
class MurphyDecomposition:
    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    within_bin_variance: float
    within_bin_covariance: float
    generalized_resolution: float
    n_bins: int

    def residual(self) -> float:
        """``BS - (REL - GRES + UNC)``: zero up to rounding."""
        return self.brier - (self.reliability - self.generalized_resolution + self.uncertainty)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def murphy(
    p: np.ndarray, y: np.ndarray, n_bins: int = 10, sums: BinSums | None = None
) -> MurphyDecomposition:
    """The generalised binned decomposition of the Brier score of ``p`` against ``y``."""
    n = len(p)
    if n == 0:
        nan = float("nan")
        return MurphyDecomposition(nan, nan, nan, nan, nan, nan, nan, n_bins)
    sums = sums or BinSums.of(p, y, n_bins)
    filled = sums.count > 0
    count = sums.count[filled]
    f_k = sums.sum_p[filled] / count
    o_k = sums.sum_y[filled] / count
    o = float(sums.sum_y.sum() / n)
    # Per-forecast deviations from their bin's means (empty bins are never gathered).
    f_of, o_of = np.zeros(n_bins), np.zeros(n_bins)
    f_of[filled], o_of[filled] = f_k, o_k
    dp = p - f_of[sums.index]
    dy = y - o_of[sums.index]
    rel = float(np.dot(count, np.square(f_k - o_k)) / n)
    res = float(np.dot(count, np.square(o_k - o)) / n)
    wbv = float(np.dot(dp, dp) / n)
    wbc = float(np.dot(dp, dy) / n)
    return MurphyDecomposition(
        brier=float(np.mean(np.square(p - y))),
        reliability=rel,
        resolution=res,
        uncertainty=o * (1.0 - o),
        within_bin_variance=wbv,
        within_bin_covariance=wbc,
        generalized_resolution=res - wbv + 2.0 * wbc,
        n_bins=n_bins,
    )
