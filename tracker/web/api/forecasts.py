"""``/api/forecasts``: list (filters, search, order, pages), detail, resolve, reopen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from tracker import registry
from tracker.web import actions
from tracker.web.deps import AnalystDep, ReaderDep, SessionDep
from tracker.web.schemas import (
    ERROR_RESPONSES, FORECAST_ID_PATTERN, WRITE_RESPONSES, ForecastDetailOut, ForecastListQuery, ForecastPageOut,
    ForecastSummary, ReopenIn, ResolveIn,
)
from tracker.web.today import today

router = APIRouter(prefix="/api/forecasts", tags=["forecasts"])
ForecastId = Annotated[str, Path(pattern=FORECAST_ID_PATTERN, max_length=200, description="the forecast's id (slug)")]


@router.get("", name="api_forecasts", response_model=ForecastPageOut, responses=ERROR_RESPONSES)
def list_forecasts(session: SessionDep, _reader: ReaderDep,
                   query: Annotated[ForecastListQuery, Query()]) -> ForecastPageOut:
    """Forecasts matching the filters, one page at a time."""
    found = query.search(session)
    return ForecastPageOut(items=[ForecastSummary.of(row) for row in found.rows], total=found.total,
                           page=found.page, per_page=found.per_page, pages=found.pages)


@router.get("/{forecast_id}", name="api_forecast", response_model=ForecastDetailOut, responses=ERROR_RESPONSES)
def get_forecast(forecast_id: ForecastId, session: SessionDep, _reader: ReaderDep) -> ForecastDetailOut:
    """One forecast with its source, rules, probability history, resolutions and audit log."""
    return ForecastDetailOut.of(registry.forecast_detail(session, forecast_id))


@router.post("/{forecast_id}/resolve", name="api_resolve", response_model=ForecastDetailOut,
             responses=WRITE_RESPONSES)
def resolve(forecast_id: ForecastId, body: ResolveIn, session: SessionDep, analyst: AnalystDep) -> ForecastDetailOut:
    """Record an outcome (yes, no or annulled); the signed-in analyst is recorded as who resolved it."""
    actions.resolve(session, forecast_id, body.outcome, note=body.note, actor=analyst.name, today=today())
    session.flush()
    return ForecastDetailOut.of(registry.forecast_detail(session, forecast_id))


@router.post("/{forecast_id}/reopen", name="api_reopen", response_model=ForecastDetailOut,
             responses=WRITE_RESPONSES)
def reopen(forecast_id: ForecastId, body: ReopenIn, session: SessionDep, analyst: AnalystDep) -> ForecastDetailOut:
    """Undo the forecast's resolution (kept in its history); it is open or closed again, by its dates."""
    actions.reopen(session, forecast_id, note=body.note, actor=analyst.name, today=today())
    session.flush()
    return ForecastDetailOut.of(registry.forecast_detail(session, forecast_id))
