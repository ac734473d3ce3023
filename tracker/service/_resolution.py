"""Use cases of the resolution stage: the resolution pass, the analyst's decisions on proposals,
and the resolver's own record.

The pass is the same whoever runs it: match the articles not processed yet (every article with
``rematch``), then the deadline check as of a day, then (optionally) confirm every proposal that
has an outcome.  `tracker resolve` runs all of it; the worker's ``match_articles`` task runs the
matching for the articles a poll handed off, and its daily ``check_deadlines`` the rest
(:mod:`._periodic`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from tracker import resolution
from tracker.clock import today as utc_today
from tracker.domain import lifecycle, registry
from tracker.models import Outcome, Proposal
from tracker.service._unit import unit_of_work

if TYPE_CHECKING:  # the matching side (and its fetchers) loads when a pass runs, not to confirm
    from tracker.resolution import AutoConfirmReport, MatchReport, ResolverStats, RuleSet

#: ``progress(done, total)`` while articles are matched
MatchProgress = Callable[[int, int], None]


@dataclass
class DeadlineCheck:
    """What the deadline check did: the articles it caught up on first, and the proposals made."""

    as_of: date
    caught_up: MatchReport
    proposals: list[Proposal]

    def summary(self) -> str:
        return (
            f"as of {self.as_of}: {len(self.proposals)} proposal(s) made; caught up on "
            f"{self.caught_up.articles} unmatched article(s)"
        )


@dataclass
class ResolutionPass:
    """What `tracker resolve` did."""

    deadline: DeadlineCheck
    confirmed: AutoConfirmReport | None = None
    waiting: int = 0  # proposals waiting for review at the end

    @property
    def matched(self) -> MatchReport:
        """The matching of the articles not processed yet (the deadline check's catch-up)."""
        return self.deadline.caught_up

    @property
    def made(self) -> list[Proposal]:
        """Every proposal the pass made: from new evidence, then from the deadline check."""
        return self.matched.proposals + self.deadline.proposals


def deadline_check(
    engine: Engine,
    rules: RuleSet,
    *,
    as_of: date | None = None,
    rematch: bool = False,
    progress: MatchProgress | None = None,
) -> DeadlineCheck:
    """Match every article not processed yet (so that no default is proposed while evidence sits
    unread), then propose outcomes for the forecasts past their close date as of ``as_of``
    (default today): their default at close, or "not yet resolvable" for an analyst.  Records
    the forecasts past their close date as closed.  Idempotent; one unit of work per batch."""
    day = as_of or utc_today()
    caught_up = resolution.catch_up(engine, rules, rematch=rematch, progress=progress)
    with unit_of_work(engine) as session:
        proposals = resolution.check_deadlines(session, day)
    return DeadlineCheck(day, caught_up, proposals)


def resolution_pass(
    engine: Engine,
    rules: RuleSet,
    *,
    as_of: date | None = None,
    rematch: bool = False,
    confirm_as: str | None = None,
    progress: MatchProgress | None = None,
) -> ResolutionPass:
    """The whole pass of `tracker resolve`: the deadline check as of ``as_of`` (which matches the
    unprocessed articles first, every article with ``rematch``), then, with ``confirm_as``, every
    proposal with an outcome confirmed in that name (disputed ones are left for an analyst)."""
    check = deadline_check(engine, rules, as_of=as_of, rematch=rematch, progress=progress)
    done = ResolutionPass(check)
    with unit_of_work(engine) as session:
        if confirm_as is not None:
            done.confirmed = resolution.auto_confirm(session, actor=confirm_as)
        done.waiting = resolution.review_count(session)
    return done


@dataclass(frozen=True)
class ProposalDecision:
    """A proposal after an analyst's decision, and where its forecast now stands."""

    proposal: Proposal
    #: the question's lead forecast (:func:`tracker.domain.registry.lead_forecast`)
    forecast_id: str
    forecast_status: str
    forecast_outcome: str | None


def _decision(session: Session, proposal: Proposal, today: date) -> ProposalDecision:
    session.flush()
    question = registry.get_question(session, proposal.question_id)
    lead = registry.lead_forecast(session, question.id)
    status = lifecycle.status_on(question, today)
    forecast_id = lead.id if lead is not None else question.id
    return ProposalDecision(proposal, forecast_id, status.value, question.outcome)


def confirm_proposal(
    session: Session,
    proposal_id: int,
    *,
    actor: str,
    outcome: Outcome | None = None,
    note: str | None = None,
    today: date | None = None,
) -> ProposalDecision:
    """Confirm a pending proposal: its forecast is resolved with the proposed outcome, or with
    ``outcome`` (a changed outcome; needed for disputed and not-yet-resolvable proposals), and
    ``actor`` is recorded as who resolved it, with the deciding evidence's links."""
    day = today or utc_today()
    resolution.confirm(
        session, proposal_id, actor=actor, outcome=outcome, note=note or None, today=day
    )
    return _decision(session, resolution.get_proposal(session, proposal_id), day)


def reject_proposal(
    session: Session, proposal_id: int, *, actor: str, note: str | None
) -> ProposalDecision:
    """Reject a pending proposal (a note saying why is required); the forecast stays unresolved
    and the same proposal is not made again until a new publisher reports."""
    proposal = resolution.reject(session, proposal_id, actor=actor, note=note)
    return _decision(session, proposal, utc_today())


def confirm_all(session: Session, *, actor: str) -> AutoConfirmReport:
    """Confirm every pending proposal that has an outcome, in ``actor``'s name (marked as
    auto-confirmed: nobody reviewed them); disputed and not-yet-resolvable ones are left."""
    return resolution.auto_confirm(session, actor=actor)


def waiting_proposals(session: Session) -> dict[str, int]:
    """Proposals waiting for review, by kind."""
    return resolution.counts_by_kind(session)


def resolver_stats(
    session: Session,
    *,
    author: str | None = None,
    source: str | None = None,
    tag: str | None = None,
) -> ResolverStats:
    """The resolver's record: its proposals against the analysts' final outcomes."""
    return resolution.resolver_stats(session, author=author, source=source, tag=tag)


@dataclass(frozen=True)
class ForecastOutcome:
    """Where one forecast ended up, and the confirmed proposal that decided it (if any)."""

    forecast_id: str
    probability: float
    status: str
    outcome: str | None
    proposal_kind: str | None
    decisive_on: date | None
    publishers: list[str]


def forecast_outcomes(session: Session, today: date | None = None) -> list[ForecastOutcome]:
    """Every forecast, soonest close first, with its outcome and how it was decided."""
    deciding = resolution.confirmed_proposals(session)
    rows = registry.list_forecasts(session, registry.ForecastFilter(today=today))
    outcomes = []
    for row in rows:
        proposal = deciding.get(row.question_id)
        outcomes.append(
            ForecastOutcome(
                row.id,
                row.probability,
                row.status,
                row.outcome,
                proposal.kind if proposal else None,
                proposal.decisive_on if proposal else None,
                list(proposal.publishers) if proposal else [],
            )
        )
    return outcomes
