"""The forecasts pages: the list (search, filters, order, pages) and one forecast with its
actions."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ConfigDict

from tracker import service
from tracker.clock import today
from tracker.domain.registry import ForecastSort
from tracker.errors import InvalidInputError, NotFoundError
from tracker.models import Status
from tracker.paging import KeysetPage
from tracker.web.charts import probability_chart
from tracker.web.deps import AnalystDep, ReaderDep, ScorecardsDep, SessionDep
from tracker.web.schemas import (
    FORECAST_ID_PATTERN,
    OLD_PAGE_NOTE,
    BlankIsUnset,
    EvidencePageOut,
    ForecastListForm,
    ReopenIn,
    ResolveIn,
    UpdateIn,
)
from tracker.web.templating import home_path, render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "resolved": "The outcome is recorded.",
    "reopened": "The forecast is reopened.",
    "confirmed": "The proposal is confirmed: the outcome is recorded.",
    "rejected": "The proposal is rejected: the forecast stays unresolved.",
    "updated": "The statement is recorded.",
    "attached": "The article is attached as evidence; the resolver has re-evaluated the forecast.",
    "attached_outside": "The article is attached as evidence, but it does not count: it was "
    "published outside the forecast's window.",
    "detached": "The evidence is detached; the resolver has re-evaluated the forecast.",
}
Done = Literal[
    "resolved",
    "reopened",
    "confirmed",
    "rejected",
    "updated",
    "attached",
    "attached_outside",
    "detached",
]
SORT_LABELS = {
    ForecastSort.CLOSES: "close date, soonest first",
    ForecastSort.CLOSES_DESC: "close date, latest first",
    ForecastSort.OPENS: "open date, earliest first",
    ForecastSort.OPENS_DESC: "open date, latest first",
    ForecastSort.PROBABILITY: "probability, lowest first",
    ForecastSort.PROBABILITY_DESC: "probability, highest first",
    ForecastSort.ID: "id",
    ForecastSort.AUTHOR: "author",
    ForecastSort.STATUS: "status",
}


class ResolveForm(ResolveIn):
    model_config = ConfigDict(extra="ignore")  # the form also carries csrf_token


class ReopenForm(ReopenIn):
    model_config = ConfigDict(extra="ignore")


class UpdateForm(BlankIsUnset, UpdateIn):
    """The update form: its empty fields (a term without a number, no link) are not given."""

    model_config = ConfigDict(extra="ignore")


def _checked_id(forecast_id: str) -> str:
    if len(forecast_id) > 200 or not re.match(FORECAST_ID_PATTERN, forecast_id):
        raise NotFoundError(
            "forecast", forecast_id, "forecast ids are slugs such as nato-moratorium"
        )
    return forecast_id


@router.get("/", name="home")
def home(request: Request) -> Response:
    return RedirectResponse(home_path(request), status_code=303)


@router.get("/forecasts", name="forecasts")
def forecasts_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    query: Annotated[ForecastListForm, Query()],
) -> Response:
    """The list; a search the syntax cannot take (README, "Search syntax") or a cursor this list
    did not make shows its one-line message above the box, with a 400 and no rows."""
    error = None
    try:
        found = service.search_forecasts(
            session, query.filter(), sort=query.sort, cursor=query.cursor, per_page=query.per_page
        )
    except InvalidInputError as exc:
        error, found = str(exc), KeysetPage([], None, query.per_page, total=0)
    base = query.model_dump(mode="json", exclude={"page", "cursor"}, exclude_defaults=True)
    return render(
        request,
        "forecasts/list.html",
        {
            "query": query,
            "found": found,
            "error": error,
            "scores": service.list_scores(found.items),
            "choices": service.filter_choices(session),
            "sort_labels": SORT_LABELS,
            "page_params": base,
            "note": query.old_page_note(),
        },
        status_code=400 if error else 200,
    )


@router.get("/forecasts/{forecast_id}", name="forecast")
def forecast_page(
    request: Request,
    forecast_id: str,
    session: SessionDep,
    _reader: ReaderDep,
    done: Annotated[Done | None, Query()] = None,
    evidence_cursor: Annotated[str | None, Query()] = None,
    negated_cursor: Annotated[str | None, Query()] = None,
    evidence_page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    negated_page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    """A forecast, with a page of each kind of its evidence (``evidence_page`` and
    ``negated_page`` are the numbered pages of old links: past the first, a note)."""
    view = service.forecast_view(
        session,
        _checked_id(forecast_id),
        evidence_cursor=evidence_cursor,
        negated_cursor=negated_cursor,
    )
    old_link = (evidence_page or 1) > 1 or (negated_page or 1) > 1
    detail, forecast = view.detail, view.detail.forecast
    return render(
        request,
        "forecasts/detail.html",
        {
            "d": detail,
            "f": forecast,
            "s": detail.source,
            "status": detail.status.value,
            "chart": probability_chart(detail.standing(), forecast.opens, forecast.closes),
            "today": today().isoformat(),
            "can_resolve": detail.status in (Status.OPEN, Status.CLOSED),
            "can_reopen": detail.status in (Status.RESOLVED, Status.ANNULLED),
            "notice": NOTICES.get(done or ""),
            "proposal": view.proposal,
            "score": service.own_scores(session, [forecast.id]).get(forecast.id),
            "evidence": EvidencePageOut.of(view.evidence),
            "negated": EvidencePageOut.of(view.negated),
            "evidence_params": {"negated_cursor": negated_cursor} if negated_cursor else {},
            "negated_params": {"evidence_cursor": evidence_cursor} if evidence_cursor else {},
            "note": OLD_PAGE_NOTE if old_link else None,
        },
    )


@router.post("/forecasts/{forecast_id}/resolve", name="resolve")
def resolve(
    request: Request,
    forecast_id: str,
    form: Annotated[ResolveForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    service.resolve_forecast(
        session, _checked_id(forecast_id), form.outcome, actor=analyst.name, note=form.note
    )
    url = request.app.url_path_for("forecast", forecast_id=forecast_id) + "?done=resolved"
    return RedirectResponse(url, status_code=303)


@router.post("/forecasts/{forecast_id}/reopen", name="reopen")
def reopen(
    request: Request,
    forecast_id: str,
    form: Annotated[ReopenForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    service.reopen_forecast(session, _checked_id(forecast_id), actor=analyst.name, note=form.note)
    url = request.app.url_path_for("forecast", forecast_id=forecast_id) + "?done=reopened"
    return RedirectResponse(url, status_code=303)


@router.post("/forecasts/{forecast_id}/update", name="forecast_update")
def update(
    request: Request,
    forecast_id: str,
    form: Annotated[UpdateForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
    scorecards: ScorecardsDep,
) -> Response:
    """The author's later statement, from the form on the forecast's page."""
    service.update_forecast(
        session,
        _checked_id(forecast_id),
        as_of=form.as_of,
        probability=form.probability,
        estimate=form.estimate,
        quote=form.quote,
        url=form.url,
        note=form.note,
        scale=scorecards.scale,
        actor=analyst.name,
    )
    url = request.app.url_path_for("forecast", forecast_id=forecast_id) + "?done=updated"
    return RedirectResponse(url, status_code=303)
