"""Use cases of scoring and reporting: the scorecard, and the calibration report as a file.

Scores are computed at query time from the active resolutions and the probability history
(nothing is stored).  A report carries the resolver's record for the same forecasts (author,
source, tag), and, when they are several forecasters' forecasts, a comparison of them, so the
CLI's file, the web's download and the demo's are the same document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker import scoring
from tracker.domain.scale import EstimativeScale
from tracker.errors import ReportError
from tracker.models import AuditEntry, Forecast, Resolution
from tracker.reports import REPORT_PAIRS, ReportFormat, all_tables, render_report
from tracker.resolution import ResolverStats, resolver_stats
from tracker.scoring import (
    CalibrationBin,
    Comparison,
    OwnScore,
    ProgressCallback,
    Scorecard,
    ScorecardFilter,
    ScoringData,
    compare,
    compute_scorecard,
    load_scored,
    question_index,
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
    return compute_scorecard(session, filters, scale, progress)


def _check_scale(filters: ScorecardFilter, scale: EstimativeScale) -> None:
    """An unknown ``filters.scale`` is refused with the list of known scales."""
    if filters.scale:
        scale.entries(filters.scale)


def own_scores(session: Session, forecast_ids: Sequence[str]) -> dict[str, OwnScore]:
    """Each forecast's own scores (Brier, time-weighted Brier, log loss), by id, for those of
    ``forecast_ids`` resolved yes or no; the others have none and are absent."""
    return scoring.own_scores(session, forecast_ids)


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


def _resolver_of(session: Session, card: Scorecard) -> ResolverStats:
    f = card.filters
    return resolver_stats(session, author=f.author, source=f.source, tag=f.tag)


def shared_pairs(data: ScoringData, limit: int = REPORT_PAIRS) -> list[tuple[str, str]]:
    """The ``limit`` pairs of authors sharing the most questions (at least one), most first,
    then by name; each pair's names in alphabetical order.  One sparse product of the
    author-by-question incidence matrix counts every pair's common questions at once."""
    codes, m = question_index(data)
    ones = np.ones(len(data))
    incidence = csr_matrix((ones, (data.author_codes, codes)), shape=(len(data.authors), m))
    incidence.data[:] = 1.0  # an author with several forecasts on a question counts once
    common = (incidence @ incidence.T).tocoo()
    found: list[tuple[int, str, str]] = []
    for i, j, n in zip(common.row, common.col, common.data, strict=True):
        if i < j and n >= 1:
            a, b = sorted((data.authors[int(i)], data.authors[int(j)]))
            found.append((-int(n), a, b))
    return [(a, b) for _, a, b in sorted(found)[:limit]]


def _comparison_of(session: Session, card: Scorecard) -> Comparison | None:
    """The comparison section of ``card``'s report: every forecaster's peer and relative
    scores, and head to head for the pairs sharing the most questions; None for one
    forecaster.  Bootstrap resamples and seed are the scorecard's; probabilities as recorded
    (re-reading words under a scale changes the standing value only, not the statements)."""
    data = load_scored(session, card.filters)
    if len(np.unique(data.author_codes)) < 2:
        return None
    f = card.filters
    return compare(data, pairs=shared_pairs(data), resamples=f.resamples, seed=f.seed)


def report(session: Session, card: Scorecard, fmt: ReportFormat | str) -> bytes:
    """The calibration report of ``card`` as the bytes of a file (html, csv, json, png or md),
    with the resolver's record for the same forecasts and, when they are several
    forecasters', a comparison section (not in PNG)."""
    comparison = None if fmt == ReportFormat.png else _comparison_of(session, card)
    return render_report(card, fmt, resolver=_resolver_of(session, card), comparison=comparison)


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    size: int
    tables: int


def write_report(
    session: Session, card: Scorecard, fmt: ReportFormat | str, out: Path
) -> WrittenReport:
    """Write the calibration report of ``card`` to ``out``; a file that cannot be written is a
    :class:`~tracker.errors.ReportError` naming it."""
    stats = _resolver_of(session, card)
    comparison = None if fmt == ReportFormat.png else _comparison_of(session, card)
    data = render_report(card, fmt, resolver=stats, comparison=comparison)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise ReportError(
            f"cannot write the report ({exc.strerror or exc}); choose another output file", out
        ) from exc
    return WrittenReport(out, len(data), len(all_tables(card, stats, comparison)))


def scores_fingerprint(session: Session) -> tuple[int, int, int]:
    """(forecasts, resolutions, newest audit id): changes whenever anything scored changes, since
    every status change, resolution, reopening and import writes an audit entry in the same
    transaction.  One cheap query; the web app's scorecard cache is keyed on it."""
    row = session.execute(
        select(
            select(func.count()).select_from(Forecast).scalar_subquery(),
            select(func.count()).select_from(Resolution).scalar_subquery(),
            select(func.coalesce(func.max(col(AuditEntry.id)), 0)).scalar_subquery(),
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
