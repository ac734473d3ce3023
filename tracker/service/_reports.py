"""Use cases of reporting: the calibration report as bytes or as a file.

A report carries the resolver's record for the same forecasts (author, source, tag), and, when
they are several forecasters', a comparison of them, so the CLI's file, the web's download and
the demo's are the same document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sqlmodel import Session

from tracker.errors import ReportError
from tracker.reports import REPORT_PAIRS, ReportFormat, all_tables, render_report
from tracker.resolution import ResolverStats, resolver_stats
from tracker.scoring import (
    Comparison,
    Scorecard,
    ScoringData,
    compare,
    load_scored,
    question_index,
)


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


def report(
    session: Session, card: Scorecard, fmt: ReportFormat | str, table: str | None = None
) -> bytes:
    """The calibration report of ``card`` as the bytes of a file (html, pdf, csv, json, png or
    md), with the resolver's record for the same forecasts and, when they are several
    forecasters', a comparison section (not in PNG).  CSV is a zip of one file per table, or
    the one table named ``table``."""
    comparison = None if fmt == ReportFormat.png else _comparison_of(session, card)
    return render_report(
        card, fmt, resolver=_resolver_of(session, card), comparison=comparison, table=table
    )


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    size: int
    tables: int


def write_report(
    session: Session,
    card: Scorecard,
    fmt: ReportFormat | str,
    out: Path,
    table: str | None = None,
) -> WrittenReport:
    """Write the calibration report of ``card`` to ``out`` (with ``table``, that one table of
    the CSV report); a file that cannot be written is a :class:`~tracker.errors.ReportError`
    naming it."""
    stats = _resolver_of(session, card)
    comparison = None if fmt == ReportFormat.png else _comparison_of(session, card)
    data = render_report(card, fmt, resolver=stats, comparison=comparison, table=table)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise ReportError(
            f"cannot write the report ({exc.strerror or exc}); choose another output file", out
        ) from exc
    tables = 1 if table is not None else len(all_tables(card, stats, comparison))
    return WrittenReport(out, len(data), tables)
