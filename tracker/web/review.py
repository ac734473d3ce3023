"""What the review queue and a forecast's page read: pages of evidence and of proposals.

Read-only helpers shared by the HTML pages and the JSON API (the writes are in
:mod:`tracker.web.actions`).  A forecast may gather thousands of evidence rows, so evidence is
always read a page at a time, counting and negated rows apart, with totals from one grouped count.
"""

from __future__ import annotations

import math

from sqlmodel import Session

from tracker import resolution
from tracker.models import Proposal
from tracker.web.schemas import EvidenceOut, EvidencePageOut, ReviewItemOut, ReviewPageOut

#: evidence rows per page on a forecast's page; proposals per page of the review queue, and the
#: evidence rows of each kind (counting, negated) shown with each (all of them: the forecast's page)
EVIDENCE_PER_PAGE = 50
QUEUE_PER_PAGE = 10
QUEUE_EVIDENCE = 5


def pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def evidence_page(
    session: Session,
    forecast_id: str,
    *,
    negated: bool,
    page: int = 1,
    per_page: int = EVIDENCE_PER_PAGE,
    total: int | None = None,
) -> EvidencePageOut:
    """One page of a forecast's counting (or negated) evidence, oldest article first."""
    if total is None:
        summary = resolution.summaries(session, [forecast_id])[forecast_id]
        total = summary.evidence_negated if negated else summary.evidence
    rows = (
        resolution.evidence_for(
            session, forecast_id, negated=negated, limit=per_page, offset=(page - 1) * per_page
        )
        if total
        else []
    )
    return EvidencePageOut(
        items=[EvidenceOut.of(v) for v in rows],
        total=total,
        page=page,
        per_page=per_page,
        pages=pages(total, per_page),
    )


def forecast_evidence(
    session: Session,
    forecast_id: str,
    *,
    page: int = 1,
    negated_page: int = 1,
    per_page: int = EVIDENCE_PER_PAGE,
) -> tuple[Proposal | None, EvidencePageOut, EvidencePageOut]:
    """A forecast's pending proposal and the requested pages of its evidence (raises NotFoundError)."""
    summary = resolution.summaries(session, [forecast_id])[forecast_id]
    counting = evidence_page(
        session, forecast_id, negated=False, page=page, per_page=per_page, total=summary.evidence
    )
    negated = evidence_page(
        session,
        forecast_id,
        negated=True,
        page=negated_page,
        per_page=per_page,
        total=summary.evidence_negated,
    )
    return summary.proposal, counting, negated


def review_page(
    session: Session,
    *,
    page: int = 1,
    per_page: int = QUEUE_PER_PAGE,
    evidence_limit: int = QUEUE_EVIDENCE,
) -> ReviewPageOut:
    """One page of the review queue, oldest proposal first, each with its first evidence rows."""
    total = resolution.review_count(session)
    items = resolution.review_queue(
        session, limit=per_page, offset=(page - 1) * per_page, evidence_limit=evidence_limit
    )
    counts = resolution.summaries(session, [item.forecast.id for item in items])
    out = [
        ReviewItemOut.of(
            item, (counts[item.forecast.id].evidence, counts[item.forecast.id].evidence_negated)
        )
        for item in items
    ]
    return ReviewPageOut(
        items=out, total=total, page=page, per_page=per_page, pages=pages(total, per_page)
    )
