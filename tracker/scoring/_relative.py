"""Per-forecast Brier and log scores over time, and the relative Brier score against the
median forecaster of each question (Good Judgment Open, Fatebook).

A forecast's Brier score here is the scorecard's: the mean over the days it stood of the daily
Brier score of the probability standing that day (time-weighted, as on GJ Open), which is its
plain Brier score when it never changed.  The log loss is averaged over the same days.

**Relative Brier**::

    relative_i = Brier_i - median of Brier_j over every forecast j on the question (i included)

Lower is better: negative beats the median forecaster.  Self is included in the median as on
GJ Open, where the median forecaster is the crowd's; with two forecasts the median is their
mean, so the two relative scores are ± half their difference.  A question with one forecast
gives NaN (it would compare the forecast with itself).
"""

from __future__ import annotations

import numpy as np

from tracker.scoring._data import ScoringData
from tracker.scoring._metrics import clipped_log, probability_of_outcome
from tracker.scoring._peer import Periods, question_index, statement_periods, time_averaged


def forecast_brier(data: ScoringData, periods: Periods | None = None) -> np.ndarray:
    """Per forecast, its Brier score averaged over the days it stood."""
    periods = periods or statement_periods(data)
    return time_averaged(data, periods, np.square(periods.p - data.y[periods.forecast]))


def forecast_log_loss(data: ScoringData, periods: Periods | None = None) -> np.ndarray:
    """Per forecast, its log loss in nats (clipped as the scorecard's) averaged over its days."""
    periods = periods or statement_periods(data)
    outcome = probability_of_outcome(periods.p, data.y[periods.forecast])
    return time_averaged(data, periods, -clipped_log(outcome))


def group_median(values: np.ndarray, codes: np.ndarray, m: int) -> np.ndarray:
    """The median of ``values`` in each of ``m`` groups (NaN for an empty group): one sort."""
    order = np.lexsort((values, codes))
    counts = np.bincount(codes, minlength=m)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    median = np.full(m, np.nan)
    some = counts > 0
    low = order[starts[some] + (counts[some] - 1) // 2]
    high = order[starts[some] + counts[some] // 2]
    median[some] = (values[low] + values[high]) / 2.0
    return median


def relative_brier(data: ScoringData, brier: np.ndarray | None = None) -> np.ndarray:
    """Per forecast, its Brier score minus the median Brier score of the forecasts on its
    question (lower is better; NaN on a question with one forecast)."""
    brier = forecast_brier(data) if brier is None else brier
    codes, m = question_index(data)
    counts = np.bincount(codes, minlength=m)
    relative: np.ndarray = brier - group_median(brier, codes, m)[codes]
    relative[counts[codes] < 2] = np.nan
    return relative


__all__ = ["forecast_brier", "forecast_log_loss", "group_median", "relative_brier"]
