"""Loading resolved forecasts from the database into numpy arrays.

Scores are never stored: they are computed from ``Forecast.outcome`` (the mirror of the
active :class:`~tracker.models.Resolution`, kept in step by :mod:`tracker.domain.lifecycle` in the
same transaction) and the :class:`~tracker.models.ProbabilityUpdate` history at query
time, so a re-resolution or a reopening changes the scores at once.  Rows are read with
plain SQL selects, column-wise, in partitions (no ORM object per forecast).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from tracker.clock import today
from tracker.domain import lifecycle
from tracker.errors import ScoringError
from tracker.models import (
    Forecast,
    ForecastTag,
    Outcome,
    ProbabilityUpdate,
    Question,
    Source,
    Status,
)

#: ``progress(step, done, total)``: called as long work advances (the CLI draws a bar).
ProgressCallback = Callable[[str, int, int], None]

_PARTITION = 50_000
#: any select statement (the filters add conditions and joins, not columns)
_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class ScorecardFilter:
    """Which forecasts a scorecard covers, and how it is computed.

    ``as_of`` is the day the scorecard is drawn up (default: today, UTC): only forecasts
    whose close date is before it are scored.  ``author`` matches part of the name, case
    ignored, unless ``exact_author`` (an author's page: "Ann" is not "Joanna"); ``source``
    is a source key; ``tag`` a tag; ``resolved_between`` bounds the
    date of the active resolution, both ends included.  ``scale`` re-reads every verbal
    estimate under that scale of the estimative table before scoring.
    """

    author: str | None = None
    exact_author: bool = False
    #: only the forecasts on these questions (a question's peers; not a user-facing filter)
    questions: tuple[str, ...] | None = None
    source: str | None = None
    tag: str | None = None
    resolved_between: tuple[date, date] | None = None
    as_of: date | None = None
    scale: str | None = None
    n_bins: int = 10
    resamples: int = 1000
    seed: int = 20220121

    def __post_init__(self) -> None:
        if self.resolved_between and self.resolved_between[1] < self.resolved_between[0]:
            first, last = self.resolved_between
            raise ScoringError(
                "resolved between", f"{first} is after {last}; give the earlier date first"
            )

    def day(self) -> date:
        return self.as_of or today()

    def to_json(self) -> dict[str, Any]:
        exact: dict[str, Any] = {"exact_author": True} if self.exact_author else {}
        if self.questions is not None:
            exact["questions"] = list(self.questions)
        return {
            "author": self.author,
            **exact,
            "source": self.source,
            "tag": self.tag,
            "resolved_between": [d.isoformat() for d in self.resolved_between]
            if self.resolved_between
            else None,
            "as_of": self.day().isoformat(),
            "scale": self.scale,
            "n_bins": self.n_bins,
            "resamples": self.resamples,
            "seed": self.seed,
        }


@dataclass
class ScoringData:
    """Resolved (yes/no) forecasts matching a filter, one array entry per forecast."""

    ids: list[str]
    p: np.ndarray  # standing probability of YES
    y: np.ndarray  # 1.0 for YES, 0.0 for NO
    opens: np.ndarray  # proleptic ordinals
    closes: np.ndarray
    resolved: np.ndarray  # ordinal of the active resolution's date
    from_scale: np.ndarray  # bool: the probability was read from the scale
    term_codes: np.ndarray
    terms: list[str]
    source_codes: np.ndarray
    sources: list[str]
    author_codes: np.ndarray  # indexes ``authors``
    authors: list[str]
    tag_forecast: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    tag_codes: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    tags: list[str] = field(default_factory=list)
    update_forecast: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    update_day: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    update_p: np.ndarray = field(default_factory=lambda: np.empty(0))
    #: bool per forecast: a value was corrected while it was resolved (empty: none was)
    corrected: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    #: per forecast, its question (indexes ``questions``); empty: each forecast is its own
    question_codes: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    questions: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def corrected_after_resolution(self) -> np.ndarray:
        """Per forecast: its value was corrected once its outcome was known."""
        return self.corrected if len(self.corrected) == len(self) else np.zeros(len(self), bool)

    def subset(self, mask: np.ndarray) -> ScoringData:
        """The forecasts where ``mask`` is true (tags and updates re-indexed)."""
        new_index = np.cumsum(mask) - 1
        keep_tags = mask[self.tag_forecast] if len(self.tag_forecast) else np.zeros(0, bool)
        keep_updates = (
            mask[self.update_forecast] if len(self.update_forecast) else np.zeros(0, bool)
        )
        return ScoringData(
            ids=[i for i, m in zip(self.ids, mask, strict=True) if m],
            p=self.p[mask],
            y=self.y[mask],
            opens=self.opens[mask],
            closes=self.closes[mask],
            resolved=self.resolved[mask],
            from_scale=self.from_scale[mask],
            term_codes=self.term_codes[mask],
            terms=self.terms,
            source_codes=self.source_codes[mask],
            sources=self.sources,
            author_codes=self.author_codes[mask],
            authors=self.authors,
            tag_forecast=new_index[self.tag_forecast[keep_tags]],
            tag_codes=self.tag_codes[keep_tags],
            tags=self.tags,
            update_forecast=new_index[self.update_forecast[keep_updates]],
            update_day=self.update_day[keep_updates],
            update_p=self.update_p[keep_updates],
            corrected=self.corrected_after_resolution()[mask],
            question_codes=self.question_codes[mask]
            if len(self.question_codes) == len(self)
            else np.empty(0, np.int64),
            questions=self.questions,
        )


@dataclass(frozen=True)
class Counts:
    """Forecasts matching the filter that are not scored, and why."""

    annulled: int
    unresolved: int  # open or closed without an outcome
    resolved_early: list[str]  # resolved, close date not yet passed: scored after it


def _filtered(query: _Query, filters: ScorecardFilter) -> _Query:
    query = query.join(Source, col(Source.id) == col(Forecast.source_id))
    if filters.author and filters.exact_author:
        query = query.where(col(Source.author) == filters.author)
    elif filters.author:
        # part of a name; `%` and `_` in it are literal (SQLAlchemy escapes them)
        query = query.where(col(Source.author).icontains(filters.author, autoescape=True))
    if filters.questions is not None:
        query = query.where(col(Forecast.question_id).in_(filters.questions))
    if filters.source:
        query = query.where(col(Source.key) == filters.source)
    if filters.tag:
        tagged = select(col(ForecastTag.forecast_id)).where(
            col(ForecastTag.tag) == filters.tag.strip().lower()
        )
        query = query.where(col(Forecast.id).in_(tagged))
    return query


def _resolved(query: _Query, filters: ScorecardFilter) -> _Query:
    query = _filtered(query, filters).where(
        col(Forecast.status) == Status.RESOLVED.value,
        col(Forecast.outcome).in_([Outcome.YES.value, Outcome.NO.value]),
    )
    if filters.resolved_between:
        first, last = filters.resolved_between
        query = query.where(
            col(Forecast.resolved_at) >= datetime.combine(first, time.min, UTC),
            col(Forecast.resolved_at) < datetime.combine(last + timedelta(days=1), time.min, UTC),
        )
    return query


class _Codes:
    """Strings -> small integer codes, in order of first appearance."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def code(self, value: str) -> int:
        return self.index.setdefault(value, len(self.index))

    def names(self) -> list[str]:
        return list(self.index)


def load(
    session: Session,
    filters: ScorecardFilter,
    progress: ProgressCallback | None = None,
    *,
    tags: bool = True,
) -> ScoringData:
    """Every resolved forecast matching ``filters`` (early ones too; see :func:`split_scored`);
    ``tags=False`` leaves the tags out (own and peer scores read none).  The forecasts are
    counted first only to show ``progress``."""
    columns = (
        col(Forecast.id),
        col(Forecast.probability),
        col(Forecast.outcome),
        col(Forecast.opens),
        col(Forecast.closes),
        col(Forecast.resolved_at),
        col(Forecast.probability_from_scale),
        col(Forecast.estimate),
        col(Source.key),
        col(Source.author),
        col(Forecast.corrected_after_resolution),
        col(Forecast.question_id),
    )
    total = (
        session.execute(
            _resolved(select(func.count(col(Forecast.id))).select_from(Forecast), filters)
        ).scalar_one()
        if progress
        else 0
    )
    query = _resolved(select(*columns).select_from(Forecast), filters).order_by(col(Forecast.id))
    raw: list[list[Any]] = [[] for _ in columns]
    # streamed in parts only to show progress: on PostgreSQL that is a server-side cursor, three
    # more round trips for a page's few peers
    result = session.execute(query.execution_options(yield_per=_PARTITION) if progress else query)
    done = 0
    for part in result.partitions(_PARTITION):
        for column, values in zip(raw, zip(*part, strict=True), strict=True):
            column.extend(values)
        done += len(part)
        if progress:
            progress("loading forecasts", done, total)
    (
        ids,
        prob,
        outcome,
        opens,
        closes,
        resolved_at,
        from_scale,
        estimate,
        source_key,
        author,
        corrected,
        question_id,
    ) = raw
    terms, sources, authors, questions = _Codes(), _Codes(), _Codes(), _Codes()
    data = ScoringData(
        ids=ids,
        p=np.asarray(prob, dtype=np.float64),
        y=np.fromiter((o == Outcome.YES.value for o in outcome), dtype=np.float64, count=len(ids)),
        opens=np.fromiter((d.toordinal() for d in opens), dtype=np.int64, count=len(ids)),
        closes=np.fromiter((d.toordinal() for d in closes), dtype=np.int64, count=len(ids)),
        resolved=np.fromiter(
            (d.date().toordinal() for d in resolved_at), dtype=np.int64, count=len(ids)
        ),
        from_scale=np.asarray(from_scale, dtype=bool),
        term_codes=np.fromiter(map(terms.code, estimate), dtype=np.int64, count=len(ids)),
        terms=[],
        source_codes=np.fromiter(map(sources.code, source_key), dtype=np.int64, count=len(ids)),
        sources=[],
        author_codes=np.fromiter(map(authors.code, author), dtype=np.int64, count=len(ids)),
        authors=[],
        corrected=np.asarray(corrected, dtype=bool),
        question_codes=np.fromiter(
            map(questions.code, question_id), dtype=np.int64, count=len(ids)
        ),
    )
    data.terms, data.sources, data.authors = terms.names(), sources.names(), authors.names()
    data.questions = questions.names()
    position = {forecast_id: i for i, forecast_id in enumerate(ids)}
    if tags:
        _load_tags(session, filters, data, position)
    _load_updates(session, filters, data, position)
    return data


def _load_tags(
    session: Session, filters: ScorecardFilter, data: ScoringData, position: dict[str, int]
) -> None:
    query = _resolved(
        select(col(ForecastTag.forecast_id), col(ForecastTag.tag))
        .select_from(ForecastTag)
        .join(Forecast, col(Forecast.id) == col(ForecastTag.forecast_id)),
        filters,
    )
    # ordered here, not by the query: asked to order by tag, SQLite walked the whole tag index in
    # order instead of looking up the few forecasts of a page's peers (300 ms at 200,000 tags)
    rows = sorted(session.execute(query).all(), key=lambda r: (r[1], r[0]))
    codes = _Codes()
    data.tag_forecast = np.fromiter((position[r[0]] for r in rows), dtype=np.int64, count=len(rows))
    data.tag_codes = np.fromiter((codes.code(r[1]) for r in rows), dtype=np.int64, count=len(rows))
    data.tags = codes.names()


def _updates_of_resolved(query: _Query, filters: ScorecardFilter) -> _Query:
    """``query`` over the probability updates of the resolved forecasts matching ``filters``."""
    return _resolved(
        query.select_from(ProbabilityUpdate).join(
            Forecast, col(Forecast.id) == col(ProbabilityUpdate.forecast_id)
        ),
        filters,
    )


def _load_updates(
    session: Session, filters: ScorecardFilter, data: ScoringData, position: dict[str, int]
) -> None:
    """The probability history of forecasts with more than one statement: of a statement and
    its corrections only the newest row is in force, at the statement's date and in its place
    (a correction replaces a period, never adds one)."""
    statement = func.coalesce(col(ProbabilityUpdate.corrects_id), col(ProbabilityUpdate.id))
    # Grouped over the filter's forecasts only, not the whole table: a page's peers (a few
    # questions) must not aggregate every forecast's history.
    changed = (
        _updates_of_resolved(select(col(ProbabilityUpdate.forecast_id)), filters)
        .group_by(col(ProbabilityUpdate.forecast_id))
        .having(func.count(func.distinct(statement)) > 1)
    )
    query = _updates_of_resolved(
        select(
            col(ProbabilityUpdate.forecast_id),
            col(ProbabilityUpdate.as_of),
            statement,
            col(ProbabilityUpdate.id),
            col(ProbabilityUpdate.probability),
        ),
        filters,
    ).where(col(ProbabilityUpdate.forecast_id).in_(changed))
    in_force: dict[tuple[int, int], tuple[int, int, float]] = {}
    for forecast_id, day, statement_id, row_id, p in session.execute(query):
        key = (position[forecast_id], statement_id)
        if key not in in_force or row_id > in_force[key][1]:
            in_force[key] = (day.toordinal(), row_id, p)
    # Sorted here by (position, day, statement): ids collate differently in SQLite and PostgreSQL.
    rows = sorted((f, day, statement_id, p) for (f, statement_id), (day, _, p) in in_force.items())
    data.update_forecast = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    data.update_day = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    data.update_p = np.fromiter((r[3] for r in rows), dtype=np.float64, count=len(rows))


def split_scored(data: ScoringData, as_of: date) -> tuple[ScoringData, list[str]]:
    """(forecasts past their close date, ids of those resolved before it).

    Only forecasts whose close date has passed are scored: a forecast resolved YES early
    would otherwise enter the scores while its NO siblings still wait for their close
    date, and calibration would lean towards YES.
    """
    past = data.closes < as_of.toordinal()
    early = [i for i, m in zip(data.ids, past, strict=True) if not m]
    return (data if past.all() else data.subset(past)), early


def load_scored(session: Session, filters: ScorecardFilter) -> ScoringData:
    """The forecasts a scorecard with ``filters`` scores (see :func:`split_scored`)."""
    return split_scored(load(session, filters), filters.day())[0]


def count_unscored(session: Session, filters: ScorecardFilter) -> tuple[int, int]:
    """(annulled, unresolved) forecasts matching the filter."""
    query = _filtered(
        select(col(Forecast.status), func.count(col(Forecast.id))).select_from(Forecast), filters
    )
    by_status = dict(session.execute(query.group_by(col(Forecast.status))).all())
    annulled = by_status.get(Status.ANNULLED.value, 0)
    unresolved = by_status.get(Status.OPEN.value, 0) + by_status.get(Status.CLOSED.value, 0)
    return int(annulled), int(unresolved)


def count_needs_outcome(session: Session, filters: ScorecardFilter) -> int:
    """Unresolved forecasts matching the filter whose question needs an analyst's outcome as of
    the scorecard's day (a proposal rejected after the close date: ``lifecycle.needs_outcome``);
    part of the unresolved count."""
    query = _filtered(
        select(func.count(col(Forecast.id)))
        .select_from(Forecast)
        .join(Question, col(Question.id) == col(Forecast.question_id))
        .where(lifecycle.needs_outcome(filters.day())),
        filters,
    )
    return int(session.execute(query).scalar_one())
