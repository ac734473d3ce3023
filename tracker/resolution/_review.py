"""What analysts do with proposals: read the review queue and the evidence, confirm, reject.

These functions take the caller's session (one unit of work) and the analyst's name, so the CLI
and the web app call them the same way.  A confirmation resolves the forecast through
:func:`tracker.domain.lifecycle.resolve` (the only code that changes a status), with the links of
the
evidence that decided it; the proposal keeps its fate (confirmed as proposed, confirmed with a
changed outcome, rejected) for :func:`tracker.resolution.resolver_stats`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, true, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from tracker._seek import Key, order_by, read_page
from tracker.clock import utcnow
from tracker.domain import audit, lifecycle, registry
from tracker.errors import InvalidInputError, NotFoundError, ProposalStateError
from tracker.matching import published_day, registered_domain
from tracker.models import (
    Article,
    Evidence,
    Forecast,
    Outcome,
    Proposal,
    ProposalStatus,
    Question,
    Resolution,
)
from tracker.resolution._policy import UNRESOLVED


@dataclass(frozen=True)
class EvidenceView:
    """One evidence row with its article, as a reviewer reads it."""

    id: int
    question_id: str
    side: str
    negated: bool
    in_window: bool
    sentence: str
    matched_phrases: list[str]
    publisher: str
    published_at: datetime
    article_id: int
    title: str
    url: str | None
    field: str | None = None  # title, summary or body (None: matched before fields were kept)
    author: str | None = None
    categories: tuple[str, ...] = ()
    attached_by: str | None = None  # the reviewer who attached it by hand (None: matched)
    note: str | None = None  # their reason

    @property
    def counts(self) -> bool:
        """Counts toward a proposal: not negated and published inside the forecast's window."""
        return self.in_window and not self.negated

    @property
    def link_publisher(self) -> str | None:
        """The publisher the article's link names, when the evidence counts for another (the
        server it was fetched from: an aggregator's or a forger's feed): shown, never counted."""
        try:
            host = (urlsplit(self.url).hostname or "") if self.url else ""
        except ValueError:  # a malformed IPv6 literal or port
            return None
        if not host or host == self.publisher or host.endswith("." + self.publisher):
            return None  # its own publisher's link (most rows: no suffix list to load)
        named = registered_domain(self.url)
        return named if named and named != self.publisher else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question_id": self.question_id,
            "side": self.side,
            "counts": self.counts,
            "negated": self.negated,
            "in_window": self.in_window,
            "sentence": self.sentence,
            "matched_phrases": self.matched_phrases,
            "publisher": self.publisher,
            "published_at": self.published_at.isoformat(),
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "field": self.field,
            "author": self.author,
            "categories": list(self.categories),
            "attached_by": self.attached_by,
            "note": self.note,
        }


#: an evidence row as a reviewer reads it: columns, not ORM objects (a review page reads hundreds
#: of rows and builds no entities for them)
_VIEW_COLUMNS = (
    col(Evidence.id),
    col(Evidence.question_id),
    col(Evidence.side),
    col(Evidence.negated),
    col(Evidence.sentence),
    col(Evidence.matched_phrases),
    col(Evidence.publisher),
    col(Evidence.published_at),
    col(Evidence.article_id),
    col(Article.title),
    col(Article.url),
    col(Evidence.field),
    col(Article.author),
    col(Article.categories),
    col(Evidence.attached_by),
    col(Evidence.note),
)


def _view_query() -> Any:
    return (
        sa_select(*_VIEW_COLUMNS)
        .join(Article, col(Evidence.article_id) == col(Article.id))
        .order_by(col(Evidence.published_at), col(Evidence.id))
    )


