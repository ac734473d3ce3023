"""One forecast's Brier score in plain Python, for the forecasts list's table.

The table shows ``(p - y)^2`` of each resolved forecast's standing probability. Computing it
with :func:`tracker.scoring.own_scores` loaded numpy and the scorecard's modules (a fifth of the
command's start-up, `benchmarks/bench_cli.py`) to score twenty numbers; the JSON output, which
gives every score, still uses ``own_scores``. ``tests/test_own_scores.py`` checks that the two
agree on every resolved forecast.
"""

from __future__ import annotations


def standing_brier(probability: float, outcome: str | None) -> float | None:
    """``(p - y)^2`` of a forecast resolved ``"yes"`` or ``"no"`` with standing probability
    ``probability``; None for any other outcome (annulled, none yet): those have no score."""
    if outcome == "yes":
        return (1.0 - probability) ** 2
    if outcome == "no":
        return probability**2
    return None
