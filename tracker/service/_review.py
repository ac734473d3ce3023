"""Use cases of the review queue worked through at speed: several proposals confirmed at once,
and the questions that need an outcome from an analyst.

A question "needs an outcome" when it is past its close date, still unresolved, has no pending
proposal and had a proposal rejected: the resolver does not make the same proposal again (until
a new publisher reports), so without this list nothing would ever bring it back to an analyst.
It is resolved by hand (:func:`tracker.service.resolve_forecast`), from its card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from tracker import resolution
from tracker.clock import today as utc_today
from tracker.domain import lifecycle, registry
from tracker.errors import InvalidInputError, ProposalStateError
from tracker.models import Forecast, Proposal, ProposalStatus, Question
from tracker.resolution import EvidenceView, evidence_for
from tracker.service._resolution import ProposalDecision, confirm_proposal

#: evidence rows shown on a needs-an-outcome card (all of them: the forecast's page)
CARD_EVIDENCE = 5


def _checked_for_confirming(session: Session, proposal_id: int) -> None:
    """Raises what confirming ``proposal_id`` as proposed would raise, before anything is done."""
    proposal = resolution.get_proposal(session, proposal_id)
    if proposal.status != ProposalStatus.PENDING.value:
        raise ProposalStateError(
            proposal_id, proposal.question_id, proposal.status, "confirmed", "nothing confirmed"
        )
    if proposal.outcome is None:
        raise InvalidInputError(
            "ids",
            f"proposal {proposal_id} ({proposal.kind}) proposes no outcome; confirm it on its own "
            "with yes, no or annulled. Nothing confirmed",
        )


def confirm_many(
    session: Session,
    proposal_ids: Sequence[int],
    *,
    actor: str,
    note: str | None = None,
    today: date | None = None,
) -> list[ProposalDecision]:
    """Confirm several pending proposals as proposed, all or nothing: every id is checked first
    (known, pending, with an outcome; a repeated id counts once), then each is confirmed as
    :func:`confirm_proposal` does (one audit entry each).  One unit of work: an error on any of
    them leaves every one undecided."""
    ids = list(dict.fromkeys(proposal_ids))
    if not ids:
        raise InvalidInputError("ids", "give at least one proposal id to confirm")
    for proposal_id in ids:
        _checked_for_confirming(session, proposal_id)
    return [confirm_proposal(session, pid, actor=actor, note=note, today=today) for pid in ids]


@dataclass
class NeedsOutcome:
    """A question past its close date whose proposal was rejected and that nothing will propose
    again: its lead forecast (the card's question, quote and probability), the last rejected
    proposal (why the analyst said no) and the first counting evidence rows."""

    forecast: Forecast
    criteria: str | None
    rejected: Proposal
    evidence: list[EvidenceView] = field(default_factory=list)


def _limbo_query(day: date) -> SelectOfScalar[Question]:
    return select(Question).where(lifecycle.needs_outcome(day))


def needs_outcome_count(session: Session, today: date | None = None) -> int:
    """How many questions need an outcome (see the module docstring)."""
    query = _limbo_query(today or utc_today()).subquery()
    return session.exec(select(func.count()).select_from(query)).one()


def _last_rejected(session: Session, question_id: str) -> Proposal:
    query = (
        select(Proposal)
        .where(
            col(Proposal.question_id) == question_id,
            col(Proposal.status) == ProposalStatus.REJECTED.value,
        )
        .order_by(col(Proposal.decided_at).desc(), col(Proposal.id).desc())
    )
    return session.exec(query).first()  # type: ignore[return-value]  # the query requires one


def needs_outcome(session: Session, today: date | None = None) -> list[NeedsOutcome]:
    """The questions that need an outcome, soonest close date first, each with its lead
    forecast, its last rejected proposal and its first evidence rows.  Read-only."""
    query = _limbo_query(today or utc_today()).order_by(col(Question.closes), col(Question.id))
    cards = []
    for question in session.exec(query):
        lead = registry.lead_forecast(session, question.id)
        if lead is None:  # a question no forecast is on: nothing to score, nothing to show
            continue
        evidence = evidence_for(session, lead.id, negated=False, limit=CARD_EVIDENCE)
        cards.append(
            NeedsOutcome(lead, question.criteria, _last_rejected(session, question.id), evidence)
        )
    return cards
