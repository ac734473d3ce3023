"""Reading evidence and the review queue a page at a time (the web pages, the API, the CLI).

A forecast may gather thousands of evidence rows, so evidence is always read a page at a time,
counting and negated rows apart, with totals from one grouped count (``resolution.summaries``).
Read-only: safe for a GET.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from tracker._seek import check_per_page
from tracker.clock import today as utc_today
from tracker.domain import lifecycle, registry
from tracker.models import Proposal, Status
from tracker.paging import KeysetPage
from tracker.resolution import (
    EvidenceView,
    ReviewItem,
    evidence_keyset,
    review_count,
    review_keyset,
    review_queue,
)
from tracker.resolution import summaries as resolution_summaries

#: evidence rows per page on a forecast's page; proposals per page of the review queue, and the
#: evidence rows of each kind (counting, negated) shown with each (all of them: the forecast's page)
EVIDENCE_PER_PAGE = 50
QUEUE_PER_PAGE = 10
QUEUE_EVIDENCE = 5

EvidencePage = KeysetPage[EvidenceView]


def _evidence_page(
    session: Session,
    forecast_id: str,
    *,
    negated: bool,
    cursor: str | None,
    per_page: int,
    total: int,
) -> EvidencePage:
    if not total and not cursor:  # nothing to read (a bad cursor is still refused below)
        return KeysetPage([], None, check_per_page(per_page), total)
    rows, following, earlier = evidence_keyset(
        session, forecast_id, negated=negated, cursor=cursor, per_page=per_page
    )
    return KeysetPage(rows, following, per_page, total, cursor, earlier)


def evidence_page(
    session: Session,
    forecast_id: str,
    *,
    negated: bool = False,
    cursor: str | None = None,
    per_page: int = EVIDENCE_PER_PAGE,
) -> EvidencePage:
    """The page at ``cursor`` (None: the first) of a forecast's counting (or negated) evidence,
    oldest article first, with how many rows of that kind it has."""
    registry.get_forecast(session, forecast_id)  # an unknown forecast is a NotFoundError
    summary = resolution_summaries(session, [forecast_id])[forecast_id]
    total = summary.evidence_negated if negated else summary.evidence
    return _evidence_page(
        session, forecast_id, negated=negated, cursor=cursor, per_page=per_page, total=total
    )


def evidence_pages(
    session: Session,
    forecast_id: str,
    *,
    cursor: str | None = None,
    negated_cursor: str | None = None,
    per_page: int = EVIDENCE_PER_PAGE,
) -> tuple[Proposal | None, EvidencePage, EvidencePage]:
    """A forecast's pending proposal and the requested pages of its counting and negated
    evidence (each list has its own cursor)."""
    summary = resolution_summaries(session, [forecast_id])[forecast_id]
    counting = _evidence_page(
        session,
        forecast_id,
        negated=False,
        cursor=cursor,
        per_page=per_page,
        total=summary.evidence,
    )
    negated = _evidence_page(
        session,
        forecast_id,
        negated=True,
        cursor=negated_cursor,
        per_page=per_page,
        total=summary.evidence_negated,
    )
    return summary.proposal, counting, negated


@dataclass(frozen=True)
class ReviewEntry:
    """A proposal waiting for review, with the first evidence rows of each kind and their totals."""

    item: ReviewItem
    forecast_status: Status  # the status the forecast has today (open, or closed past its date)
    evidence_total: int
    negated_total: int


ReviewPage = KeysetPage[ReviewEntry]


def review_page(
    session: Session,
    *,
    cursor: str | None = None,
    per_page: int = QUEUE_PER_PAGE,
    evidence_limit: int = QUEUE_EVIDENCE,
) -> ReviewPage:
    """The page of the review queue at ``cursor`` (None: the first), oldest proposal first, each
    with its first evidence rows; ``total`` is the queue's length.  Confirming the cards of a
    page does not move the next page: it still starts after the same cursor."""
    items, following, earlier = review_keyset(
        session, cursor=cursor, per_page=per_page, evidence_limit=evidence_limit
    )
    counts = resolution_summaries(session, [item.forecast.id for item in items])
    day = utc_today()
    entries = [
        ReviewEntry(
            item,
            lifecycle.status_on(item.forecast, day),
            counts[item.forecast.id].evidence,
            counts[item.forecast.id].evidence_negated,
        )
        for item in items
    ]
    return KeysetPage(entries, following, per_page, review_count(session), cursor, earlier)


def pending_reviews(session: Session, *, limit: int | None = None) -> list[ReviewItem]:
    """Every proposal waiting for review (at most ``limit``), oldest first, with all its evidence
    (`tracker review`)."""
    return review_queue(session, limit=limit)
