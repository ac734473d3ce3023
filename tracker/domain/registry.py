"""The forecast registry: importing forecast files and reading forecasts back.

An import is all-or-nothing: :func:`load_files` validates every file first and raises
one :class:`~tracker.errors.ForecastImportError` listing every problem; only then does
:func:`import_files` write, in the caller's single transaction.  Re-importing is
idempotent: nothing is duplicated, and a changed probability becomes a dated
:class:`~tracker.models.ProbabilityUpdate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from tracker.clock import today as utc_today
from tracker.clock import utcnow
from tracker.domain import audit, lifecycle
from tracker.domain.forecast_files import ForecastFile, ParsedForecast, load_forecast_file
from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastFileError, ForecastImportError, NotFoundError
from tracker.models import (
    AuditEntry,
    Forecast,
    ForecastTag,
    ProbabilityUpdate,
    Resolution,
    Source,
    Status,
)
from tracker.paging import Page, offset_of


@dataclass
class ImportReport:
    files: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    probability_changes: list[tuple[str, float, float]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the ``*.yaml`` / ``*.yml`` files directly inside it."""
    result: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            result.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        else:
            result.append(path)
    return result


def load_files(paths: Iterable[Path], scale: EstimativeScale) -> list[ForecastFile]:
    """Validate every file; raise one ForecastImportError with all problems, or return them all."""
    files, problems = [], []
    owner: dict[str, tuple[Path, int]] = {}
    expanded = expand_paths(paths)
    if not expanded:
        raise ForecastImportError(
            [ForecastFileError(", ".join(map(str, paths)) or ".", "no forecast files found")]
        )
    for path in expanded:
        loaded, file_problems = load_forecast_file(path, scale)
        problems += file_problems
        if loaded is None:
            continue
        for parsed in loaded.forecasts:
            first = owner.setdefault(parsed.spec.id, (path, parsed.line))
            if first != (path, parsed.line):
                problems.append(
                    ForecastFileError(
                        path,
                        f"duplicate id (already used in {first[0]}:{first[1]})",
                        line=parsed.line,
                        forecast_id=parsed.spec.id,
                        field="id",
                    )
                )
        files.append(loaded)
    if problems:
        raise ForecastImportError(problems)
    return files


def import_files(
    session: Session, files: Sequence[ForecastFile], *, today: date, actor: str
) -> ImportReport:
    """Write validated files in the caller's transaction (see :func:`load_files`)."""
    _refuse_foreign_ids(session, files)
    report = ImportReport(files=len(files))
    for forecast_file in files:
        source = _upsert_source(session, forecast_file, actor)
        for parsed in forecast_file.forecasts:
            _upsert_forecast(session, source, parsed, today=today, actor=actor, report=report)
    session.flush()
    report.closed = lifecycle.close_expired(session, today)
    return report


def _refuse_foreign_ids(session: Session, files: Sequence[ForecastFile]) -> None:
    problems = []
    for forecast_file in files:
        ids = [p.spec.id for p in forecast_file.forecasts]
        rows = session.exec(
            select(col(Forecast.id), col(Source.key)).join(Source).where(col(Forecast.id).in_(ids))
        ).all()
        for forecast_id, key in rows:
            if key != forecast_file.key:
                line = next(p.line for p in forecast_file.forecasts if p.spec.id == forecast_id)
                problems.append(
                    ForecastFileError(
                        forecast_file.path,
                        f"this id already belongs to source {key!r}; choose another id",
                        line=line,
                        forecast_id=forecast_id,
                        field="id",
                    )
                )
    if problems:
        raise ForecastImportError(problems)


