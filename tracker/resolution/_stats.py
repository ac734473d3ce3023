"""Scoring the resolver itself: its proposals against what analysts decided.

Every decided proposal (confirmed or rejected) is compared with the forecast's *current*
outcome — its active resolution — so a confirmation later reopened and resolved the other way
counts against the resolver too.  A forecast not resolved (yet) is ``unresolved``.

- the confusion matrix: proposed (yes / no / none for disputed and not-yet-resolvable) ×
  final (yes / no / annulled / unresolved);
- fates: confirmed as proposed, confirmed with a changed outcome, rejected; auto-confirmed
  ones (``--auto-confirm``) are counted apart, since no analyst looked at them;
- precision of automatic proposals: among decided proposals with an outcome whose forecast is
  now resolved yes or no, the share the final outcome agrees with; overall, for
  analyst-reviewed ones only, and by kind, publisher and tag.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from tracker.models import (
    Forecast,
    ForecastTag,
    Proposal,
    ProposalStatus,
    Question,
    Source,
    Status,
)

PROPOSED = ("yes", "no", "none")
FINAL = ("yes", "no", "annulled", "unresolved")
DECIDED = (ProposalStatus.CONFIRMED.value, ProposalStatus.REJECTED.value)


@dataclass
class GroupStats:
    """Decided proposals of one group (a kind, a publisher, a tag)."""

    name: str
    decided: int = 0
    scored: int = 0  # with an outcome, and the forecast now resolved yes/no
    correct: int = 0

    @property
    def wrong(self) -> int:
        return self.scored - self.correct

    @property
    def precision(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "decided": self.decided,
            "scored": self.scored,
            "correct": self.correct,
            "wrong": self.wrong,
            "precision": self.precision,
        }


@dataclass
class ResolverStats:
    by_status: dict[str, int] = field(default_factory=dict)
    matrix: dict[str, dict[str, int]] = field(
        default_factory=lambda: {p: dict.fromkeys(FINAL, 0) for p in PROPOSED}
    )
    confirmed_as_proposed: int = 0
    confirmed_changed: int = 0
    rejected: int = 0
    auto_confirmed: int = 0
    overall: GroupStats = field(default_factory=lambda: GroupStats("all"))
    reviewed: GroupStats = field(default_factory=lambda: GroupStats("reviewed by an analyst"))
    by_kind: list[GroupStats] = field(default_factory=list)
    by_publisher: list[GroupStats] = field(default_factory=list)
    by_tag: list[GroupStats] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.overall.precision

    @property
    def decided(self) -> int:
        return self.overall.decided

    def to_json(self) -> dict[str, Any]:
        return {
            "proposals_by_status": self.by_status,
            "confusion_matrix": {
                "rows": "proposed outcome",
                "columns": "final outcome",
                "matrix": self.matrix,
            },
            "fates": {
                "confirmed_as_proposed": self.confirmed_as_proposed,
                "confirmed_changed": self.confirmed_changed,
                "rejected": self.rejected,
                "auto_confirmed": self.auto_confirmed,
            },
            "precision": self.overall.precision,
            "precision_reviewed": self.reviewed.precision,
            "overall": self.overall.to_json(),
            "reviewed": self.reviewed.to_json(),
            "by_kind": [g.to_json() for g in self.by_kind],
            "by_publisher": [g.to_json() for g in self.by_publisher],
            "by_tag": [g.to_json() for g in self.by_tag],
        }


def _final(forecast: Question) -> str:
    if forecast.status == Status.RESOLVED.value and forecast.outcome in ("yes", "no"):
        return forecast.outcome
    if forecast.status == Status.ANNULLED.value:
        return "annulled"
    return "unresolved"


def _add(group: GroupStats, proposal: Proposal, final: str) -> None:
    group.decided += 1
    if proposal.outcome is not None and final in ("yes", "no"):
        group.scored += 1
        group.correct += proposal.outcome == final


def resolver_stats(
    session: Session,
    *,
    author: str | None = None,
    source: str | None = None,
    tag: str | None = None,
) -> ResolverStats:
    """The resolver's record (module docstring), optionally for some forecasts only (author:
    case-insensitive substring; source key; tag)."""
    forecasts = select(col(Forecast.question_id)).join(Source)
    if author:
        forecasts = forecasts.where(col(Source.author).icontains(author, autoescape=True))
    if source:
        forecasts = forecasts.where(col(Source.key) == source)
    if tag:
        forecasts = forecasts.where(
            col(Forecast.id).in_(
                select(col(ForecastTag.forecast_id)).where(
                    col(ForecastTag.tag) == tag.strip().lower()
                )
            )
        )
    query = (
        select(Proposal, Question)
        .join(Question, col(Proposal.question_id) == col(Question.id))
        .where(col(Question.id).in_(forecasts))
    )
    pairs = list(session.exec(query.order_by(col(Proposal.id))))
    tags: dict[str, set[str]] = defaultdict(set)
    ids = sorted({q.id for _, q in pairs})
    if ids:
        tagged = session.exec(
            select(col(Forecast.question_id), col(ForecastTag.tag))
            .join(Forecast, col(Forecast.id) == col(ForecastTag.forecast_id))
            .where(col(Forecast.question_id).in_(ids))
        )
        for question_id, name in tagged:
            tags[question_id].add(name)
    stats = ResolverStats(by_status=dict(Counter(p.status for p, _ in pairs)))
    kinds: dict[str, GroupStats] = {}
    publishers: dict[str, GroupStats] = {}
    by_tag: dict[str, GroupStats] = {}
    for proposal, forecast in pairs:
        if proposal.status not in DECIDED:
            continue
        final = _final(forecast)
        stats.matrix[proposal.outcome or "none"][final] += 1
        if proposal.status == ProposalStatus.REJECTED.value:
            stats.rejected += 1
        elif proposal.final_outcome == proposal.outcome:
            stats.confirmed_as_proposed += 1
        else:
            stats.confirmed_changed += 1
        stats.auto_confirmed += proposal.auto_confirmed
        _add(stats.overall, proposal, final)
        if not proposal.auto_confirmed:
            _add(stats.reviewed, proposal, final)
        _add(kinds.setdefault(proposal.kind, GroupStats(proposal.kind)), proposal, final)
        for publisher in proposal.publishers or []:
            _add(publishers.setdefault(publisher, GroupStats(publisher)), proposal, final)
        for name in sorted(tags.get(forecast.id, ())):
            _add(by_tag.setdefault(name, GroupStats(name)), proposal, final)
    stats.by_kind = sorted(kinds.values(), key=lambda g: g.name)
    stats.by_publisher = sorted(publishers.values(), key=lambda g: g.name)
    stats.by_tag = sorted(by_tag.values(), key=lambda g: g.name)
    return stats
