"""Murphy diagrams: mean elementary scores over all thresholds (Ehm, Gneiting, Jordan &
Krüger 2016, JRSS-B 78, 505-562).

Every proper scoring rule for a probability forecast of a yes/no event is a mixture of the
*elementary scores*, one per threshold ``θ`` in (0, 1) (the loss of a decision maker who acts
when the probability exceeds ``θ``)::

    S_θ(p, y) = (1 - θ)  if y = 1 and p < θ      (acted too little: missed a yes)
              = θ        if y = 0 and p >= θ     (acted on a no)
              = 0        otherwise

A Murphy diagram plots the mean elementary score against ``θ`` (lower is better).  When one
forecaster's curve is nowhere above another's on the same events, the first is at least as
good under *every* proper scoring rule.  The Brier score is ``2 ∫ S_θ dθ``: the mean of the
curve over uniform thresholds is half the Brier score.

Each curve is a weighted cumulative sum over sorted forecasts: ``O((n + thresholds) log n)``.
"""

from __future__ import annotations

import numpy as np

#: the displayed grid: 1 %, 2 %, ..., 99 %
DEFAULT_THRESHOLDS = np.round(np.arange(1, 100) / 100.0, 2)
#: how far past a jump point :func:`exact_thresholds` looks for the curve's right limit
_RIGHT = 1e-9


def murphy_diagram(
    p: np.ndarray,
    y: np.ndarray,
    thresholds: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Mean elementary score at each threshold; with ``weights``, the weighted mean (a forecast
    held over several statement periods enters once per period, weighted by its share of the
    days, so that the weights of one forecast sum to 1)."""
    thresholds = DEFAULT_THRESHOLDS if thresholds is None else np.asarray(thresholds, np.float64)
    w = np.ones(len(p)) if weights is None else np.asarray(weights, np.float64)
    total = float(w.sum())
    if total == 0.0:
        return np.full(len(thresholds), np.nan)
    yes = y.astype(bool)
    # y = 1: (1 - θ) * weight of yes forecasts with p < θ
    p_yes, w_yes = _sorted(p[yes], w[yes])
    below = np.concatenate(([0.0], np.cumsum(w_yes)))[np.searchsorted(p_yes, thresholds, "left")]
    # y = 0: θ * weight of no forecasts with p >= θ
    p_no, w_no = _sorted(p[~yes], w[~yes])
    cum_no = np.concatenate(([0.0], np.cumsum(w_no)))
    at_or_above = cum_no[-1] - cum_no[np.searchsorted(p_no, thresholds, "left")]
    curve: np.ndarray = ((1.0 - thresholds) * below + thresholds * at_or_above) / total
    return curve


def _sorted(p: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(p, kind="stable")
    return p[order], w[order]


def exact_thresholds(*forecasts: np.ndarray) -> np.ndarray:
    """Thresholds at which two curves must be compared for :func:`dominates` to be exact.

    A curve changes slope only where ``θ`` passes a forecast value; between two such values
    it is linear in ``θ``, and so is the difference of two curves.  The difference is
    therefore nowhere positive iff it is not positive at each value (the left limit: the
    curve is left-continuous) and just past it (the right limit), and near 0 and 1."""
    values = np.unique(np.concatenate([np.asarray(f, np.float64) for f in forecasts]))
    values = values[(values > 0.0) & (values < 1.0)]
    points = np.concatenate(([_RIGHT, 1.0 - _RIGHT], values, values + _RIGHT))
    return np.unique(np.clip(points, _RIGHT, 1.0 - _RIGHT))


def dominates(curve_a: np.ndarray, curve_b: np.ndarray, tolerance: float = 1e-12) -> bool:
    """True when ``a`` is nowhere worse than ``b`` (``a <= b`` at every threshold, up to
    rounding) and better somewhere: ``a`` wins under every proper scoring rule."""
    a, b = np.asarray(curve_a), np.asarray(curve_b)
    return bool(np.all(a <= b + tolerance) and np.any(a < b - tolerance))


def dominance(curve_a: np.ndarray, curve_b: np.ndarray, tolerance: float = 1e-12) -> str:
    """``"a"`` or ``"b"`` (that one dominates), ``"equal"`` or ``"neither"`` (the curves cross:
    which is better depends on the scoring rule, i.e. on the user's costs)."""
    if dominates(curve_a, curve_b, tolerance):
        return "a"
    if dominates(curve_b, curve_a, tolerance):
        return "b"
    if np.allclose(curve_a, curve_b, rtol=0.0, atol=tolerance):
        return "equal"
    return "neither"


__all__ = [
    "DEFAULT_THRESHOLDS",
    "dominance",
    "dominates",
    "exact_thresholds",
    "murphy_diagram",
]
