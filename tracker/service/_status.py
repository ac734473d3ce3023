"""`tracker status`: where the pipeline stands, read with counts (never lists loaded to be
measured): feeds due, failing and disabled, articles stored and not yet matched, proposals
waiting for review, the last run of each periodic task, the workers' task counters, and the
depth of the task queues.

``tracker status --format json`` prints :meth:`StatusSummary.to_json`, a shape monitoring
scripts rely on: documented in the README ("Operating"), versioned by
:data:`STATUS_SCHEMA_VERSION` (a key is only ever added within a version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from tracker import db, ingest
from tracker.clock import utcnow
from tracker.models import Feed, TaskRun
from tracker.resolution import count_evidence
from tracker.service._feeds import FeedHealth, list_feeds
from tracker.service._metrics import TaskFigures, task_figures
from tracker.service._resolution import waiting_proposals
from tracker.service._review import needs_outcome_count
from tracker.service._taskruns import task_runs
from tracker.service._workers import queue_depths
from tracker.settings import Settings

#: the version of the shape of ``tracker status --format json``
STATUS_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class QueueInfo:
    broker: str  # "redis" or "embedded file broker"
    namespace: str
    depth: int | None  # None: the broker cannot say
    #: every queue of the tracker (tasks, article pages) -> messages waiting
    depths: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusSummary:
    feeds: int
    due: int
    failing: list[FeedHealth]
    disabled: list[FeedHealth]
    articles: int
    unmatched: int
    waiting: dict[str, int]  # proposals waiting for review, by kind
    runs: list[TaskRun]
    queue: QueueInfo
    #: article pages of --full-text feeds by state (pending, fetched, failed, refused)
    pages: dict[str, int] = field(default_factory=dict)
    #: questions past their close date whose proposal was rejected: an analyst must resolve them
    needs_outcome: int = 0
    #: the workers' counters of each Celery task (what /metrics reports)
    tasks: list[TaskFigures] = field(default_factory=list)
    #: the database's schema revision(s), and whether that is this version's head
    revisions: frozenset[str] = frozenset()
    schema_current: bool = True
    at: datetime | None = None

    def to_json(self) -> dict[str, object]:
        """The documented shape of ``tracker status --format json`` (README, "Operating")."""
        last = max((t.last_finished for t in self.tasks if t.last_finished), default=None)
        return {
            "schema_version": STATUS_SCHEMA_VERSION,
            "at": _iso(self.at),
            "database": {
                "revision": ",".join(sorted(self.revisions)) or None,
                "current": self.schema_current,
            },
            "feeds": {
                "total": self.feeds,
                "due": self.due,
                "failing": len(self.failing),
                "disabled": len(self.disabled),
                "failing_ids": [h.feed.id for h in self.failing],
            },
            "articles": {"stored": self.articles, "unmatched": self.unmatched, "pages": self.pages},
            "proposals": {"waiting": sum(self.waiting.values()), "by_kind": self.waiting},
            "needs_outcome": self.needs_outcome,
            "periodic_tasks": {run.name: _run_json(run) for run in self.runs},
            "workers": {
                "last_task_finished": _iso(last),
                "tasks": {task.name: _task_json(task) for task in self.tasks},
            },
            "queues": {
                "broker": self.queue.broker,
                "namespace": self.queue.namespace,
                "depths": self.queue.depths,
            },
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _run_json(run: TaskRun) -> dict[str, object]:
    return {
        "last_started": _iso(run.last_started),
        "last_finished": _iso(run.last_finished),
        "status": run.last_status,
        "detail": run.last_detail,
    }


def _task_json(task: TaskFigures) -> dict[str, object]:
    return {
        "last_finished": _iso(task.last_finished),
        "successes": task.successes,
        "failures": task.failures,
        "retries": task.retries,
        "mean_seconds": round(task.seconds_sum / task.runs, 3) if task.runs else None,
    }


def queue_info(settings: Settings) -> QueueInfo:
    broker = "redis" if settings.broker_is_redis() else "embedded file broker"
    depths = queue_depths(settings)
    return QueueInfo(broker, settings.namespace, depths[settings.namespace], depths)


def status_summary(
    session: Session, settings: Settings, now: datetime | None = None
) -> StatusSummary:
    """Where the pipeline stands now (see the module docstring)."""
    now = now or utcnow()
    troubled = list_feeds(session, troubled_only=True)
    revisions = db.schema_revisions(session.get_bind())  # type: ignore[arg-type]
    return StatusSummary(
        feeds=ingest.count_feeds(session),
        due=ingest.count_due_feeds(session, now),
        failing=[f for f in troubled if f.state == "failing"],
        disabled=[f for f in troubled if f.state == "disabled"],
        articles=ingest.count_articles(session),
        unmatched=ingest.count_unmatched(session),
        waiting=waiting_proposals(session),
        runs=task_runs(session),
        queue=queue_info(settings),
        pages=ingest.page_state_counts(session),
        needs_outcome=needs_outcome_count(session),
        tasks=task_figures(session),
        revisions=revisions,
        schema_current=revisions == db.migration_heads(),
        at=now,
    )


@dataclass(frozen=True)
class PipelineProgress:
    """How far ingestion and matching have got (what the demo waits on)."""

    feeds: int
    feeds_polled: int
    failing: list[Feed]  # feeds whose last poll failed
    articles: int
    matched: int
    evidence: int
    #: article pages (of --full-text feeds) by state: pending, fetched, failed, refused
    pages: dict[str, int] = field(default_factory=dict)


def pipeline_progress(session: Session) -> PipelineProgress:
    troubled = ingest.list_feeds(session, troubled_only=True)
    articles = ingest.count_articles(session)
    return PipelineProgress(
        feeds=ingest.count_feeds(session),
        feeds_polled=ingest.count_feeds(session, polled=True),
        failing=[feed for feed in troubled if feed.consecutive_failures],
        articles=articles,
        matched=articles - ingest.count_unmatched(session),
        evidence=count_evidence(session),
        pages=ingest.page_state_counts(session),
    )
