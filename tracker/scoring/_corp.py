"""CORP: Consistent, Optimally binned, Reproducible, PAV-based reliability
(Dimitriadis, Gneiting & Jordan 2021, PNAS 118(8) e2016191118).

The forecasts are recalibrated by isotonic regression of the outcomes on the forecasts
(the pool-adjacent-violators algorithm, scipy's C++ ``isotonic_regression``); forecasts
with the same value are pooled first, so tied forecasts always get one recalibrated value
(the CORP paper's rule, and scikit-learn's).  With the recalibrated ``c`` and the base
rate ``o``:

    MCB = BS(p) - BS(c)     miscalibration
    DSC = BS(o) - BS(c)     discrimination
    UNC = BS(o) = o(1 - o)  uncertainty          BS(p) = MCB - DSC + UNC

The consistency band is the pointwise 5%..95% range of the recalibrated curve when the
outcomes are redrawn as Bernoulli(p), i.e. what a perfectly calibrated forecaster with
these forecasts would show.  Redrawing is done per distinct forecast value (a binomial
count per value), which is exact and costs O(distinct values), not O(forecasts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: At most this many distinct forecast values are drawn point by point; above it the
#: curve and band are evaluated on a regular grid of GRID_POINTS points.
EXACT_POINTS = 400
GRID_POINTS = 201


@dataclass(frozen=True)
class Pooled:
    """Forecasts grouped by distinct value: value, count and number of YES outcomes."""

    value: np.ndarray
    count: np.ndarray
    yes: np.ndarray

    @classmethod
    def of(cls, p: np.ndarray, y: np.ndarray) -> Pooled:
        value, inverse, count = np.unique(p, return_inverse=True, return_counts=True)
        return cls(value, count, np.bincount(inverse, weights=y, minlength=len(value)))

    def recalibrate(self, yes: np.ndarray | None = None) -> np.ndarray:
        """PAV fit of the observed frequency on the forecast value, weighted by count."""
        from scipy.optimize import isotonic_regression  # here: scipy.optimize takes 0.1 s to load

        yes = self.yes if yes is None else yes
        fit: np.ndarray = isotonic_regression(
            yes / self.count, weights=self.count, increasing=True
        ).x
        return fit

    def brier_of(self, forecast: np.ndarray, yes: np.ndarray) -> np.ndarray:
        """Brier score of per-value ``forecast`` against ``yes`` counts (broadcasts over rows)."""
        n = self.count.sum()
        scores: np.ndarray = (self.count * np.square(forecast) - 2.0 * forecast * yes + yes).sum(
            axis=-1
        ) / n
        return scores


@dataclass(frozen=True)
class CorpResult:
    brier: float
    miscalibration: float
    discrimination: float
    uncertainty: float
    #: Points of the CORP reliability diagram: forecast value -> recalibrated probability.
    x: np.ndarray
    recalibrated: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    band_level: float
    resamples: int
    #: Share of calibrated redraws whose miscalibration is at least the observed one.
    miscalibration_p_value: float | None

    def residual(self) -> float:
        return self.brier - (self.miscalibration - self.discrimination + self.uncertainty)

    def to_json(self) -> dict[str, Any]:
        return {
            "brier": self.brier,
            "miscalibration": self.miscalibration,
            "discrimination": self.discrimination,
            "uncertainty": self.uncertainty,
            "miscalibration_p_value": self.miscalibration_p_value,
            "band_level": self.band_level,
            "resamples": self.resamples,
            "diagram": [
                {
                    "forecast": float(x),
                    "recalibrated": float(c),
                    "band_low": float(lo),
                    "band_high": float(hi),
                }
                for x, c, lo, hi in zip(
                    self.x, self.recalibrated, self.band_low, self.band_high, strict=True
                )
            ],
        }


def corp_decomposition(pooled: Pooled) -> tuple[float, float, float, float, np.ndarray]:
    """(BS, MCB, DSC, UNC, recalibrated value per distinct forecast)."""
    n = pooled.count.sum()
    base_rate = pooled.yes.sum() / n
    calibrated = pooled.recalibrate()
    score = float(pooled.brier_of(pooled.value, pooled.yes))
    score_cal = float(pooled.brier_of(calibrated, pooled.yes))
    uncertainty = float(base_rate * (1.0 - base_rate))
    return score, score - score_cal, uncertainty - score_cal, uncertainty, calibrated


def corp(
    p: np.ndarray,
    y: np.ndarray,
    *,
    resamples: int = 1000,
    level: float = 0.90,
    seed: int = 20220121,
    pooled: Pooled | None = None,
) -> CorpResult:
    """The CORP decomposition and reliability diagram with its consistency band."""
    if len(p) == 0:
        nan, empty = float("nan"), np.empty(0)
        return CorpResult(nan, nan, nan, nan, empty, empty, empty, empty, level, 0, None)
    pooled = pooled or Pooled.of(p, y)
    score, mcb, dsc, unc, calibrated = corp_decomposition(pooled)
    if len(pooled.value) <= EXACT_POINTS:
        x, at = pooled.value, np.arange(len(pooled.value))
    else:
        x = np.linspace(pooled.value[0], pooled.value[-1], GRID_POINTS)
        at = np.searchsorted(pooled.value, x, side="right") - 1
    curves, mcb_star = _redraws(pooled, at, resamples, seed)
    tail = (1.0 - level) / 2.0
    if resamples:
        low, high = np.quantile(curves, [tail, 1.0 - tail], axis=0)
        p_value = float(np.mean(mcb_star >= mcb - 1e-12))
    else:
        low = high = np.full(len(x), np.nan)
        p_value = None
    return CorpResult(score, mcb, dsc, unc, x, calibrated[at], low, high, level, resamples, p_value)


def _redraws(
    pooled: Pooled, at: np.ndarray, resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Recalibrated curves (at ``at``) and miscalibrations under calibrated redraws of the
    outcomes."""
    rng = np.random.default_rng(seed)
    curves = np.empty((resamples, len(at)))
    mcb = np.empty(resamples)
    for r in range(resamples):
        yes = rng.binomial(pooled.count, pooled.value).astype(np.float64)
        calibrated = pooled.recalibrate(yes)
        curves[r] = calibrated[at]
        mcb[r] = pooled.brier_of(pooled.value, yes) - pooled.brier_of(calibrated, yes)
    return curves, mcb
