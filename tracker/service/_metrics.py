"""The operator's figures: what ``GET /metrics`` reports, read when it is scraped.

The web app and the workers are separate processes (several of each), so nothing here is a
counter kept in one process's memory: every figure is read from the database (feeds, articles,
proposals, the ``task_run`` and ``task_stat`` rows) and the broker at scrape time, and every
server process answers the same.  The workers add to ``task_stat`` when a task ends
(:func:`record_task_end`, one upsert), which is what makes task latencies and failures
countable across processes and restarts.

"Per minute" figures are windows of the last 60 seconds: polls are the feeds whose last poll
(success or failure) ended in it, which counts every poll since a feed is polled at most once a
minute; articles are those stored in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, case, func
from sqlmodel import Session, col, select

from tracker import ingest
from tracker.clock import utcnow
from tracker.db import insert_with_conflicts, session_scope
from tracker.models import Article, Feed, ProposalKind, TaskRun, TaskStat
from tracker.service._resolution import waiting_proposals
from tracker.service._review import needs_outcome_count
from tracker.service._taskruns import task_runs
from tracker.service._workers import queue_depths
from tracker.settings import Settings

#: the upper bounds of the run-time histogram's buckets: (``task_stat`` column, seconds)
BUCKETS: tuple[tuple[str, float], ...] = (
    ("le_100ms", 0.1),
    ("le_500ms", 0.5),
    ("le_1s", 1.0),
    ("le_5s", 5.0),
    ("le_30s", 30.0),
    ("le_120s", 120.0),
)
WINDOW = timedelta(minutes=1)
TaskResult = Literal["success", "failure", "retry"]
_COUNTERS = {"success": "successes", "failure": "failures", "retry": "retries"}


@dataclass(frozen=True)
class TaskFigures:
    """One task's runs since the database was made: counts by result and the run times."""

    name: str
    successes: int
    failures: int
    retries: int
    seconds_sum: float
    #: cumulative: (upper bound in seconds, runs that took at most that long)
    buckets: list[tuple[float, int]]
    last_finished: datetime | None

    @property
    def runs(self) -> int:
        return self.successes + self.failures + self.retries


@dataclass(frozen=True)
class OperatorMetrics:
    feeds: dict[str, int]  # by state: ok, new, failing, disabled
    feeds_due: int
    polls_last_minute: int
    articles: int
    articles_last_minute: int
    unmatched: int
    pages: dict[str, int]  # article pages of --full-text feeds, by state
    proposals_waiting: dict[str, int]  # by kind
    needs_outcome: int
    tasks: list[TaskFigures]
    periodic: list[TaskRun]
    queues: dict[str, int | None] = field(default_factory=dict)  # None: not measurable


def operator_metrics(
    session: Session, settings: Settings, now: datetime | None = None
) -> OperatorMetrics:
    """Every figure of ``/metrics`` now (see the module docstring)."""
    now = now or utcnow()
    return OperatorMetrics(
        feeds=_feed_states(session),
        feeds_due=ingest.count_due_feeds(session, now),
        polls_last_minute=_count(session, Feed, col(Feed.last_polled_at) >= now - WINDOW),
        articles=ingest.count_articles(session),
        articles_last_minute=_count(session, Article, col(Article.fetched_at) >= now - WINDOW),
        unmatched=ingest.count_unmatched(session),
        pages=ingest.page_state_counts(session),
        proposals_waiting={kind.value: 0 for kind in ProposalKind} | waiting_proposals(session),
        needs_outcome=needs_outcome_count(session),
        tasks=task_figures(session),
        periodic=task_runs(session),
        queues=queue_depths(settings),
    )


def _count(session: Session, model: type[Any], condition: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(condition)).one())


def _feed_states(session: Session) -> dict[str, int]:
    """Feeds by state, as :func:`tracker.ingest.feed_state` names them, in one query."""
    state = case(
        (col(Feed.disabled_at).is_not(None), "disabled"),
        (col(Feed.consecutive_failures) > 0, "failing"),
        (col(Feed.last_success_at).is_not(None), "ok"),
        else_="new",
    )
    counts = dict.fromkeys(("ok", "new", "failing", "disabled"), 0)
    for name, n in session.exec(select(state, func.count()).group_by(state)):
        counts[str(name)] = int(n)
    return counts


def task_figures(session: Session) -> list[TaskFigures]:
    """Every task's counters, by name."""
    return [
        TaskFigures(
            name=row.name,
            successes=row.successes,
            failures=row.failures,
            retries=row.retries,
            seconds_sum=row.seconds_sum,
            buckets=[(bound, int(getattr(row, column))) for column, bound in BUCKETS],
            last_finished=row.last_finished,
        )
        for row in session.exec(select(TaskStat).order_by(col(TaskStat.name)))
    ]


def record_task_end(engine: Engine, name: str, seconds: float, result: TaskResult) -> None:
    """Adds one finished run of the task ``name`` to its counters: one upsert, so concurrent
    workers each add theirs (the database does the sum, no read-modify-write)."""
    table = TaskStat.__table__  # type: ignore[attr-defined]  # SQLModel's table
    counts = {column: int(column == _COUNTERS[result]) for column in _COUNTERS.values()}
    buckets = {column: int(seconds <= bound) for column, bound in BUCKETS}
    adds = {**counts, **buckets, "seconds_sum": seconds}
    latest = {"last_finished": utcnow(), "last_seconds": seconds}
    insert = insert_with_conflicts(engine.dialect.name)
    statement = insert(table).values(name=name, **adds, **latest)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name],
        set_={
            **{column: table.c[column] + statement.excluded[column] for column in adds},
            **{column: statement.excluded[column] for column in latest},
        },
    )
    with session_scope(engine) as session:
        session.execute(statement)
