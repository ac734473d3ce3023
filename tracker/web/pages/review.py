"""The review queue page and the confirm / reject forms (also used from a forecast's page).

The forms post here and go back where they came from (``back``: the queue or the forecast's
page; never a URL from the form).  The decisions are :mod:`tracker.service`'s, with the
signed-in analyst as the actor."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, field_validator

from tracker import service
from tracker.models import Outcome
from tracker.web.deps import AnalystDep, ReaderDep, SessionDep
from tracker.web.schemas import MAX_ID, ReviewPageOut, Text
from tracker.web.templating import render

router = APIRouter(include_in_schema=False)
ProposalId = Annotated[int, Path(ge=1, le=MAX_ID)]
Done = Literal["confirmed", "rejected"]
NOTICES = {
    "confirmed": "The proposal is confirmed: the forecast is resolved.",
    "rejected": "The proposal is rejected: the forecast stays unresolved.",
}


class DecisionForm(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the form also carries csrf_token

    back: Literal["review", "forecast"] = "review"


class ConfirmForm(DecisionForm):
    outcome: Outcome | None = None
    note: Text | None = None

    @field_validator("outcome", mode="before")
    @classmethod
    def _as_proposed(cls, value: object) -> object:
        return None if value == "" else value  # the "as proposed" radio button


class RejectForm(DecisionForm):
    note: Text | None = None  # required: the use case says so, with the same message as the CLI


@router.get("/review", name="review")
def review(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[Done | None, Query()] = None,
) -> Response:
    return render(
        request,
        "review/page.html",
        {
            "queue": ReviewPageOut.of(service.review_page(session, page=page)),
            "notice": NOTICES.get(done or ""),
        },
    )


def _back(request: Request, back: str, forecast_id: str, done: str) -> Response:
    if back == "forecast":
        url = request.app.url_path_for("forecast", forecast_id=forecast_id)
    else:
        url = request.app.url_path_for("review")
    return RedirectResponse(f"{url}?done={done}", status_code=303)


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
    return _back(request, form.back, decided.forecast_id, "confirmed")


@router.post("/review/{proposal_id}/reject", name="proposal_reject")
def reject(
    request: Request,
    proposal_id: ProposalId,
    form: Annotated[RejectForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    decided = service.reject_proposal(session, proposal_id, actor=analyst.name, note=form.note)
    return _back(request, form.back, decided.forecast_id, "rejected")