@functools.lru_cache(maxsize=128)
def _firsts_query(forecasts: int, kinds: tuple[bool, ...], per_forecast: int) -> Any:
    """The views of the first ``per_forecast`` rows of each kind of ``forecasts`` questions
    (bound as ``q0``, ``q1``...): one small index range read per question and kind
    (``ix_evidence_timeline``) joined by UNION ALL.  Built once per shape: a page of 20 cards
    built 40 subqueries on every request, longer than the database took to run them."""
    firsts = [
        select(col(Evidence.id))
        .where(col(Evidence.question_id) == bindparam(f"q{i}"), col(Evidence.negated) == kind)
        .order_by(col(Evidence.published_at), col(Evidence.id))
        .limit(per_forecast)
        .subquery()
        for i in range(forecasts)
        for kind in kinds
    ]
    chosen = (
        union_all(*(select(first.c.id) for first in firsts))
        if len(firsts) > 1
        else select(firsts[0].c.id)
    ).subquery()
    return _view_query().join(chosen, chosen.c.id == col(Evidence.id))


def _views(
    session: Session,
    forecasts: Sequence[Question],
    *,
    per_forecast: int | None = None,
    negated: bool | None = None,
    ids: Sequence[int] | None = None,
) -> dict[str, list[EvidenceView]]:
    """The evidence of ``forecasts``, oldest article first; ``negated`` keeps one kind only;
    ``per_forecast`` keeps the first so many of each kind (counting, negated) per forecast
    (:func:`_firsts_query`), so a forecast with thousands of rows costs no more than others.
    """
    by_id = {f.id: f for f in forecasts}
    views: dict[str, list[EvidenceView]] = {f.id: [] for f in forecasts}
    if not by_id:
        return views
    params: dict[str, Any] = {}
    if ids is not None:  # the rows of one page, chosen by a keyset read
        query = _view_query().where(col(Evidence.id).in_(list(ids)))
    elif per_forecast is None:
        query = _view_query().where(col(Evidence.question_id).in_(list(by_id)))
        if negated is not None:
            query = query.where(col(Evidence.negated) == negated)
    else:
        kinds = (False, True) if negated is None else (negated,)
        query = _firsts_query(len(by_id), kinds, per_forecast)
        params = {f"q{i}": forecast_id for i, forecast_id in enumerate(by_id)}
    for row in session.execute(query, params):
        views[row.question_id].append(_view_of(row, by_id[row.question_id]))
    return views


def _view_of(row: Any, question: Question) -> EvidenceView:
    return EvidenceView(
        id=row.id,
        question_id=row.question_id,
        side=row.side,
        negated=row.negated,
        in_window=question.opens <= published_day(row.published_at) <= question.closes,
        sentence=row.sentence,
        matched_phrases=list(row.matched_phrases or []),
        publisher=row.publisher,
        published_at=row.published_at,
        article_id=row.article_id,
        title=row.title,
        url=row.url,
        field=row.field,
        author=row.author,
        categories=tuple(row.categories or ()),
        attached_by=row.attached_by,
        note=row.note,
    )


def evidence_for(
    session: Session,
    forecast_id: str,
    *,
    negated: bool | None = None,
    limit: int | None = None,
) -> list[EvidenceView]:
    """The evidence rows of a forecast, oldest article first (negated ones included unless
    ``negated`` picks one kind: see ``EvidenceView.counts``); ``limit``: the first so many of
    each kind.  Raises NotFoundError for an unknown forecast."""
    question = registry.question_of(session, forecast_id)
    return _views(session, [question], negated=negated, per_forecast=limit)[question.id]


#: the order of a forecast's evidence of one kind: oldest article first (ix_evidence_timeline)
EVIDENCE_KEYS = (Key(col(Evidence.published_at), datetime), Key(col(Evidence.id), int))


def evidence_keyset(
    session: Session, forecast_id: str, *, negated: bool, cursor: str | None, per_page: int
) -> tuple[list[EvidenceView], str | None, str | None]:
    """The page at ``cursor`` of a forecast's counting (or negated) evidence, oldest article
    first: (rows, next cursor, previous cursor).  The page's ids are read by keyset on
    ``ix_evidence_timeline``, then their articles: page 5,000 costs what page 1 does."""
    question = registry.question_of(session, forecast_id)
    keys = sa_select(col(Evidence.published_at), col(Evidence.id)).where(
        col(Evidence.question_id) == question.id, col(Evidence.negated) == negated
    )
    rows, following, earlier = read_page(
        session, keys, EVIDENCE_KEYS, tuple, cursor=cursor, per_page=per_page
    )
    if not rows:
        return [], following, earlier
    views = _views(session, [question], ids=[row.id for row in rows])[question.id]
    return views, following, earlier


