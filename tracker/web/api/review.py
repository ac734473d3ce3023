"""``/api/review`` (the review queue) and ``/api/proposals/{id}/confirm|reject``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field

from tracker import service
from tracker.service import ProposalDecision
from tracker.web.deps import AnalystDep, ReaderDep, SessionDep
from tracker.web.schemas import (
    ERROR_RESPONSES,
    MAX_ID,
    PROPOSAL_RESPONSES,
    ConfirmIn,
    CursorQuery,
    DecisionOut,
    ProposalOut,
    RejectIn,
    ReviewPageOut,
)

router = APIRouter(prefix="/api", tags=["review"])
ProposalId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="the proposal's id (see /api/review)")
]


class ReviewQuery(CursorQuery):
    per_page: int = Field(default=service.QUEUE_PER_PAGE, ge=1, le=200)
    evidence_limit: int = Field(
        default=service.QUEUE_EVIDENCE,
        ge=0,
        le=200,
        description="evidence rows of each kind (counting, negated) per proposal",
    )


@router.get("/review", name="api_review", response_model=ReviewPageOut, responses=ERROR_RESPONSES)
def review(
    session: SessionDep, _reader: ReaderDep, query: Annotated[ReviewQuery, Query()]
) -> ReviewPageOut:
    """Proposals waiting for an analyst (evidence, default at close, disputed, not yet
    resolvable), oldest first, each with its forecast and its evidence; negated evidence apart."""
    page = service.review_page(
        session, cursor=query.cursor, per_page=query.per_page, evidence_limit=query.evidence_limit
    )
    return ReviewPageOut.of(page, query.old_page_note())


def _decision(decided: ProposalDecision) -> DecisionOut:
    return DecisionOut(
        proposal=ProposalOut.of(decided.proposal),
        forecast_id=decided.forecast_id,
        forecast_status=decided.forecast_status,
        forecast_outcome=decided.forecast_outcome,
    )


@router.post(
    "/proposals/{proposal_id}/confirm",
    name="api_confirm",
    response_model=DecisionOut,
    responses=PROPOSAL_RESPONSES,
)
def confirm(
    proposal_id: ProposalId, body: ConfirmIn, session: SessionDep, analyst: AnalystDep
) -> DecisionOut:
    """Confirm a pending proposal: its forecast is resolved with the proposed outcome, or with
    ``outcome`` (required for disputed and not-yet-resolvable proposals).  The analyst is
    recorded as who resolved it."""
    decided = service.confirm_proposal(
        session, proposal_id, actor=analyst.name, outcome=body.outcome, note=body.note
    )
    return _decision(decided)


@router.post(
    "/proposals/{proposal_id}/reject",
    name="api_reject",
    response_model=DecisionOut,
    responses=PROPOSAL_RESPONSES,
)
def reject(
    proposal_id: ProposalId, body: RejectIn, session: SessionDep, analyst: AnalystDep
) -> DecisionOut:
    """Reject a pending proposal (a note saying why is required); the forecast stays unresolved."""
    decided = service.reject_proposal(session, proposal_id, actor=analyst.name, note=body.note)
    return _decision(decided)