def _upsert_source(session: Session, forecast_file: ForecastFile, actor: str) -> Source:
    spec = forecast_file.source
    values: dict[str, Any] = {
        "title": spec.title,
        "author": spec.author,
        "publisher": spec.publisher,
        "url": spec.url,
        "published": spec.published,
    }
    source = session.exec(select(Source).where(col(Source.key) == forecast_file.key)).first()
    if source is None:
        source = Source(key=forecast_file.key, **values)
        session.add(source)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="source", entity_id=source.key)
        return source
    changed = {k: v for k, v in values.items() if getattr(source, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(source, key, value)
        audit.record(
            session,
            actor=actor,
            action="update",
            entity="source",
            entity_id=source.key,
            detail={"fields": sorted(changed)},
        )
    return source


def _forecast_values(parsed: ParsedForecast, source: Source) -> dict[str, Any]:
    spec = parsed.spec
    resolution = spec.resolution
    known = set(type(spec).model_fields)
    return {
        "source_id": source.id,
        "question": spec.question,
        "quote": spec.quote,
        "estimate": spec.estimate,
        "vague": parsed.vague,
        "probability_from_scale": parsed.probability_from_scale,
        "opens": spec.opens,
        "closes": spec.closes,
        "criteria": resolution.criteria,
        "yes_when": resolution.yes_when.model_dump() if resolution.yes_when else None,
        "no_when": resolution.no_when.model_dump() if resolution.no_when else None,
        "min_sources": resolution.min_sources,
        "default_at_close": resolution.default_at_close,
        "extra": _jsonable({k: v for k, v in spec.model_dump().items() if k not in known}) or None,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _upsert_forecast(
    session: Session,
    source: Source,
    parsed: ParsedForecast,
    *,
    today: date,
    actor: str,
    report: ImportReport,
) -> None:
    values = _forecast_values(parsed, source)
    forecast = session.get(Forecast, parsed.spec.id)
    if forecast is None:
        forecast = Forecast(id=parsed.spec.id, probability=parsed.probability, **values)
        session.add(forecast)
        session.flush()
        session.add(
            ProbabilityUpdate(
                forecast_id=forecast.id,
                as_of=parsed.spec.opens,
                probability=parsed.probability,
                estimate=parsed.spec.estimate,
                note="initial",
            )
        )
        _set_tags(session, forecast.id, parsed.spec.tags)
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="forecast",
            entity_id=forecast.id,
            to_status=forecast.status,
            detail={"probability": parsed.probability},
        )
        report.created.append(forecast.id)
        return
    changed = sorted(k for k, v in values.items() if getattr(forecast, k) != v)
    for key in changed:
        setattr(forecast, key, values[key])
    if _set_tags(session, forecast.id, parsed.spec.tags):
        changed.append("tags")
    if forecast.probability != parsed.probability:
        report.probability_changes.append((forecast.id, forecast.probability, parsed.probability))
        _record_probability_change(session, forecast, parsed, today=today, actor=actor)
        changed.append("probability")
    if not changed:
        report.unchanged.append(forecast.id)
        return
    forecast.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="forecast",
        entity_id=forecast.id,
        detail={"fields": changed},
    )
    if forecast.status == Status.CLOSED.value and forecast.closes >= today:
        lifecycle.extend(session, forecast, actor=actor)
    report.updated.append(forecast.id)


def _record_probability_change(
    session: Session, forecast: Forecast, parsed: ParsedForecast, *, today: date, actor: str
) -> None:
    session.add(
        ProbabilityUpdate(
            forecast_id=forecast.id,
            as_of=max(today, forecast.opens),
            probability=parsed.probability,
            estimate=parsed.spec.estimate,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="probability",
        entity="forecast",
        entity_id=forecast.id,
        detail={"from": forecast.probability, "to": parsed.probability},
    )
    forecast.probability = parsed.probability


def _set_tags(session: Session, forecast_id: str, tags: list[str]) -> bool:
    """Make the forecast's tags exactly ``tags``; True when something changed."""
    current = {
        t.tag: t
        for t in session.exec(
            select(ForecastTag).where(col(ForecastTag.forecast_id) == forecast_id)
        )
    }
    wanted = set(tags)
    for tag in current.keys() - wanted:
        session.delete(current[tag])
    for tag in wanted - current.keys():
        session.add(ForecastTag(forecast_id=forecast_id, tag=tag))
    return current.keys() != wanted


# --- reading ----------------------------------------------------------------------------------


@dataclass
class ForecastRow:
    id: str
    status: str
    outcome: str | None
    probability: float
    estimate: str
    vague: bool
    opens: date
    closes: date
    tags: list[str]
    author: str
    source: str
    question: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["opens"], data["closes"] = self.opens.isoformat(), self.closes.isoformat()
        return data


class ForecastSort(str, Enum):
    """The orders a forecast list can be read in; a leading '-' means descending."""

    CLOSES = "closes"
    CLOSES_DESC = "-closes"
    OPENS = "opens"
    OPENS_DESC = "-opens"
    PROBABILITY = "probability"
    PROBABILITY_DESC = "-probability"
    ID = "id"
    AUTHOR = "author"
    STATUS = "status"


def _order(sort: ForecastSort, today: date) -> tuple[Any, ...]:
    """The ``ORDER BY`` of ``sort`` (the forecast's id breaks ties after it)."""
    return {
        ForecastSort.CLOSES: (col(Forecast.closes),),
        ForecastSort.CLOSES_DESC: (col(Forecast.closes).desc(),),
        ForecastSort.OPENS: (col(Forecast.opens),),
        ForecastSort.OPENS_DESC: (col(Forecast.opens).desc(),),
        ForecastSort.PROBABILITY: (col(Forecast.probability),),
        ForecastSort.PROBABILITY_DESC: (col(Forecast.probability).desc(),),
        ForecastSort.ID: (),
        ForecastSort.AUTHOR: (col(Source.author), col(Forecast.closes)),
        ForecastSort.STATUS: (lifecycle.status_column(today), col(Forecast.closes)),
    }[sort]


@dataclass(frozen=True)
class ForecastFilter:
    """Which forecasts to list.  ``text`` matches the id, question or quote (case-insensitive);
    ``status`` is the status on ``today`` (default: today, UTC; see
    :func:`tracker.domain.lifecycle.status_on`)."""

    text: str | None = None
    status: Status | None = None
    tag: str | None = None
    author: str | None = None
    source: str | None = None
    today: date | None = None

    def day(self) -> date:
        return self.today or utc_today()

    def apply(self, query: Any) -> Any:
        if self.text:
            query = query.where(
                or_(
                    col(Forecast.id).icontains(self.text, autoescape=True),
                    col(Forecast.question).icontains(self.text, autoescape=True),
                    col(Forecast.quote).icontains(self.text, autoescape=True),
                )
            )
        if self.status:
            query = query.where(lifecycle.status_is(Status(self.status), self.day()))
        if self.tag:
            query = query.where(
                col(Forecast.id).in_(
                    select(col(ForecastTag.forecast_id)).where(
                        col(ForecastTag.tag) == self.tag.strip().lower()
                    )
                )
            )
        if self.author:
            query = query.where(col(Source.author).icontains(self.author, autoescape=True))
        if self.source:
            query = query.where(col(Source.key) == self.source)
        return query


#: one page of a forecast list
ForecastPage = Page[ForecastRow]


def list_forecasts(session: Session, where: ForecastFilter) -> list[ForecastRow]:
    """Every forecast matching ``where`` (author: case-insensitive substring), soonest close
    first."""
    query = where.apply(select(Forecast, Source).join(Source))
    pairs = session.exec(query.order_by(col(Forecast.closes), col(Forecast.id))).all()
    return _rows(session, pairs, where.day())


def search_forecasts(
    session: Session,
    where: ForecastFilter,
    *,
    sort: ForecastSort = ForecastSort.CLOSES,
    page: int = 1,
    per_page: int = 50,
) -> ForecastPage:
    """One page of the matching forecasts; filtering, ordering and paging all happen in SQL."""
    skip = offset_of(page, per_page)
    total = session.exec(
        where.apply(select(func.count(col(Forecast.id))).select_from(Forecast).join(Source))
    ).one()
    query = where.apply(select(Forecast, Source).join(Source))
    order = _order(sort, where.day())
    query = query.order_by(*order, col(Forecast.id)).offset(skip).limit(per_page)
    rows = _rows(session, session.exec(query).all(), where.day())
    return Page(rows, total, page, per_page)


@dataclass
class FilterChoices:
    """The values a forecast list can be filtered by, for pick lists."""

    statuses: list[str]
    tags: list[str]
    authors: list[str]
    sources: list[tuple[str, str]]


def filter_choices(session: Session) -> FilterChoices:
    return FilterChoices(
        statuses=[s.value for s in Status],
        tags=list(
            session.exec(select(col(ForecastTag.tag)).distinct().order_by(col(ForecastTag.tag)))
        ),
        authors=list(
            session.exec(select(col(Source.author)).distinct().order_by(col(Source.author)))
        ),
        sources=[
            (k, t)
            for k, t in session.exec(
                select(col(Source.key), col(Source.title)).order_by(col(Source.key))
            )
        ],
    )


def _rows(
    session: Session, pairs: Sequence[tuple[Forecast, Source]], today: date
) -> list[ForecastRow]:
    tags = _tags_of(session, [f.id for f, _ in pairs])
    return [
        ForecastRow(
            id=f.id,
            status=lifecycle.status_on(f, today).value,
            outcome=f.outcome,
            probability=f.probability,
            estimate=f.estimate,
            vague=f.vague,
            opens=f.opens,
            closes=f.closes,
            tags=tags.get(f.id, []),
            author=s.author,
            source=s.key,
            question=f.question,
        )
        for f, s in pairs
    ]


def _tags_of(session: Session, forecast_ids: list[str]) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    if not forecast_ids:
        return tags
    rows = session.exec(
        select(ForecastTag)
        .where(col(ForecastTag.forecast_id).in_(forecast_ids))
        .order_by(col(ForecastTag.tag))
    )
    for row in rows:
        tags.setdefault(row.forecast_id, []).append(row.tag)
    return tags


def get_forecast(session: Session, forecast_id: str) -> Forecast:
    forecast = session.get(Forecast, forecast_id)
    if forecast is None:
        raise NotFoundError("forecast", forecast_id, "see `tracker forecasts list` for the ids")
    return forecast


@dataclass
class ForecastDetail:
    """A forecast with everything about it.  ``status`` is its status on the day it was read
    (see :func:`tracker.domain.lifecycle.status_on`); show it rather than ``forecast.status``."""

    forecast: Forecast
    status: Status
    source: Source
    tags: list[str]
    updates: list[ProbabilityUpdate]
    resolutions: list[Resolution]
    audit: list[AuditEntry]


def forecast_detail(
    session: Session, forecast_id: str, today: date | None = None
) -> ForecastDetail:
    forecast = get_forecast(session, forecast_id)
    source = session.get(Source, forecast.source_id)
    assert source is not None  # a foreign key
    return ForecastDetail(
        forecast=forecast,
        status=lifecycle.status_on(forecast, today or utc_today()),
        source=source,
        tags=_tags_of(session, [forecast_id]).get(forecast_id, []),
        updates=list(
            session.exec(
                select(ProbabilityUpdate)
                .where(col(ProbabilityUpdate.forecast_id) == forecast_id)
                .order_by(col(ProbabilityUpdate.as_of), col(ProbabilityUpdate.id))
            )
        ),
        resolutions=list(
            session.exec(
                select(Resolution)
                .where(col(Resolution.forecast_id) == forecast_id)
                .order_by(col(Resolution.id))
            )
        ),
        audit=list(
            session.exec(
                select(AuditEntry)
                .where(
                    col(AuditEntry.entity_id) == forecast_id, col(AuditEntry.entity) == "forecast"
                )
                .order_by(col(AuditEntry.id))
            )
        ),
    )