@dataclass
class ReviewItem:
    """A pending proposal on a question, with the question's lead forecast (the one that defined
    it, else the first by id: :func:`lead_forecast_id`) and the evidence behind it."""

    proposal: Proposal
    forecast: Forecast
    evidence: list[EvidenceView] = field(default_factory=list)

    @property
    def needs_outcome(self) -> bool:
        """Disputed / not yet resolvable: confirming it needs the analyst's outcome."""
        return self.proposal.outcome is None

    def to_json(self) -> dict[str, Any]:
        p, f = self.proposal, self.forecast
        return {
            "proposal": proposal_json(p),
            "forecast": {
                "id": f.id,
                "question": f.question,
                "status": f.status,
                "probability": f.probability,
                "estimate": f.estimate,
                "opens": f.opens.isoformat(),
                "closes": f.closes.isoformat(),
                "min_sources": f.min_sources,
                "default_at_close": f.default_at_close,
            },
            "evidence": [e.to_json() for e in self.evidence if not e.negated],
            "negated_evidence": [e.to_json() for e in self.evidence if e.negated],
        }


def proposal_json(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.id,
        "question_id": p.question_id,
        "kind": p.kind,
        "outcome": p.outcome,
        "evidence_count": p.evidence_count,
        "publishers": list(p.publishers or []),
        "decisive_on": p.decisive_on.isoformat() if p.decisive_on else None,
        "reason": p.reason,
        "created_at": p.created_at.isoformat(),
        "status": p.status,
        "decided_at": p.decided_at.isoformat() if p.decided_at else None,
        "decided_by": p.decided_by,
        "decision_note": p.decision_note,
        "final_outcome": p.final_outcome,
        "auto_confirmed": p.auto_confirmed,
    }


def lead_forecast_id(question_id: Any) -> Any:
    """A scalar subquery: the forecast that defined the question inline (same id), else the
    first forecast on it by id (a question defined in a question file).  On an alias of the
    forecast table, so that it never correlates with a query that joins forecasts."""
    candidate = aliased(Forecast)
    inline = (
        select(col(candidate.id))
        .where(col(candidate.id) == question_id, col(candidate.question_id) == question_id)
        .scalar_subquery()
    )
    first = (
        select(func.min(col(candidate.id)))
        .where(col(candidate.question_id) == question_id)
        .scalar_subquery()
    )
    return func.coalesce(inline, first)


def _queue_query(session: Session) -> Select[Proposal, Forecast]:
    """:func:`_queue_statement` for the session's database."""
    return _queue_statement(session.get_bind().dialect.name)


@functools.cache
def _queue_statement(dialect: str) -> Select[Proposal, Forecast]:
    """Built once per database kind (a statement is immutable; each use adds to a copy): the
    aliases of the lead lookup took longer to build than the database took to count the queue.

    Pending proposals of unresolved questions, each with its question's lead forecast
    (:func:`lead_forecast_id`).  On PostgreSQL the lead is a LATERAL lookup per proposal (the
    question's forecasts, the inline one first, else the lowest id): joined on the computed id,
    PostgreSQL hashed every unresolved forecast (15,000 at 100,000) for 1,000 cards, 19 ms for
    the count alone against 7 ms.  SQLite has no LATERAL and looks the lead up per row anyway."""
    if dialect == "postgresql":
        return _queue_query_lateral()
    return (
        select(Proposal, Forecast)
        .join(Forecast, col(Forecast.id) == lead_forecast_id(col(Proposal.question_id)))
        .where(
            col(Proposal.status) == ProposalStatus.PENDING.value,
            col(Forecast.status).in_(UNRESOLVED),
        )
    )


