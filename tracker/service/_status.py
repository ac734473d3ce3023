"""`tracker status`: where the pipeline stands, read with counts (never lists loaded to be
measured): feeds due, failing and disabled, articles stored and not yet matched, proposals
waiting for review, the last run of each periodic task, and the depth of the task queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from tracker import ingest
from tracker.clock import utcnow
from tracker.models import Feed, TaskRun
from tracker.resolution import count_evidence
from tracker.service._feeds import FeedHealth, list_feeds
from tracker.service._resolution import waiting_proposals
from tracker.service._review import needs_outcome_count
from tracker.service._taskruns import task_runs
from tracker.service._workers import queue_depth
from tracker.settings import Settings


@dataclass(frozen=True)
class QueueInfo:
    broker: str  # "redis" or "embedded file broker"
    namespace: str
    depth: int | None  # None: the broker cannot say


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


def queue_info(settings: Settings) -> QueueInfo:
    broker = "redis" if settings.broker_is_redis() else "embedded file broker"
    return QueueInfo(broker, settings.namespace, queue_depth(settings))


def status_summary(
    session: Session, settings: Settings, now: datetime | None = None
) -> StatusSummary:
    """Where the pipeline stands now (see the module docstring)."""
    troubled = list_feeds(session, troubled_only=True)
    return StatusSummary(
        feeds=ingest.count_feeds(session),
        due=ingest.count_due_feeds(session, now or utcnow()),
        failing=[f for f in troubled if f.state == "failing"],
        disabled=[f for f in troubled if f.state == "disabled"],
        articles=ingest.count_articles(session),
        unmatched=ingest.count_unmatched(session),
        waiting=waiting_proposals(session),
        runs=task_runs(session),
        queue=queue_info(settings),
        pages=ingest.page_state_counts(session),
        needs_outcome=needs_outcome_count(session),
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
