"""``/api/forecasts``: list (filters, search, order, pages), detail, evidence pages, dated
updates, resolve, reopen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field
from sqlmodel import Session

from tracker import service
from tracker.web.deps import AnalystDep, ReaderDep, ScorecardsDep, SessionDep
from tracker.web.schemas import (
    ATTACH_RESPONSES,
    ERROR_RESPONSES,
    MAX_ID,
    PRINTABLE,
    WRITE_RESPONSES,
    AttachedEvidenceOut,
    AttachedOut,
    AttachIn,
    CursorQuery,
    EvidencePageOut,
    ForecastDetailOut,
    ForecastListQuery,
    ForecastPageOut,
    ProposalOut,
    ReopenIn,
    ResolveIn,
    UpdateIn,
)

router = APIRouter(prefix="/api/forecasts", tags=["forecasts"])
ForecastId = Annotated[
    str,
    # Any printable text reaches the tracker, which says "no forecast ..." as the CLI does.
    Path(pattern=PRINTABLE, max_length=200, description="the forecast's id (a slug)"),
]


@router.get("", name="api_forecasts", response_model=ForecastPageOut, responses=ERROR_RESPONSES)
def list_forecasts(
    session: SessionDep, _reader: ReaderDep, query: Annotated[ForecastListQuery, Query()]
) -> ForecastPageOut:
    """Forecasts matching the filters, one page at a time (the status is the one each forecast
    has today: past its close date, an unresolved forecast is closed), each resolved one with its
    own scores."""
    found = service.search_forecasts(
        session, query.filter(), sort=query.sort, cursor=query.cursor, per_page=query.per_page
    )
    scores = service.own_scores(session, [row.id for row in found.items])
    return ForecastPageOut.of(found, scores, query.old_page_note())


def _detail(session: Session, forecast_id: str) -> ForecastDetailOut:
    view = service.forecast_view(session, forecast_id)
    score = service.own_scores(session, [forecast_id]).get(forecast_id)
    return ForecastDetailOut.of(view, score)


@router.get(
    "/{forecast_id}",
    name="api_forecast",
    response_model=ForecastDetailOut,
    responses=ERROR_RESPONSES,
)
def get_forecast(
    forecast_id: ForecastId, session: SessionDep, _reader: ReaderDep
) -> ForecastDetailOut:
    """One forecast with its source, rules, probability history, resolutions, audit log, pending
    proposal, the first page of its evidence (counting and negated apart) and, once resolved yes
    or no, its own scores."""
    return _detail(session, forecast_id)


class EvidenceQuery(CursorQuery):
    negated: bool = Field(
        default=False, description="the negated rows instead of the counting ones"
    )
    per_page: int = Field(default=service.EVIDENCE_PER_PAGE, ge=1, le=200)


@router.get(
    "/{forecast_id}/evidence",
    name="api_forecast_evidence",
    response_model=EvidencePageOut,
    responses=ERROR_RESPONSES,
)
def get_evidence(
    forecast_id: ForecastId,
    session: SessionDep,
    _reader: ReaderDep,
    query: Annotated[EvidenceQuery, Query()],
) -> EvidencePageOut:
    """A page of the forecast's evidence, oldest article first: the counting rows, or the
    negated ones."""
    page = service.evidence_page(
        session, forecast_id, negated=query.negated, cursor=query.cursor, per_page=query.per_page
    )
    return EvidencePageOut.of(page, query.old_page_note())


@router.post(
    "/{forecast_id}/resolve",
    name="api_resolve",
    response_model=ForecastDetailOut,
    responses=WRITE_RESPONSES,
)
def resolve(
    forecast_id: ForecastId, body: ResolveIn, session: SessionDep, analyst: AnalystDep
) -> ForecastDetailOut:
    """Record an outcome (yes, no or annulled); the signed-in analyst is recorded as who
    resolved it."""
    service.resolve_forecast(session, forecast_id, body.outcome, actor=analyst.name, note=body.note)
    session.flush()
    return _detail(session, forecast_id)


@router.post(
    "/{forecast_id}/reopen",
    name="api_reopen",
    response_model=ForecastDetailOut,
    responses=WRITE_RESPONSES,
)
def reopen(
    forecast_id: ForecastId, body: ReopenIn, session: SessionDep, analyst: AnalystDep
) -> ForecastDetailOut:
    """Undo the forecast's resolution (kept in its history); it is open or closed again, by its
    dates.  A note saying why is required."""
    service.reopen_forecast(session, forecast_id, actor=analyst.name, note=body.note)
    session.flush()
    return _detail(session, forecast_id)


@router.post(
    "/{forecast_id}/updates",
    name="api_forecast_update",
    response_model=ForecastDetailOut,
    status_code=201,
    responses=WRITE_RESPONSES,
)
def add_update(
    forecast_id: ForecastId,
    body: UpdateIn,
    session: SessionDep,
    analyst: AnalystDep,
    scorecards: ScorecardsDep,
) -> ForecastDetailOut:
    """Record an author's later statement with its own date (and words, and link): from
    ``as_of`` on the forecast stands at it.  Dated after the forecast opens, on or before it
    closes and not in the future; on a resolved forecast, before the day it was resolved.  The
    analyst is recorded as who entered it."""
    service.update_forecast(
        session,
        forecast_id,
        as_of=body.as_of,
        probability=body.probability,
        estimate=body.estimate,
        quote=body.quote,
        url=body.url,
        note=body.note,
        scale=scorecards.scale,
        actor=analyst.name,
    )
    session.flush()
    return _detail(session, forecast_id)


@router.post(
    "/{forecast_id}/evidence",
    name="api_attach_evidence",
    response_model=AttachedOut,
    status_code=201,
    responses=ATTACH_RESPONSES,
)
def attach_evidence(
    forecast_id: ForecastId, body: AttachIn, session: SessionDep, analyst: AnalystDep
) -> AttachedOut:
    """Attach an article to the forecast as evidence for yes or no, with a note saying why: it
    counts like matched evidence (the resolver re-evaluates the forecast's proposal at once) and
    the analyst is recorded as who attached it."""
    done = service.attach_evidence(
        session,
        article_id=body.article_id,
        forecast_id=forecast_id,
        side=body.side,
        actor=analyst.name,
        note=body.note,
    )
    return AttachedOut(
        evidence=AttachedEvidenceOut.model_validate(done.evidence),
        counts=done.counts,
        proposals=[ProposalOut.of(p) for p in done.proposals],
    )


@router.delete(
    "/{forecast_id}/evidence/{evidence_id}",
    name="api_detach_evidence",
    response_model=AttachedEvidenceOut,
    responses=ATTACH_RESPONSES,
)
def detach_evidence(
    forecast_id: ForecastId,
    evidence_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    analyst: AnalystDep,
) -> AttachedEvidenceOut:
    """Remove evidence attached by hand (matched evidence cannot be); the forecast's proposal is
    re-evaluated.  Answers the row removed."""
    gone = service.detach_evidence(
        session, evidence_id=evidence_id, actor=analyst.name, forecast_id=forecast_id
    )
    return AttachedEvidenceOut.model_validate(gone)
