"""The review queue page and the confirm / reject forms (also used from a forecast's page).

The forms post here and go back where they came from (``back``: the queue or the forecast's
page; never a URL from the form).  The decisions are :mod:`tracker.service`'s, with the
signed-in analyst as the actor.  The queue also lists the questions that need an outcome (a
proposal rejected after the close date), each with a form that resolves it by hand, and a form
that confirms the selected cards as proposed at once.  ``static/review.js`` adds keyboard
shortcuts; every form works without it."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from tracker import service
from tracker.models import Outcome
from tracker.web.deps import AnalystDep, ReaderDep, SessionDep, SettingsDep
from tracker.web.schemas import (
    FORECAST_ID_PATTERN,
    MAX_ID,
    OLD_PAGE_NOTE,
    EvidenceOut,
    ResolveIn,
    ReviewPageOut,
    Text,
)
from tracker.web.templating import render

router = APIRouter(include_in_schema=False)
ProposalId = Annotated[int, Path(ge=1, le=MAX_ID)]
ForecastId = Annotated[str, Path(max_length=200, pattern=FORECAST_ID_PATTERN)]
Done = Literal["confirmed", "rejected", "resolved", "confirmed_many"]
NOTICES = {
    "confirmed": "The proposal is confirmed: the forecast is resolved.",
    "rejected": "The proposal is rejected: the forecast stays unresolved.",
    "resolved": "The outcome is recorded: the forecast is resolved.",
}


class DecisionForm(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the form also carries csrf_token

    back: Literal["review", "forecast"] = "review"
    #: the queue's page the card was on: the analyst goes back to it (the decided cards gone)
    cursor: Annotated[str, StringConstraints(max_length=1000, pattern=r"^[\w-]*$")] | None = None


class ConfirmForm(DecisionForm):
    outcome: Outcome | None = None
    note: Text | None = None

    @field_validator("outcome", mode="before")
    @classmethod
    def _as_proposed(cls, value: object) -> object:
        return None if value == "" else value  # the "as proposed" radio button


class RejectForm(DecisionForm):
    note: Text | None = None  # required: the use case says so, with the same message as the CLI


class ConfirmSelectedForm(BaseModel):
    """The selected cards' checkboxes (``proposal``, once per card)."""

    model_config = ConfigDict(extra="ignore")

    proposal: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list)
    cursor: Annotated[str, StringConstraints(max_length=1000, pattern=r"^[\w-]*$")] | None = None


class ResolveForm(ResolveIn):
    """The card's resolve form: the note saying what happened is required (the card exists
    because the resolver's proposal was rejected, so the outcome needs its reason)."""

    model_config = ConfigDict(extra="ignore")

    note: Annotated[Text, Field(min_length=1)]


def _notice(done: str | None, count: int) -> str | None:
    if done == "confirmed_many":
        return f"{count} proposal{'' if count == 1 else 's'} confirmed as proposed: resolved."
    return NOTICES.get(done or "")


@router.get("/review", name="review")
def review(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    settings: SettingsDep,
    cursor: Annotated[str | None, Query()] = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    done: Annotated[Done | None, Query()] = None,
    n: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """The queue's page at ``cursor`` (``page`` is an old numbered link's: past the first, the
    first page with a note); the questions that need an outcome follow the first page."""
    queue = service.review_page(session, cursor=cursor, per_page=settings.review_per_page)
    limbo = service.needs_outcome(session) if queue.prev_cursor is None else []
    return render(
        request,
        "review/page.html",
        {
            "queue": ReviewPageOut.of(queue),
            "review_cursor": cursor,
            "limbo": [(card, [EvidenceOut.of(e) for e in card.evidence]) for card in limbo],
            "notice": _notice(done, n),
            "note": OLD_PAGE_NOTE if (page or 1) > 1 and not cursor else None,
        },
    )


def _back(
    request: Request, back: str, forecast_id: str, done: str, cursor: str | None = None
) -> Response:
    if back == "forecast":
        url = request.app.url_path_for("forecast", forecast_id=forecast_id)
    else:
        url = request.app.url_path_for("review")
    return RedirectResponse(f"{url}?{_query(done=done, cursor=cursor)}", status_code=303)


def _query(**params: str | int | None) -> str:
    return urlencode({k: v for k, v in params.items() if v is not None})


@router.post("/review/{proposal_id}/confirm", name="proposal_confirm")
def confirm(
    request: Request,
    proposal_id: ProposalId,
    form: Annotated[ConfirmForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    decided = service.confirm_proposal(
        session, proposal_id, actor=analyst.name, outcome=form.outcome, note=form.note
    )
    return _back(request, form.back, decided.forecast_id, "confirmed", form.cursor)


@router.post("/review/{proposal_id}/reject", name="proposal_reject")
def reject(
    request: Request,
    proposal_id: ProposalId,
    form: Annotated[RejectForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    decided = service.reject_proposal(session, proposal_id, actor=analyst.name, note=form.note)
    return _back(request, form.back, decided.forecast_id, "rejected", form.cursor)


@router.post("/review/confirm-selected", name="proposals_confirm_selected")
def confirm_selected(
    request: Request,
    form: Annotated[ConfirmSelectedForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    """Confirm the selected cards as proposed, all or nothing (:func:`service.confirm_many`)."""
    decided = service.confirm_many(session, form.proposal, actor=analyst.name)
    url = request.app.url_path_for("review")
    query = _query(done="confirmed_many", n=len(decided), cursor=form.cursor)
    return RedirectResponse(f"{url}?{query}", status_code=303)


@router.post("/review/forecasts/{forecast_id}/resolve", name="review_resolve")
def resolve(
    request: Request,
    forecast_id: ForecastId,
    form: Annotated[ResolveForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    """Resolve a question that needs an outcome from its card (the manual resolution)."""
    service.resolve_forecast(session, forecast_id, form.outcome, actor=analyst.name, note=form.note)
    return _back(request, "review", forecast_id, "resolved")
