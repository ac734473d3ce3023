"""The resolution policy: from a forecast's evidence to what the resolver proposes.

:func:`decide` is pure (no database): given a forecast's window, ``min_sources``,
``default_at_close`` and its evidence, it says what the proposal should be, or that there is
nothing to propose yet.  :func:`evaluate` applies it to the database: it creates, refreshes or
supersedes the one pending proposal of each forecast, with an audit entry for each change.

The policy, in order:

1. Evidence counts when it is not negated and was published inside [opens, closes] (whole UTC
   days, inclusive).  Publishers are counted, not articles: one story syndicated twice counts once.
2. Counting evidence on both sides: ``disputed`` (no outcome; an analyst decides).
3. Counting evidence on one side from at least ``min_sources`` distinct publishers (and none on
   the other): ``evidence`` with that outcome; ``decisive_on`` is the day the last needed
   publisher reported it.
4. Only when the deadline is checked (``as_of`` given) and ``as_of`` is past ``closes``:
   ``default_at_close`` with the forecast's default, unless the default is ``none`` or weak
   counting evidence (fewer than ``min_sources`` publishers) points the other way; then
   ``not_yet_resolvable`` (no outcome; an analyst decides rather than the default being forced).
5. Otherwise nothing: weak evidence before the close date waits for more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tracker.clock import utcnow
from tracker.domain import audit
from tracker.matching import published_day
from tracker.models import (
    Evidence,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Question,
    Status,
)

#: The actor of everything the resolver does by itself (proposals, superseding them).
RESOLVER_ACTOR = "resolver"
#: Forecasts that can still collect evidence and get proposals.
UNRESOLVED = (Status.OPEN.value, Status.CLOSED.value)
SIDES = ("yes", "no")
#: Proposals that only the deadline check makes (the matching path leaves them alone).
DEADLINE_KINDS = (ProposalKind.DEFAULT_AT_CLOSE.value, ProposalKind.NOT_YET_RESOLVABLE.value)


@dataclass(frozen=True)
class EvidenceFact:
    """What the policy reads of one evidence row."""

    side: str
    publisher: str
    published: date
    negated: bool


@dataclass(frozen=True)
class Decision:
    """What the resolver should propose for one forecast."""

    kind: ProposalKind
    outcome: str | None
    evidence_count: int
    publishers: tuple[str, ...]
    decisive_on: date | None
    reason: str


def _default(value: str | None) -> str | None:
    return value if value in SIDES else None


def _publishers(facts: Sequence[EvidenceFact]) -> tuple[str, ...]:
    return tuple(sorted({f.publisher for f in facts}))


def _day_reaching(facts: Sequence[EvidenceFact], needed: int) -> date | None:
    """The publication day on which ``needed`` distinct publishers had reported (facts sorted by
    day)."""
    seen: set[str] = set()
    for fact in facts:
        seen.add(fact.publisher)
        if len(seen) >= needed:
            return fact.published
    return None


def decide(
    *,
    opens: date,
    closes: date,
    min_sources: int,
    default_at_close: str | None,
    evidence: Iterable[EvidenceFact],
    as_of: date | None,
) -> Decision | None:
    """The proposal the policy (module docstring) asks for, or None when there is nothing to
    propose.

    ``as_of`` None means "evidence only": the deadline rules (4) are not applied.
    """
    needed = max(1, min_sources)
    counting = sorted(
        (f for f in evidence if not f.negated and opens <= f.published <= closes),
        key=lambda f: (f.published, f.publisher),
    )
    by_side = {side: [f for f in counting if f.side == side] for side in SIDES}
    if by_side["yes"] and by_side["no"]:
        since = max(by_side["yes"][0].published, by_side["no"][0].published)
        reason = (
            f"conflicting evidence: yes from {', '.join(_publishers(by_side['yes']))}; "
            f"no from {', '.join(_publishers(by_side['no']))}"
        )
        return Decision(
            ProposalKind.DISPUTED, None, len(counting), _publishers(counting), since, reason
        )
    for side in SIDES:
        publishers = _publishers(by_side[side])
        if len(publishers) >= needed:
            return Decision(
                ProposalKind.EVIDENCE,
                side,
                len(by_side[side]),
                publishers,
                _day_reaching(by_side[side], needed),
                f"{side.upper()} reported by {len(publishers)} publisher(s) "
                f"({', '.join(publishers)}; {needed} needed) and nothing counts for the other side",
            )
    if as_of is None or as_of <= closes:
        return None
    default = _default(default_at_close)
    against = [f for f in counting if f.side != default]
    if default is not None and not against:
        return Decision(
            ProposalKind.DEFAULT_AT_CLOSE,
            default,
            len(counting),
            _publishers(counting),
            closes,
            f"no decisive evidence by the close date {closes}; the forecast's default at close is "
            f"{default.upper()}",
        )
    if default is None:
        reason = (
            f"past its close date {closes} with no decisive evidence and no default at close: "
            "an analyst decides"
        )
    else:
        reason = (
            f"past its close date {closes}: weak evidence for {against[0].side.upper()} "
            f"({', '.join(_publishers(against))}; {needed} publishers needed) goes against the "
            "default "
            f"{default.upper()}: an analyst decides"
        )
    return Decision(
        ProposalKind.NOT_YET_RESOLVABLE, None, len(counting), _publishers(counting), closes, reason
    )


# --- applying it -----------------------------------------------------------------------------


def facts_of(session: Session, forecast_ids: Sequence[str]) -> dict[str, list[EvidenceFact]]:
    facts: dict[str, list[EvidenceFact]] = {}
    if not forecast_ids:
        return facts
    rows = session.execute(
        sa_select(
            col(Evidence.question_id),
            col(Evidence.side),
            col(Evidence.publisher),
            col(Evidence.published_at),
            col(Evidence.negated),
        ).where(col(Evidence.question_id).in_(list(forecast_ids)))
    )
    for forecast_id, side, publisher, published_at, negated in rows:
        facts.setdefault(forecast_id, []).append(
            EvidenceFact(side, publisher, published_day(published_at), negated)
        )
    return facts


def _proposals(
    session: Session, forecast_ids: Sequence[str], statuses: Sequence[str]
) -> dict[str, list[Proposal]]:
    found: dict[str, list[Proposal]] = {}
    rows = session.exec(
        select(Proposal)
        .where(
            col(Proposal.question_id).in_(list(forecast_ids)),
            col(Proposal.status).in_(list(statuses)),
        )
        .order_by(col(Proposal.id))
    )
    for proposal in rows:
        found.setdefault(proposal.question_id, []).append(proposal)
    return found


def _same(proposal: Proposal, decision: Decision) -> bool:
    return proposal.kind == decision.kind.value and proposal.outcome == decision.outcome


def _already_decided(decided: Sequence[Proposal], decision: Decision) -> bool:
    """An analyst already confirmed or rejected this very proposal, and no new publisher has
    reported since: proposing it again would only nag."""
    return any(
        _same(p, decision) and set(decision.publishers) <= set(p.publishers) for p in decided
    )


def supersede(
    session: Session, proposal: Proposal, why: str, *, now: datetime | None = None
) -> None:
    proposal.status = ProposalStatus.SUPERSEDED.value
    proposal.decided_at = now or utcnow()
    proposal.decided_by = RESOLVER_ACTOR
    proposal.decision_note = why
    session.add(proposal)
    audit.record(
        session,
        actor=RESOLVER_ACTOR,
        action="supersede-proposal",
        entity="question",
        entity_id=proposal.question_id,
        detail={
            "proposal": proposal.id,
            "kind": proposal.kind,
            "outcome": proposal.outcome,
            "why": why,
        },
    )


def _create(session: Session, forecast_id: str, decision: Decision) -> Proposal:
    proposal = Proposal(
        question_id=forecast_id,
        kind=decision.kind.value,
        outcome=decision.outcome,
        evidence_count=decision.evidence_count,
        publishers=list(decision.publishers),
        decisive_on=decision.decisive_on,
        reason=decision.reason,
    )
    session.add(proposal)
    # the id, for the audit entry; the partial unique index checks "one pending" here
    session.flush()
    audit.record(
        session,
        actor=RESOLVER_ACTOR,
        action="propose",
        entity="question",
        entity_id=forecast_id,
        detail={
            "proposal": proposal.id,
            "kind": proposal.kind,
            "outcome": proposal.outcome,
            "evidence": proposal.evidence_count,
            "publishers": proposal.publishers,
            "reason": proposal.reason,
        },
    )
    return proposal


def _refresh(session: Session, proposal: Proposal, decision: Decision) -> None:
    """Same proposal, more (or other) evidence behind it: the counts follow, no new proposal."""
    values = {
        "evidence_count": decision.evidence_count,
        "publishers": list(decision.publishers),
        "decisive_on": decision.decisive_on,
        "reason": decision.reason,
    }
    if any(getattr(proposal, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(proposal, key, value)
        session.add(proposal)


def evaluate(
    session: Session, forecast_ids: Iterable[str], *, as_of: date | None = None
) -> list[Proposal]:
    """Re-evaluate the policy for ``forecast_ids`` (unresolved ones; others are skipped) and
    bring their pending proposals in line.  Returns the proposals created.

    Idempotent: the same evidence gives the same pending proposal, refreshed in place.  With
    ``as_of`` None (the matching path) the deadline rules are not applied, and a pending
    deadline proposal is left alone; :func:`tracker.resolution.check_deadlines` passes a date.
    """
    ids = sorted(set(forecast_ids))
    if not ids:
        return []
    forecasts = list(
        session.exec(
            select(Question).where(col(Question.id).in_(ids), col(Question.status).in_(UNRESOLVED))
        )
    )
    ids = [f.id for f in forecasts]
    facts = facts_of(session, ids)
    pending = {k: v[0] for k, v in _proposals(session, ids, [ProposalStatus.PENDING.value]).items()}
    decided = _proposals(
        session, ids, [ProposalStatus.CONFIRMED.value, ProposalStatus.REJECTED.value]
    )
    created = []
    for forecast in forecasts:
        decision = decide(
            opens=forecast.opens,
            closes=forecast.closes,
            min_sources=forecast.min_sources,
            default_at_close=forecast.default_at_close,
            evidence=facts.get(forecast.id, []),
            as_of=as_of,
        )
        current = pending.get(forecast.id)
        if decision is None:
            if current is not None and (as_of is not None or current.kind not in DEADLINE_KINDS):
                supersede(session, current, "the evidence no longer supports it")
            continue
        if current is not None and _same(current, decision):
            _refresh(session, current, decision)
            continue
        if current is not None:
            supersede(
                session, current, f"replaced by a {decision.kind.value} proposal: {decision.reason}"
            )
            session.flush()  # free the "one pending" slot before the new one is inserted
        if _already_decided(decided.get(forecast.id, []), decision):
            continue
        created.append(_create(session, forecast.id, decision))
    return created