def _queue_query_lateral() -> Select[Proposal, Forecast]:
    question = col(Proposal.question_id)
    lead = (
        sa_select(Forecast)
        .where(col(Forecast.question_id) == question)
        .order_by((col(Forecast.id) == question).desc(), col(Forecast.id))
        .limit(1)
        .lateral("lead")
    )
    forecast = aliased(Forecast, lead)
    return (
        select(Proposal, forecast)
        .join(lead, true())
        .where(
            col(Proposal.status) == ProposalStatus.PENDING.value,
            col(forecast.status).in_(UNRESOLVED),
        )
    )


def review_queue(
    session: Session,
    *,
    limit: int | None = None,
    evidence_limit: int | None = None,
) -> list[ReviewItem]:
    """Pending proposals (disputed and not-yet-resolvable ones included), oldest first, each with
    its forecast and evidence (``evidence_limit``: the first so many counting and so many negated
    rows of each; see :func:`summaries` for the totals).  Read-only (safe for a GET)."""
    query = _queue_query(session).order_by(*order_by(QUEUE_KEYS))
    if limit:
        query = query.limit(limit)
    return _items(session, [(p, f) for p, f in session.exec(query)], evidence_limit)


#: the review queue's order: oldest proposal first
QUEUE_KEYS = (Key(col(Proposal.created_at), datetime), Key(col(Proposal.id), int))


def review_keyset(
    session: Session, *, cursor: str | None, per_page: int, evidence_limit: int | None = None
) -> tuple[list[ReviewItem], str | None, str | None]:
    """The page of the review queue at ``cursor`` (None: the first), oldest first: (items, next
    cursor, previous cursor).  Read by keyset on (created_at, id): a card confirmed or rejected
    leaves the queue, and the page after a cursor still starts with the card that followed."""
    pairs, following, earlier = read_page(
        session,
        _queue_query(session),
        QUEUE_KEYS,
        lambda pair: (pair[0].created_at, pair[0].id),
        cursor=cursor,
        per_page=per_page,
    )
    return _items(session, [(p, f) for p, f in pairs], evidence_limit), following, earlier


def _items(
    session: Session, pairs: list[tuple[Proposal, Forecast]], evidence_limit: int | None
) -> list[ReviewItem]:
    questions = {q.id: q for q in _questions(session, [p.question_id for p, _ in pairs])}
    views = _views(session, list(questions.values()), per_forecast=evidence_limit)
    return [ReviewItem(p, f, views[p.question_id]) for p, f in pairs]


def _questions(session: Session, ids: Sequence[str]) -> list[Question]:
    if not ids:
        return []
    return list(session.exec(select(Question).where(col(Question.id).in_(list(set(ids))))))


def review_count(session: Session) -> int:
    """How many proposals wait for review (the length of :func:`review_queue`)."""
    return session.exec(_count_statement(session.get_bind().dialect.name)).one()


@functools.cache
def _count_statement(dialect: str) -> SelectOfScalar[int]:
    """The queue itself, counted.  Counting by the questions instead (their status, whether a
    forecast stands on one) was no faster: 3.3 against 5.0 ms on SQLite, but 6.8 against 3.4 ms
    on PostgreSQL, which hashed the 13,000 unresolved questions for 1,000 proposals."""
    return select(func.count()).select_from(_queue_statement(dialect).subquery())


