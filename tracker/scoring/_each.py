"""Each resolved forecast's own scores: where an author went wrong.

The scorecard averages per-forecast numbers; this module gives them one forecast at a time, for
a forecast's page, the lists, the costliest forecasts and the forecasts of a calibration bin.
Lower is better for all three:

- ``brier``: ``(p - y)^2`` of the standing probability (the statement in force last).  Its mean
  over the scorecard's forecasts is the scorecard's Brier score.
- ``time_weighted_brier``: each day the forecast was open scored with the probability standing
  that day, averaged (:mod:`tracker.scoring._timeweighted`); the same as ``brier`` for a
  forecast that never changed.  Its mean is the scorecard's time-weighted Brier.
- ``log_loss``: ``-ln`` of the probability given to what happened, clipped to
  ``[LOG_CLIP, 1 - LOG_CLIP]``, in nats.  Its mean is the scorecard's log loss.

Only forecasts resolved yes or no have scores; an unresolved or annulled one has none (never 0).
The filter-based functions score exactly what :func:`~tracker.scoring.compute_scorecard` scores
(forecasts past their close date, re-read under ``filters.scale``), and bin forecasts with its
rule (:func:`~tracker.scoring.bin_index`), so a bin's list adds up to the scorecard's row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlmodel import Session, col

from tracker.domain.scale import EstimativeScale
from tracker.errors import NotFoundError
from tracker.models import Forecast, Outcome, Status
from tracker.paging import Page, offset_of
from tracker.scoring import _data
from tracker.scoring._calibration import CalibrationRow, calibration_table
from tracker.scoring._data import ScorecardFilter
from tracker.scoring._metrics import clipped_log, probability_of_outcome
from tracker.scoring._murphy import BinSums
from tracker.scoring._peer import peer_scores
from tracker.scoring._scorecard import _time_weighted, reread

#: forecast ids per ``IN (...)`` query (SQLite allows 32,766 parameters)
_CHUNK = 5_000


@dataclass(frozen=True)
class OwnScore:
    """One resolved forecast's scores (lower is better); ``peer`` is its peer score where it has
    peers on its question (None until computed)."""

    id: str
    author: str
    question: str
    probability: float  # the probability scored: the standing one (re-read under a scale)
    outcome: str  # "yes" or "no"
    brier: float
    time_weighted_brier: float
    log_loss: float
    peer: float | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class _Arrays:
    """Forecasts in arrays with their scores, one entry per forecast."""

    ids: list[str]
    authors: list[str]
    p: np.ndarray
    y: np.ndarray
    brier: np.ndarray
    time_weighted: np.ndarray
    log_loss: np.ndarray

    @classmethod
    def of(
        cls, ids: list[str], authors: list[str], p: np.ndarray, y: np.ndarray, tw: np.ndarray
    ) -> _Arrays:
        """``tw``: the time-weighted Brier, NaN for a forecast without a history (its plain
        Brier, then, as on the scorecard)."""
        brier = np.square(p - y)
        return cls(
            ids,
            authors,
            p,
            y,
            brier,
            np.where(np.isnan(tw), brier, tw),
            -clipped_log(probability_of_outcome(p, y)),
        )

    def costliest_first(self, among: np.ndarray | None = None) -> np.ndarray:
        """Indexes (of ``among``, default all) by Brier, highest first, ties by forecast id."""
        index = np.arange(len(self.ids)) if among is None else among
        ids = np.array([self.ids[i] for i in index], dtype=str)
        return index[np.lexsort((ids, -self.brier[index]))]

    def scores(
        self,
        session: Session,
        index: Sequence[int] | np.ndarray,
        questions: dict[str, str] | None = None,
    ) -> list[OwnScore]:
        """The scores of the forecasts at ``index``; ``questions``: their questions' text by
        forecast id, read here when not given."""
        if questions is None:
            questions = _questions(session, [self.ids[i] for i in index])
        return [
            OwnScore(
                id=self.ids[i],
                author=self.authors[i],
                question=questions.get(self.ids[i], ""),
                probability=float(self.p[i]),
                outcome=Outcome.YES.value if self.y[i] else Outcome.NO.value,
                brier=float(self.brier[i]),
                time_weighted_brier=float(self.time_weighted[i]),
                log_loss=float(self.log_loss[i]),
            )
            for i in index
        ]


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def _questions(session: Session, ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(ids):
        query = select(col(Forecast.id), col(Forecast.question)).where(col(Forecast.id).in_(chunk))
        found.update((i, q) for i, q in session.execute(query))
    return found


# --- forecasts by id ----------------------------------------------------------------------------


def own_scores(session: Session, forecast_ids: Sequence[str]) -> dict[str, OwnScore]:
    """The scores of those of ``forecast_ids`` that are resolved yes or no, by id; the others
    (open, closed, annulled, unknown) are absent.  Scored with the statements in force, as the
    scorecard scores them.

    Every resolved forecast on their questions is loaded as the scorecard loads forecasts (the
    peers are part of a forecast's peer score), and the asked ones are picked out: three
    queries, whatever the number of forecasts; each round trip counted on a forecasts page."""
    asked = _asked(session, list(dict.fromkeys(forecast_ids)))
    if not asked:
        return {}
    questions = tuple(sorted({question_id for question_id, _text in asked.values()}))
    data = _data.load(session, ScorecardFilter(questions=questions), tags=False)
    index = [i for i, forecast_id in enumerate(data.ids) if forecast_id in asked]
    arrays = _arrays_of(data)
    peers = peer_scores(data)
    texts = {forecast_id: text for forecast_id, (_question, text) in asked.items()}
    return {
        s.id: dataclasses.replace(s, peer=float(peer) if np.isfinite(peer) else None)
        for s, peer in zip(arrays.scores(session, index, texts), peers[index], strict=True)
    }


def _asked(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(question id, question text) of each of ``ids`` resolved yes or no, by forecast id."""
    found: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        query = select(col(Forecast.id), col(Forecast.question_id), col(Forecast.question)).where(
            col(Forecast.id).in_(chunk),
            col(Forecast.status) == Status.RESOLVED.value,
            col(Forecast.outcome).in_([Outcome.YES.value, Outcome.NO.value]),
        )
        found.update((i, (q, text)) for i, q, text in session.execute(query))
    return found


# --- forecasts of a scorecard -------------------------------------------------------------------


def _scored(session: Session, filters: ScorecardFilter, scale: EstimativeScale) -> _Arrays:
    """The forecasts the scorecard of ``filters`` scores, as it scores them."""
    data, _early = _data.split_scored(_data.load(session, filters), filters.day())
    if filters.scale:
        data = dataclasses.replace(data, p=reread(data, scale, filters.scale)[0])
    return _arrays_of(data)


def _arrays_of(data: _data.ScoringData) -> _Arrays:
    """``data``'s forecasts with their scores, as the scorecard scores them."""
    authors = [data.authors[code] for code in data.author_codes]
    return _Arrays.of(data.ids, authors, data.p, data.y, _time_weighted(data))


def costliest(
    session: Session, filters: ScorecardFilter, n: int = 10, scale: EstimativeScale | None = None
) -> list[OwnScore]:
    """The ``n`` forecasts of the scorecard of ``filters`` with the highest Brier score, ties
    by id."""
    arrays = _scored(session, filters, scale or EstimativeScale.builtin())
    return arrays.scores(session, arrays.costliest_first()[: max(n, 0)])


@dataclass(frozen=True)
class CalibrationBin:
    """A bin of the scorecard's calibration table and one page of its forecasts, costliest
    first.  ``row`` is the scorecard's row for the bin (count, mean forecast, observed)."""

    index: int
    n_bins: int
    row: CalibrationRow
    forecasts: Page[OwnScore]


def calibration_bin(
    session: Session,
    filters: ScorecardFilter,
    k: int,
    scale: EstimativeScale | None = None,
    *,
    page: int = 1,
    per_page: int = 100,
) -> CalibrationBin:
    """Bin ``k`` (0 is the lowest) of the scorecard of ``filters`` with its forecasts; a bin
    the table has not is a :class:`~tracker.errors.NotFoundError`."""
    n_bins = filters.n_bins
    if not 0 <= k < n_bins:
        raise NotFoundError(
            "calibration bin", k, f"the {n_bins} bins are numbered 0 to {n_bins - 1}"
        )
    skip = offset_of(page, per_page)
    arrays = _scored(session, filters, scale or EstimativeScale.builtin())
    sums = BinSums.of(arrays.p, arrays.y, n_bins)
    members = arrays.costliest_first(np.flatnonzero(sums.index == k))
    shown = arrays.scores(session, members[skip : skip + per_page])
    return CalibrationBin(
        k,
        n_bins,
        calibration_table(sums, n_bins)[k],
        Page(shown, len(members), page, per_page),
    )


__all__ = [
    "CalibrationBin",
    "OwnScore",
    "calibration_bin",
    "costliest",
    "own_scores",
]
