"""The comparative scorecard: per-forecast peer and relative Brier scores, per-author means with
their intervals, and head-to-head comparisons of chosen pairs (docs/scores.md).

    comparison = compare(data, pairs=[("Trenin", "Galeotti")])
    comparison.authors[0].peer, comparison.head_to_head[0].brier_interval, comparison.to_json()

Every score is computed for all forecasts at once (:mod:`tracker.scoring._peer`,
:mod:`tracker.scoring._relative`); only the head-to-head bootstrap loops, over resamples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracker.scoring._calibration import MIN_JUDGED, mean_intervals
from tracker.scoring._data import ScoringData
from tracker.scoring._headtohead import HeadToHead, head_to_head
from tracker.scoring._metrics import Interval
from tracker.scoring._peer import peer_detail, question_index, statement_periods
from tracker.scoring._relative import forecast_brier, relative_brier


def _num(value: float | np.floating[Any] | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class AuthorComparison:
    """One author's comparative scores over their forecasts that have peers (another forecast
    on the same question): means with a 95 % Student-t interval, as the breakdown rows."""

    author: str
    forecasts: int
    with_peers: int
    peer: float | None  # mean peer score (higher is better)
    peer_interval: Interval | None
    relative_brier: float | None  # mean relative Brier (lower is better)
    relative_brier_interval: Interval | None
    coverage: float | None  # mean share of their questions' days their forecasts stood
    too_few: bool  # fewer than MIN_JUDGED forecasts with peers

    def to_json(self) -> dict[str, Any]:
        def interval(i: Interval | None) -> list[float] | None:
            return None if i is None else [i.low, i.high]

        return {
            "author": self.author,
            "forecasts": self.forecasts,
            "with_peers": self.with_peers,
            "peer": {"value": self.peer, "interval": interval(self.peer_interval)},
            "relative_brier": {
                "value": self.relative_brier,
                "interval": interval(self.relative_brier_interval),
            },
            "coverage": self.coverage,
            "too_few": self.too_few,
        }


@dataclass
class Comparison:
    """Per-forecast arrays (in the order of ``ids``) and the per-author and head-to-head
    summaries.  :meth:`to_json` is the shape the API and the reports serve."""

    ids: list[str]
    author_codes: np.ndarray  # per forecast, indexes author_names
    author_names: list[str]
    question_codes: np.ndarray  # per forecast, indexes question_names
    question_names: list[str]
    brier: np.ndarray
    peer: np.ndarray
    coverage: np.ndarray
    relative_brier: np.ndarray
    authors: list[AuthorComparison]
    head_to_head: list[HeadToHead] = field(default_factory=list)
    questions: int = 0
    shared_questions: int = 0  # questions with two forecasts or more
    level: float = 0.95

    def to_json(self, *, per_forecast: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "questions": self.questions,
            "shared_questions": self.shared_questions,
            "interval": {"level": self.level, "method": "student-t"},
            "min_judged": MIN_JUDGED,
            "authors": [a.to_json() for a in self.authors],
            "head_to_head": [h.to_json() for h in self.head_to_head],
        }
        if per_forecast:
            data["forecasts"] = [
                {
                    "id": forecast_id,
                    "author": self.author_names[self.author_codes[i]],
                    "question": self.question_names[self.question_codes[i]],
                    "brier": _num(self.brier[i]),
                    "peer": _num(self.peer[i]),
                    "coverage": _num(self.coverage[i]),
                    "relative_brier": _num(self.relative_brier[i]),
                }
                for i, forecast_id in enumerate(self.ids)
            ]
        return data


def _author_rows(
    data: ScoringData, peer: np.ndarray, relative: np.ndarray, coverage: np.ndarray, level: float
) -> list[AuthorComparison]:
    m = len(data.authors)
    forecasts = np.bincount(data.author_codes, minlength=m)
    shared = ~np.isnan(peer)
    codes = data.author_codes[shared]
    count, peer_mean, peer_low, peer_high = mean_intervals(codes, peer[shared], m, level)
    _, rel_mean, rel_low, rel_high = mean_intervals(codes, relative[shared], m, level)
    _, cover_mean, _, _ = mean_intervals(codes, coverage[shared], m, level)

    def interval(low: float, high: float) -> Interval | None:
        return None if math.isnan(low) else Interval(float(low), float(high))

    rows = [
        AuthorComparison(
            author=data.authors[g],
            forecasts=int(forecasts[g]),
            with_peers=int(count[g]),
            peer=_num(peer_mean[g]),
            peer_interval=interval(peer_low[g], peer_high[g]),
            relative_brier=_num(rel_mean[g]),
            relative_brier_interval=interval(rel_low[g], rel_high[g]),
            coverage=_num(cover_mean[g]),
            too_few=bool(count[g] < MIN_JUDGED),
        )
        for g in np.flatnonzero(forecasts)
    ]
    rows.sort(key=lambda r: (-r.with_peers, r.author))
    return rows


def compare(
    data: ScoringData,
    *,
    pairs: Sequence[tuple[str, str]] = (),
    resamples: int = 1000,
    seed: int = 20220121,
    level: float = 0.95,
) -> Comparison:
    """The comparative scores of ``data`` and a head-to-head for each of ``pairs`` (author
    names as in ``data.authors``; an unknown one is a :class:`~tracker.errors.ScoringError`)."""
    periods = statement_periods(data)
    peer = peer_detail(data, periods)
    brier = forecast_brier(data, periods)
    relative = relative_brier(data, brier)
    codes, m = question_index(data)
    per_question = np.bincount(codes, minlength=m)
    return Comparison(
        ids=data.ids,
        author_codes=data.author_codes,
        author_names=data.authors,
        question_codes=codes,
        question_names=data.questions if len(data.question_codes) == len(data) else data.ids,
        brier=brier,
        peer=peer.score,
        coverage=peer.coverage,
        relative_brier=relative,
        authors=_author_rows(data, peer.score, relative, peer.coverage, level),
        head_to_head=[
            head_to_head(
                data,
                a,
                b,
                resamples=resamples,
                seed=seed,
                level=level,
                periods=periods,
                brier=brier,
            )
            for a, b in pairs
        ],
        questions=int(np.count_nonzero(per_question)),
        shared_questions=int(np.count_nonzero(per_question >= 2)),
        level=level,
    )


__all__ = ["AuthorComparison", "Comparison", "compare"]
