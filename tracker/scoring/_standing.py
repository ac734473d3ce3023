"""One forecast's Brier score and log loss in plain Python, for the forecasts lists.

The table shows ``(p - y)^2`` of each resolved forecast's standing probability. Computing it
with :func:`tracker.scoring.own_scores` loaded numpy and the scorecard's modules (a fifth of the
command's start-up, `benchmarks/bench_cli.py`) to score twenty numbers, and on the web page
four queries (a page's peers are loaded for their peer scores, which the list does not show: a
third of a search's time on PostgreSQL). The JSON outputs, which give every score, still use
``own_scores``. ``tests/test_own_scores.py`` and ``tests/test_web_own_scores.py`` check that
they agree on every resolved forecast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: probabilities are clipped to [LOG_CLIP, 1 - LOG_CLIP] before a log is taken (log loss)
LOG_CLIP = 0.001


@dataclass(frozen=True)
class StandingScore:
    """The Brier score and log loss of a resolved forecast's standing probability."""

    brier: float
    log_loss: float


def standing_brier(probability: float, outcome: str | None) -> float | None:
    """``(p - y)^2`` of a forecast resolved ``"yes"`` or ``"no"`` with standing probability
    ``probability``; None for any other outcome (annulled, none yet): those have no score."""
    if outcome == "yes":
        return (1.0 - probability) ** 2
    if outcome == "no":
        return probability**2
    return None


def standing_score(probability: float, outcome: str | None) -> StandingScore | None:
    """Brier score and log loss (in nats, clipped as the scorecard clips) of a forecast resolved
    ``"yes"`` or ``"no"``; None for any other outcome."""
    brier = standing_brier(probability, outcome)
    if brier is None:
        return None
    given = probability if outcome == "yes" else 1.0 - probability
    return StandingScore(brier, -math.log(min(max(given, LOG_CLIP), 1.0 - LOG_CLIP)))