def get_proposal(session: Session, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFoundError("proposal", proposal_id, "see `tracker review` for the pending ones")
    return proposal


def _pending(session: Session, proposal_id: int, requested: str) -> tuple[Proposal, Question]:
    proposal = get_proposal(session, proposal_id)
    if proposal.status != ProposalStatus.PENDING.value:
        raise ProposalStateError(
            proposal_id,
            proposal.question_id,
            proposal.status,
            requested,
            f"decided by {proposal.decided_by} on {proposal.decided_at:%Y-%m-%d}"
            if proposal.decided_at
            else "",
        )
    question = registry.get_question(session, proposal.question_id)
    if question.status not in UNRESOLVED:
        raise ProposalStateError(
            proposal_id,
            question.id,
            "stale",
            requested,
            f"the forecast is {question.status} already; reopen it first",
        )
    return proposal, question


def _decide(
    session: Session,
    proposal: Proposal,
    status: ProposalStatus,
    *,
    actor: str,
    note: str | None,
    final_outcome: str | None = None,
    auto: bool = False,
) -> None:
    proposal.status = status.value
    proposal.decided_at = utcnow()
    proposal.decided_by = actor
    proposal.decision_note = note
    proposal.final_outcome = final_outcome
    proposal.auto_confirmed = auto
    session.add(proposal)


def confirm(
    session: Session,
    proposal_id: int,
    *,
    actor: str,
    outcome: Outcome | str | None = None,
    note: str | None = None,
    auto: bool = False,
    today: date | None = None,
) -> Resolution:
    """Confirm a pending proposal: the forecast is resolved with the proposed outcome, or with
    ``outcome`` when the analyst decides otherwise (a changed outcome; needed for disputed and
    not-yet-resolvable proposals).  The evidence links of the deciding side are kept on the
    resolution.  ``auto`` marks a batch confirmation (``--auto-confirm``)."""
    if not actor or not actor.strip():
        raise InvalidInputError("by", "confirming a proposal needs the name of who decides")
    proposal, question = _pending(session, proposal_id, "confirmed")
    final = (
        Outcome(outcome)
        if outcome is not None
        else (Outcome(proposal.outcome) if proposal.outcome else None)
    )
    if final is None:
        raise InvalidInputError(
            "outcome",
            f"proposal {proposal.id} ({proposal.kind}, question {question.id!r}) proposes no "
            "outcome; give yes, no or annulled",
        )
    links = _evidence_links(session, question.id, final.value)
    text = note or f"confirmed resolver proposal {proposal.id} ({proposal.kind}): {proposal.reason}"
    resolution = lifecycle.resolve(
        session, question, final, actor=actor, note=text, evidence_links=links, today=today
    )
    _decide(
        session,
        proposal,
        ProposalStatus.CONFIRMED,
        actor=actor,
        note=note,
        final_outcome=final.value,
        auto=auto,
    )
    audit.record(
        session,
        actor=actor,
        action="confirm-proposal",
        entity="question",
        entity_id=question.id,
        detail={
            "proposal": proposal.id,
            "kind": proposal.kind,
            "proposed": proposal.outcome,
            "outcome": final.value,
            "changed": proposal.outcome != final.value,
            "auto": auto,
            "note": note,
        },
    )
    return resolution


def _evidence_links(session: Session, forecast_id: str, side: str) -> list[str]:
    if side not in ("yes", "no"):
        return []
    rows = session.exec(
        select(col(Article.url))
        .join(Evidence, col(Evidence.article_id) == col(Article.id))
        .where(
            col(Evidence.question_id) == forecast_id,
            col(Evidence.side) == side,
            col(Evidence.negated).is_(False),
        )
        .order_by(col(Evidence.published_at))
    )
    return [url for url in rows if url]


def reject(session: Session, proposal_id: int, *, actor: str, note: str | None) -> Proposal:
    """Reject a pending proposal (the forecast stays unresolved).  The same proposal is not made
    again unless a new publisher reports; a note saying why is required."""
    if not note or not note.strip():
        raise InvalidInputError("note", f"rejecting proposal {proposal_id} needs a note saying why")
    if not actor or not actor.strip():
        raise InvalidInputError("by", "rejecting a proposal needs the name of who decides")
    proposal, question = _pending(session, proposal_id, "rejected")
    _decide(session, proposal, ProposalStatus.REJECTED, actor=actor, note=note)
    audit.record(
        session,
        actor=actor,
        action="reject-proposal",
        entity="question",
        entity_id=question.id,
        detail={
            "proposal": proposal.id,
            "kind": proposal.kind,
            "proposed": proposal.outcome,
            "note": note,
        },
    )
    return proposal


@dataclass
class AutoConfirmReport:
    confirmed: list[tuple[str, str]] = field(default_factory=list)  # (forecast id, outcome)
    left_for_review: list[Proposal] = field(default_factory=list)  # disputed / not yet resolvable


def auto_confirm(
    session: Session, *, actor: str, note: str = "auto-confirmed"
) -> AutoConfirmReport:
    """Confirm every pending proposal that has an outcome (demo, batch back-fills); disputed and
    not-yet-resolvable ones are left for an analyst."""
    report = AutoConfirmReport()
    for item in review_queue(session):
        proposal = item.proposal
        if proposal.outcome is None or proposal.id is None:  # disputed / not yet resolvable
            report.left_for_review.append(proposal)
            continue
        confirm(session, proposal.id, actor=actor, note=note, auto=True)
        report.confirmed.append((proposal.question_id, proposal.outcome))
    return report


@dataclass(frozen=True)
class ForecastResolutionSummary:
    """For forecast lists: the pending proposal (if any) and the evidence counts."""

    proposal: Proposal | None
    evidence: int  # counting rows (not negated); the window was checked when they were matched
    evidence_negated: int

    def proposal_json(self) -> dict[str, Any] | None:
        p = self.proposal
        if p is None:
            return None
        return {
            "id": p.id,
            "kind": p.kind,
            "outcome": p.outcome,
            "evidence_count": p.evidence_count,
            "publishers": list(p.publishers or []),
            "created_at": p.created_at.isoformat(),
        }


def summaries(
    session: Session, forecast_ids: Sequence[str]
) -> dict[str, ForecastResolutionSummary]:
    """By forecast id: the pending proposal and evidence counts of the forecast's question."""
    asked = list(forecast_ids)
    question_of = (
        dict(
            session.exec(
                select(col(Forecast.id), col(Forecast.question_id)).where(
                    col(Forecast.id).in_(asked)
                )
            ).all()
        )
        if asked
        else {}
    )
    by_question = _question_summaries(session, sorted(set(question_of.values())))
    empty = ForecastResolutionSummary(None, 0, 0)
    return {i: by_question.get(question_of.get(i, ""), empty) for i in asked}


def _question_summaries(session: Session, ids: list[str]) -> dict[str, ForecastResolutionSummary]:
    counts: dict[tuple[str, bool], int] = {}
    pending: dict[str, Proposal] = {}
    if ids:
        rows = session.exec(
            select(col(Evidence.question_id), col(Evidence.negated), func.count())
            .where(col(Evidence.question_id).in_(ids))
            .group_by(col(Evidence.question_id), col(Evidence.negated))
        )
        counts = {(forecast_id, bool(negated)): n for forecast_id, negated, n in rows}
        pending = {
            p.question_id: p
            for p in session.exec(
                select(Proposal).where(
                    col(Proposal.question_id).in_(ids),
                    col(Proposal.status) == ProposalStatus.PENDING.value,
                )
            )
        }
    return {
        i: ForecastResolutionSummary(
            pending.get(i), counts.get((i, False), 0), counts.get((i, True), 0)
        )
        for i in ids
    }


def confirmed_proposals(session: Session) -> dict[str, Proposal]:
    """The confirmed proposal that decided each question's outcome (the latest, if it was
    reopened and confirmed again), by question id."""
    rows = session.exec(
        select(Proposal)
        .where(col(Proposal.status) == ProposalStatus.CONFIRMED.value)
        .order_by(col(Proposal.id))
    )
    return {proposal.question_id: proposal for proposal in rows}


def count_evidence(session: Session) -> int:
    """How many evidence rows there are (negated ones included)."""
    return int(session.exec(select(func.count()).select_from(Evidence)).one())


def counts_by_kind(session: Session) -> dict[str, int]:
    """Pending proposals by kind (for `tracker status`)."""
    rows = session.exec(
        select(col(Proposal.kind), func.count())
        .join(Question, col(Proposal.question_id) == col(Question.id))
        .where(
            col(Proposal.status) == ProposalStatus.PENDING.value,
            col(Question.status).in_(UNRESOLVED),
        )
        .group_by(col(Proposal.kind))
    )
    return dict(rows.all())
