"""Time-weighted Brier score for forecasts whose probability changed while they were open.

As on Good Judgment Open: every day a forecast was open is scored with the probability
standing that day, and the daily scores are averaged.  A forecast is open from its
``opens`` date (inclusive) to the earlier of its close date and the day it was resolved
(inclusive).  An update dated ``d`` stands from day ``d``; several on one day: the last
recorded wins; updates after the forecast stopped being open are ignored.
"""

from __future__ import annotations

import numpy as np


def time_weighted_brier(
    n_forecasts: int,
    y: np.ndarray,
    opens: np.ndarray,
    last_day: np.ndarray,
    update_forecast: np.ndarray,
    update_day: np.ndarray,
    update_p: np.ndarray,
) -> np.ndarray:
    """Per-forecast time-weighted Brier score (NaN for forecasts without updates given).

    Days are integers (e.g. proleptic ordinals).  ``update_*`` describe the probability
    history, one entry per update, **sorted by forecast, then day, then recording order**.
    """
    result = np.full(n_forecasts, np.nan)
    if len(update_forecast) == 0:
        return result
    start = np.maximum(update_day, opens[update_forecast])
    # Each update stands until the next update of the same forecast, or past the last day.
    end = last_day[update_forecast] + 1
    same_next = np.zeros(len(update_forecast), dtype=bool)
    same_next[:-1] = update_forecast[1:] == update_forecast[:-1]
    end = np.where(same_next, np.minimum(np.roll(update_day, -1), end), end)
    days = np.clip(end - start, 0, None).astype(np.float64)
    outcome = y[update_forecast]
    total_days = np.bincount(update_forecast, weights=days, minlength=n_forecasts)
    weighted = np.bincount(
        update_forecast, weights=days * np.square(update_p - outcome), minlength=n_forecasts
    )
    has_days = total_days > 0
    result[has_days] = weighted[has_days] / total_days[has_days]
    return result
