"""Use cases of scoring and reporting: the scorecard, and the calibration report as a file.

Scores are computed at query time from the active resolutions and the probability history
(nothing is stored).  A report carries the resolver's record for the same forecasts (author,
source, tag), and, when they are several forecasters' forecasts, a comparison of them, so the
CLI's file, the web's download and the demo's are the same document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import Session

from tracker import scoring
from tracker.domain import audit
from tracker.models import Status

if TYPE_CHECKING:
    from tracker.domain.registry import ForecastRow
    from tracker.domain.scale import EstimativeScale
    from tracker.scoring import (
        CalibrationBin,
        OwnScore,
        ProgressCallback,
        Scorecard,
        ScorecardFilter,
        StandingScore,
    )


def scorecard(
    session: Session,
    filters: ScorecardFilter,
    scale: EstimativeScale,
    progress: ProgressCallback | None = None,
) -> Scorecard:
    """Proper scores with bootstrap intervals, decompositions, calibration tables, breakdowns and
    the scale-sensitivity table of the resolved forecasts past their close date that match
    ``filters``.  An unknown ``filters.scale`` is refused with the list of known scales."""
    _check_scale(filters, scale)
    return scoring.compute_scorecard(session, filters, scale, progress)


def _check_scale(filters: ScorecardFilter, scale: EstimativeScale) -> None:
    """An unknown ``filters.scale`` is refused with the list of known scales."""
    if filters.scale:
        scale.entries(filters.scale)


def own_scores(session: Session, forecast_ids: Sequence[str]) -> dict[str, OwnScore]:
    """Each forecast's own scores (Brier, time-weighted Brier, log loss), by id, for those of
    ``forecast_ids`` resolved yes or no; the others have none and are absent."""
    if not forecast_ids:
        return {}  # without loading the scoring code (numpy): `forecasts list` of open ones
    return scoring.own_scores(session, forecast_ids)


def list_scores(rows: Sequence[ForecastRow]) -> dict[str, StandingScore]:
    """The Brier score and log loss a forecasts list shows for each of ``rows`` resolved yes or
    no, by id, from the rows alone (no query: :mod:`tracker.scoring._standing`); the others are
    absent.  :func:`own_scores` gives these two and the rest."""
    found: dict[str, StandingScore] = {}
    for row in rows:
        score = (
            scoring.standing_score(row.probability, row.outcome)
            if row.status == Status.RESOLVED.value
            else None
        )
        if score is not None:
            found[row.id] = score
    return found


def costliest(
    session: Session, filters: ScorecardFilter, scale: EstimativeScale, n: int = 10
) -> list[OwnScore]:
    """The ``n`` forecasts of the scorecard of ``filters`` that cost the most (highest Brier,
    ties by id): where the author went wrong."""
    _check_scale(filters, scale)
    return scoring.costliest(session, filters, n, scale)


def calibration_bin(
    session: Session,
    filters: ScorecardFilter,
    k: int,
    scale: EstimativeScale,
    *,
    page: int = 1,
    per_page: int = 100,
) -> CalibrationBin:
    """Bin ``k`` of the scorecard's calibration table (0 is the lowest of ``filters.n_bins``):
    its row as the scorecard shows it, and one page of its forecasts, costliest first.  A bin
    out of range is a NotFoundError."""
    _check_scale(filters, scale)
    return scoring.calibration_bin(session, filters, k, scale, page=page, per_page=per_page)


def scores_fingerprint(session: Session) -> tuple[int]:
    """Changes whenever anything scored may have changed: the count of committed transactions
    that wrote the audit log (:func:`tracker.domain.audit.changes_seen`), since every status
    change, resolution, reopening, statement and import writes an audit entry in its
    transaction.  One row by its key; the web app's scorecard cache is keyed on it."""
    return (audit.changes_seen(session),)
