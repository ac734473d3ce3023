"""The forecasts pages: the list (search, filters, order, pages) and one forecast with its actions."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ConfigDict

from tracker.domain import registry
from tracker.errors import NotFoundError
from tracker.models import Status
from tracker.web import actions
from tracker.web.charts import probability_chart
from tracker.web.deps import AnalystDep, ReaderDep, SessionDep
from tracker.web.review import forecast_evidence
from tracker.web.schemas import FORECAST_ID_PATTERN, ForecastListForm, ReopenIn, ResolveIn
from tracker.web.templating import home_path, render
from tracker.web.today import today

router = APIRouter(include_in_schema=False)

NOTICES = {
    "resolved": "The outcome is recorded.",
    "reopened": "The forecast is reopened.",
    "confirmed": "The proposal is confirmed: the outcome is recorded.",
    "rejected": "The proposal is rejected: the forecast stays unresolved.",
}
Done = Literal["resolved", "reopened", "confirmed", "rejected"]
SORT_LABELS = {
    registry.ForecastSort.CLOSES: "close date, soonest first",
    registry.ForecastSort.CLOSES_DESC: "close date, latest first",
    registry.ForecastSort.OPENS: "open date, earliest first",
    registry.ForecastSort.OPENS_DESC: "open date, latest first",
    registry.ForecastSort.PROBABILITY: "probability, lowest first",
    registry.ForecastSort.PROBABILITY_DESC: "probability, highest first",
    registry.ForecastSort.ID: "id",
    registry.ForecastSort.AUTHOR: "author",
    registry.ForecastSort.STATUS: "status",
}


class ResolveForm(ResolveIn):
    model_config = ConfigDict(extra="ignore")  # the form also carries csrf_token


class ReopenForm(ReopenIn):
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
    found = query.search(session)
    base = query.model_dump(mode="json", exclude={"page"}, exclude_defaults=True)
    return render(
        request,
        "forecasts/list.html",
        {
            "query": query,
            "found": found,
            "choices": registry.filter_choices(session),
            "sort_labels": SORT_LABELS,
            "page_params": base,
            "today": today(),
        },
    )


@router.get("/forecasts/{forecast_id}", name="forecast")
def forecast_page(
    request: Request,
    forecast_id: str,
    session: SessionDep,
    _reader: ReaderDep,
    done: Annotated[Done | None, Query()] = None,
    evidence_page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    negated_page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    detail = registry.forecast_detail(session, _checked_id(forecast_id))
    forecast = detail.forecast
    proposal, evidence, negated = forecast_evidence(
        session, forecast.id, page=evidence_page, negated_page=negated_page
    )
    return render(
        request,
        "forecasts/detail.html",
        {
            "d": detail,
            "f": forecast,
            "s": detail.source,
            "today": today(),
            "chart": probability_chart(detail.updates, forecast.opens, forecast.closes),
            "can_resolve": forecast.status in (Status.OPEN.value, Status.CLOSED.value),
            "can_reopen": forecast.status in (Status.RESOLVED.value, Status.ANNULLED.value),
            "notice": NOTICES.get(done or ""),
            "proposal": proposal,
            "evidence": evidence,
            "negated": negated,
            "page_params": {"evidence_page": evidence_page, "negated_page": negated_page},
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
    actions.resolve(
        session,
        _checked_id(forecast_id),
        form.outcome,
        note=form.note,
        actor=analyst.name,
        today=today(),
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
    actions.reopen(
        session, _checked_id(forecast_id), note=form.note, actor=analyst.name, today=today()
    )
    url = request.app.url_path_for("forecast", forecast_id=forecast_id) + "?done=reopened"
    return RedirectResponse(url, status_code=303)
