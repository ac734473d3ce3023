"""Matching stored articles against the forecasts that can still collect evidence.

Those are the open forecasts and the closed-but-unresolved ones: a replay, a back-fill or a
late-added feed brings old news, which still counts when it was published inside the
forecast's window.  Their rules are compiled into one automaton by a
:class:`~tracker.matching.RuleSet` the caller keeps (a worker keeps one per process), which
recompiles only when the rules or windows change.

Evidence rows go in with ``INSERT ... ON CONFLICT DO NOTHING`` on (forecast, article, side), and
each article gets ``matched_at``: matching the same articles again adds nothing.

An evidence row counts for the publisher the article was fetched from (``Article.publisher``,
recorded by ingestion), never for the domain its link names: a feed chooses its links.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlalchemy import select as sa_select
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import Session, col, select

from tracker.clock import today, utcnow
from tracker.db import insert_with_conflicts, session_scope
from tracker.domain import lifecycle
from tracker.ingest import all_article_ids, unmatched_article_ids
from tracker.matching import ArticleText, ForecastRules, RuleSet, match_batch, registered_domain
from tracker.models import (
    Article,
    Evidence,
    Feed,
    Forecast,
    Proposal,
    ProposalStatus,
    Question,
    table_of,
)
from tracker.resolution._policy import UNRESOLVED, evaluate, supersede

#: Articles read and matched per round trip.  Large enough that scanning them one after another
#: (see :func:`tracker.matching.match_batch`) repays fetching a big automaton into the cache.
BATCH = 2000
#: The publisher of an article with neither its own URL nor a feed site link: all such count as one.
UNKNOWN_PUBLISHER = "unknown"


@dataclass
class MatchReport:
    articles: int = 0
    evidence: int = 0  # new evidence rows
    negated: int = 0  # ... of which negated (kept for reviewers, never counting)
    forecasts: list[str] = field(default_factory=list)  # forecasts that got new evidence
    proposals: list[Proposal] = field(default_factory=list)  # proposals created
    rule_problems: list[str] = field(
        default_factory=list
    )  # forecasts left out: their rules do not compile

    def add(self, other: MatchReport) -> None:
        self.articles += other.articles
        self.evidence += other.evidence
        self.negated += other.negated
        self.forecasts = sorted(set(self.forecasts) | set(other.forecasts))
        self.proposals += other.proposals
        self.rule_problems = other.rule_problems or self.rule_problems

    def summary(self) -> str:
        return (
            f"{self.articles} article(s) matched: {self.evidence} new evidence row(s) "
            f"({self.negated} negated) "
            f"for {len(self.forecasts)} forecast(s); {len(self.proposals)} proposal(s) made"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "evidence": self.evidence,
            "negated": self.negated,
            "forecasts": self.forecasts,
            "rule_problems": self.rule_problems,
            "proposals": [
                {"id": p.id, "question_id": p.question_id, "kind": p.kind, "outcome": p.outcome}
                for p in self.proposals
            ],
        }


def active_rules(session: Session) -> list[ForecastRules]:
    """The rules of every question that can still collect evidence and has a forecast on it (a
    question defined on its own waits for one: nobody would be scored on it)."""
    rows = session.execute(
        sa_select(
            col(Question.id),
            col(Question.opens),
            col(Question.closes),
            col(Question.yes_when),
            col(Question.no_when),
        )
        .where(
            col(Question.status).in_(UNRESOLVED),
            col(Question.id).in_(sa_select(col(Forecast.question_id))),
        )
        .order_by(col(Question.id))
    )
    return [ForecastRules(*row) for row in rows]


def publisher_of(article_url: str | None, feed_site_url: str | None) -> str:
    """The article's registered domain, else its feed's site's; never the feed URL.  Only for
    articles stored before migration 0012 recorded where they came from
    (:func:`evidence_publisher`)."""
    return registered_domain(article_url) or registered_domain(feed_site_url) or UNKNOWN_PUBLISHER


def evidence_publisher(
    fetched_from: str | None, article_url: str | None, feed_site_url: str | None
) -> str:
    """Whom an article's evidence counts for: the publisher it was fetched from
    (``Article.publisher``); an article stored before that was recorded keeps the attribution it
    had (:func:`publisher_of`)."""
    return fetched_from or publisher_of(article_url, feed_site_url)


def _drop_stale(session: Session, publishers: dict[int, str]) -> set[str]:
    """Deletes the evidence these articles gave while they counted for another publisher (an
    aggregator's item, before its page made it its own publisher's: its sentence may be the
    aggregator's words); matching them again makes it afresh.  Evidence a reviewer attached by
    hand is their judgement of the article, not of a sentence: it stays, and counts for the new
    publisher.  Returns the questions touched."""
    if not publishers:
        return set()
    rows = session.execute(
        sa_select(
            col(Evidence.id),
            col(Evidence.article_id),
            col(Evidence.question_id),
            col(Evidence.publisher),
            col(Evidence.attached_by),
        ).where(col(Evidence.article_id).in_(list(publishers)))
    ).all()
    stale = [row for row in rows if row[3] != publishers[row[1]]]
    matched = [row[0] for row in stale if row[4] is None]
    if matched:
        session.execute(delete(Evidence).where(col(Evidence.id).in_(matched)))
    for row in stale:
        if row[4] is not None:
            session.execute(
                update(Evidence)
                .where(col(Evidence.id) == row[0])
                .values(publisher=publishers[row[1]])
            )
    return {row[2] for row in stale}


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """Inserts the evidence rows that are new; returns (forecast_id, negated) of those."""
    if not rows:
        return []
    insert = insert_with_conflicts(session.get_bind().dialect.name)
    table = table_of(Evidence)
    unique = ["question_id", "article_id", "side"]
    statement: ReturningInsert[Any] = (
        insert(table)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(table.c.question_id, table.c.negated)
    )
    return [(row[0], row[1]) for row in session.connection().execute(statement, rows).all()]


def _match_batch(
    session: Session, article_ids: Sequence[int], rules: RuleSet, rematch: bool
) -> MatchReport:
    compiled = rules.update(active_rules(session))
    query = (
        select(Article, col(Feed.site_url))
        .join(Feed, col(Article.feed_id) == col(Feed.id), isouter=True)
        .where(col(Article.id).in_(list(article_ids)))
    )
    if not rematch:
        query = query.where(col(Article.matched_at).is_(None))
    now = utcnow()
    rows: list[dict[str, Any]] = []
    seen: list[int] = []
    read = session.exec(query).all()
    texts = [
        ArticleText(
            article.id,
            article.title,
            article.summary,
            article.published_at,
            article.body,
            article.categories,
        )
        for article, _ in read
    ]
    publishers = {
        article.id: evidence_publisher(article.publisher, article.url, site_url)
        for article, site_url in read
        if article.body_source == "page" and article.id is not None  # a page may have changed it
    }
    stale = _drop_stale(session, publishers)
    for (article, site_url), hits in zip(read, match_batch(compiled, texts), strict=True):
        assert article.id is not None  # a stored row
        seen.append(article.id)
        if not hits:
            continue
        publisher = evidence_publisher(article.publisher, article.url, site_url)
        rows += [
            {
                "question_id": hit.forecast_id,
                "article_id": article.id,
                "side": hit.side,
                "matched_phrases": list(hit.matched_phrases),
                "sentence": hit.sentence,
                "field": hit.field,
                "negated": hit.negated,
                "publisher": publisher,
                "published_at": article.published_at,
                "created_at": now,
            }
            for hit in hits
        ]
    new = _insert_ignore(session, rows)
    if seen:
        session.execute(update(Article).where(col(Article.id).in_(seen)).values(matched_at=now))
    touched = sorted({forecast_id for forecast_id, _ in new} | stale)
    return MatchReport(
        articles=len(seen),
        evidence=len(new),
        negated=sum(1 for _, negated in new if negated),
        forecasts=touched,
        proposals=evaluate(session, touched),
        rule_problems=[str(problem) for problem in compiled.problems],
    )


def match_articles(
    session: Session, article_ids: Sequence[int], rules_cache: RuleSet, *, rematch: bool = False
) -> MatchReport:
    """Match these articles (those not processed yet, unless ``rematch``), store their evidence,
    mark them processed, and re-evaluate the policy for the forecasts that got new evidence.

    Idempotent: evidence is unique per (forecast, article, side) and processed articles are
    skipped; running it twice adds nothing.  A forecast whose rules do not compile is left
    out (listed in ``rule_problems``) rather than stopping matching for every other one.
    """
    report = MatchReport()
    ids = list(dict.fromkeys(article_ids))
    for start in range(0, len(ids), BATCH):
        report.add(_match_batch(session, ids[start : start + BATCH], rules_cache, rematch))
    return report


def supersede_resolved(session: Session) -> int:
    """Pending proposals of forecasts resolved or annulled meanwhile (by hand) are superseded."""
    stale = session.exec(
        select(Proposal)
        .join(Question, col(Proposal.question_id) == col(Question.id))
        .where(
            col(Proposal.status) == ProposalStatus.PENDING.value,
            col(Question.status).not_in(UNRESOLVED),
        )
    )
    count = 0
    for proposal in stale:
        supersede(session, proposal, "the forecast was resolved meanwhile")
        count += 1
    return count


def check_deadlines(session: Session, as_of: date) -> list[Proposal]:
    """The deadline check as of ``as_of``: every unresolved forecast whose close date is before
    it gets the full policy, deadline rules included (``default_at_close``, or
    ``not_yet_resolvable`` for the analyst).  Returns the proposals created; idempotent.

    Forecasts past their close date as of ``as_of`` (and not after today) are also closed.
    """
    lifecycle.close_expired(session, min(as_of, today()))
    supersede_resolved(session)
    due = list(
        session.exec(
            select(col(Question.id)).where(
                col(Question.status).in_(UNRESOLVED), col(Question.closes) < as_of
            )
        )
    )
    return evaluate(session, due, as_of=as_of)


ProgressCallback = Callable[[int, int], None]


def catch_up(
    engine: Engine,
    rules_cache: RuleSet,
    *,
    rematch: bool = False,
    progress: ProgressCallback | None = None,
    batch: int = BATCH,
    fetched_before: datetime | None = None,
) -> MatchReport:
    """Match every article not processed yet (every article with ``rematch``; only those stored
    before ``fetched_before`` when given), one unit of work per batch; ``progress(done, total)``
    after each."""
    with session_scope(engine) as session:
        if rematch:
            ids = all_article_ids(session)
        else:
            ids = unmatched_article_ids(session, fetched_before=fetched_before)
    report = MatchReport()
    if progress:
        progress(0, len(ids))
    for start in range(0, len(ids), batch):
        with session_scope(engine) as session:
            report.add(
                match_articles(session, ids[start : start + batch], rules_cache, rematch=rematch)
            )
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    return report
