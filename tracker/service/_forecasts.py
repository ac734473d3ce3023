"""Use cases on forecasts: import them, list and read them, record an author's later statement
or correct a mistyped value, resolve and reopen them by hand, and read the estimative scale
their words are scored with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from tracker.clock import today as utc_today
from tracker.domain import lifecycle, registry, statements
from tracker.domain.registry import (
    FilterChoices,
    ForecastDetail,
    ForecastFilter,
    ForecastPage,
    ForecastRow,
    ForecastSort,
    ImportReport,
)
from tracker.domain.scale import SCALE_TABLE_COLUMNS, EstimativeScale, ScaleEntry, scale_table_rows
from tracker.errors import InvalidInputError
from tracker.models import Forecast, Outcome, ProbabilityUpdate, Proposal
from tracker.resolution import ForecastResolutionSummary, summaries
from tracker.service._evidence import EVIDENCE_PER_PAGE, EvidencePage, evidence_pages

if TYPE_CHECKING:
    from tracker.settings import Settings


def import_forecasts(
    session: Session,
    paths: Iterable[Path],
    scale: EstimativeScale,
    *,
    actor: str,
    today: date | None = None,
    settings: Settings | None = None,
) -> ImportReport:
    """Validate forecast files (or folders of them) and import them, all or nothing: one
    :class:`~tracker.errors.ForecastImportError` lists every problem and nothing is written.
    Re-importing is idempotent; a changed probability becomes a dated update.  The
    ``settings`` give the sizes a file and its source text may have (defaults without)."""
    from tracker.service._forecast_files import file_limits  # the YAML parser: only here

    files = registry.load_files(paths, scale, file_limits(settings))
    return registry.import_files(
        session, files, today=today or utc_today(), actor=actor, scale=scale
    )


@dataclass(frozen=True)
class ListedForecast:
    """A row of the forecast list with where its resolution stands."""

    row: ForecastRow
    resolution: ForecastResolutionSummary

    def to_json(self) -> dict[str, Any]:
        return {
            **self.row.to_json(),
            "proposal": self.resolution.proposal_json(),
            "evidence": self.resolution.evidence,
            "evidence_negated": self.resolution.evidence_negated,
        }


def list_forecasts(session: Session, where: ForecastFilter) -> list[ListedForecast]:
    """Every forecast matching ``where``, soonest close first, each with its pending proposal and
    evidence counts.  The status is the one each forecast has today, swept or not."""
    rows = registry.list_forecasts(session, where)
    found = summaries(session, [row.id for row in rows])
    return [ListedForecast(row, found[row.id]) for row in rows]


def search_forecasts(
    session: Session,
    where: ForecastFilter,
    *,
    sort: ForecastSort = ForecastSort.CLOSES,
    cursor: str | None = None,
    per_page: int = 50,
) -> ForecastPage:
    """The page at ``cursor`` (None: the first) of the forecasts matching ``where`` (the web's
    list and ``GET /api/forecasts``; ``tracker forecasts list`` prints them all, through
    :func:`list_forecasts`)."""
    return registry.search_forecasts(session, where, sort=sort, cursor=cursor, per_page=per_page)


def filter_choices(session: Session) -> FilterChoices:
    """The statuses, tags, authors and sources a list can be filtered by (authors and sources
    None when too many for a pick list)."""
    return registry.filter_choices(session)


def forecast_detail(
    session: Session, forecast_id: str, today: date | None = None
) -> ForecastDetail:
    """A forecast with its source, tags, probability history, resolutions and audit log."""
    return registry.forecast_detail(session, forecast_id, today)


@dataclass(frozen=True)
class ForecastView:
    """A forecast's page: its detail, its pending proposal, and one page of each kind of
    evidence."""

    detail: ForecastDetail
    proposal: Proposal | None
    evidence: EvidencePage
    negated: EvidencePage


def forecast_view(
    session: Session,
    forecast_id: str,
    *,
    evidence_cursor: str | None = None,
    negated_cursor: str | None = None,
    per_page: int = EVIDENCE_PER_PAGE,
    today: date | None = None,
) -> ForecastView:
    """What a forecast's page shows (the web page and ``GET /api/forecasts/{id}``): the pages
    of its evidence at ``evidence_cursor`` and ``negated_cursor`` (None: the first)."""
    detail = registry.forecast_detail(session, forecast_id, today)
    proposal, counting, negated = evidence_pages(
        session,
        forecast_id,
        cursor=evidence_cursor,
        negated_cursor=negated_cursor,
        per_page=per_page,
    )
    return ForecastView(detail, proposal, counting, negated)


def _outcome(value: Outcome | str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError as exc:
        raise InvalidInputError(
            "outcome", f"{value!r} is not an outcome; give yes, no or annulled"
        ) from exc


def resolve_forecast(
    session: Session,
    forecast_id: str,
    outcome: Outcome | str,
    *,
    actor: str,
    note: str | None = None,
    evidence_links: Sequence[str] = (),
    today: date | None = None,
) -> Forecast:
    """Record an outcome by hand (yes, no or annulled), through the lifecycle's rules; an open
    forecast may be resolved early.  ``actor`` is recorded as who resolved it."""
    forecast = registry.get_forecast(session, forecast_id)
    lifecycle.resolve(
        session,
        registry.get_question(session, forecast.question_id),
        _outcome(outcome),
        actor=actor,
        note=note or None,
        evidence_links=evidence_links,
        today=today or utc_today(),
    )
    return forecast


def reopen_forecast(
    session: Session,
    forecast_id: str,
    *,
    actor: str,
    note: str | None,
    today: date | None = None,
) -> Forecast:
    """Undo a forecast's resolution (kept in its history, with the note saying why); it is open
    or closed again by its dates."""
    forecast = registry.get_forecast(session, forecast_id)
    question = registry.get_question(session, forecast.question_id)
    lifecycle.reopen(session, question, actor=actor, note=note, today=today or utc_today())
    return forecast


@dataclass(frozen=True)
class RecordedStatement:
    """A statement just recorded (or a correction) and the forecast it now stands for."""

    forecast: Forecast
    statement: ProbabilityUpdate


def update_forecast(
    session: Session,
    forecast_id: str,
    *,
    as_of: date,
    probability: float | None = None,
    estimate: str | None = None,
    quote: str | None = None,
    url: str | None = None,
    note: str | None = None,
    scale: EstimativeScale,
    actor: str,
    today: date | None = None,
) -> RecordedStatement:
    """Record a later statement of the author, with its own date, words and link: from ``as_of``
    on the forecast stands at ``probability`` (or the scale's value of ``estimate``).  Dated after
    the forecast opens, on or before it closes, not in the future; on a resolved forecast, before
    the day it was resolved (a statement made while it was open, entered late).  Audit-logged;
    the forecast's probability becomes its latest statement's."""
    forecast = registry.get_forecast(session, forecast_id)
    value = statements.read_value(scale, probability, estimate)
    statement = statements.entered_statement(as_of, value, quote=quote, url=url, note=note)
    row = statements.record_update(
        session, forecast, statement, actor=actor, today=today or utc_today()
    )
    return RecordedStatement(forecast, row)


def correct_forecast(
    session: Session,
    forecast_id: str,
    *,
    probability: float | None = None,
    estimate: str | None = None,
    note: str | None,
    scale: EstimativeScale,
    actor: str,
    statement_on: date | None = None,
) -> RecordedStatement:
    """Fix a data-entry error: the statement dated ``statement_on`` (default: the initial one)
    takes ``probability`` (keeping its words) or the scale's value of ``estimate`` (or both)
    instead of the value typed.  A
    note saying what was wrong is required; the old value stays in the history, marked replaced,
    and the audit log.  On a resolved forecast the score moves after the outcome was known: the
    scorecard flags the forecast "corrected after resolution"."""
    forecast = registry.get_forecast(session, forecast_id)
    row = statements.record_correction(
        session,
        forecast,
        scale,
        probability,
        estimate,
        note=note,
        actor=actor,
        statement_on=statement_on,
    )
    return RecordedStatement(forecast, row)


def scale_entries(scale: EstimativeScale, name: str | None = None) -> list[ScaleEntry]:
    """The terms of the estimative scale (of one of its scales), for `tracker scale`."""
    return scale.entries(name)


#: the columns of :func:`scale_table`
SCALE_COLUMNS = SCALE_TABLE_COLUMNS


def scale_table(scale: EstimativeScale, name: str | None = None) -> list[tuple[str, ...]]:
    """The scale as table rows (columns :data:`SCALE_COLUMNS`)."""
    return list(scale_table_rows(scale, name))
