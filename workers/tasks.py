"""The tasks: thin wrappers that open their own sessions and call the core.

- ``tracker.poll_due_feeds`` (beat, every minute): finds due feeds and enqueues one
  ``tracker.poll_feed`` per feed; records its run for `tracker status`.
- ``tracker.poll_feed(feed_id)``: one poll through :meth:`tracker.ingest.Poller.poll_feed`.
  Idempotent: a duplicate delivery finds the feed not due (or leased by the poller already
  on it) and is skipped; the per-feed lease is the one-poll-per-feed lock, in the database,
  so it holds across every worker in both modes.  Feed errors are not task errors: they are
  recorded on the feed, which backs off on its own schedule.  Transient infrastructure errors
  (database, Redis, every per-host slot busy) are retried with exponential backoff and jitter.

- ``tracker.match_articles(article_ids)``: the resolution stage for new articles (handed off by
  every poll through :data:`tracker.ingest.new_articles`, connected when a worker starts):
  evidence, ``matched_at``, proposals.  Idempotent (evidence is insert-or-ignore, processed
  articles are skipped, the policy refreshes the one pending proposal in place).
- ``tracker.check_deadlines(as_of=None)`` (beat, daily): matches any article a failed hand-off
  left unprocessed, then proposes ``default_at_close`` for forecasts past their close date.

Each worker process has one shared HTTP client (:class:`tracker.ingest.Fetcher`), built on
first use; in the distributed mode its per-host limit is a Redis semaphore shared by all
workers (at most 2 requests in flight per host), else a local one.
"""

from __future__ import annotations

import os
import threading
from datetime import date

import redis
from celery import Celery
from celery.bootsteps import RUN
from celery.signals import worker_init, worker_process_shutdown, worker_shutdown

from tracker import db, resolution
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.errors import StorageError
from tracker.ingest import (
    FetchLimits,
    HostBusyError,
    LocalHostLimiter,
    Poller,
    RedisHostLimiter,
    due_feed_ids,
    make_fetcher,
    new_articles,
)
from tracker.settings import Settings
from tracker.taskruns import recorded_run

#: The daily check may catch up on many unmatched articles; far below the 1 h visibility timeout.
DEADLINE_SOFT_LIMIT_S = 900
TRANSIENT_ERRORS = (StorageError, HostBusyError, redis.ConnectionError, redis.TimeoutError)


class WorkerState:
    """Per-process resources of a worker: the engine and the one shared HTTP client."""

    def __init__(self, settings: Settings, limits: FetchLimits | None = None) -> None:
        self.settings = settings
        self.limits = limits or FetchLimits()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._poller: Poller | None = None
        self._rules = resolution.RuleSet()
        self._rules_lock = threading.Lock()

    def poller(self) -> Poller:
        with self._lock:
            if self._poller is None or self._pid != os.getpid():  # fresh after a fork
                self._pid = os.getpid()
                engine = db.engine_for(self.settings)
                fetcher = make_fetcher(
                    self.settings, limits=self.limits, host_limiter=self._host_limiter()
                )
                self._poller = Poller(engine, fetcher)
            return self._poller

    def match(self, article_ids: list[int]) -> resolution.MatchReport:
        """One unit of work of the resolution stage, with this process's compiled rules."""
        with self._rules_lock, db.session_scope(db.engine_for(self.settings)) as session:
            return resolution.match_articles(session, article_ids, self._rules)

    def catch_up(self) -> resolution.MatchReport:
        with self._rules_lock:
            return resolution.catch_up(db.engine_for(self.settings), self._rules)

    def _host_limiter(self):  # noqa: ANN202
        if not self.settings.broker_is_redis():
            return LocalHostLimiter(self.limits.per_host)
        client = redis.Redis.from_url(self.settings.resolved_broker_url(), socket_timeout=10)
        return RedisHostLimiter(
            client,
            self.settings.namespace,
            self.limits.per_host,
            ttl=self.limits.total_timeout + 30,
            wait=self.limits.host_wait,
        )

    def close(self) -> None:
        with self._lock:
            if self._poller is not None and self._pid == os.getpid():
                self._poller.fetcher.close()
            self._poller = None


def register_tasks(app: Celery) -> None:
    settings: Settings = app.tracker_settings  # type: ignore[attr-defined]
    state = WorkerState(settings)
    app.tracker_state = state  # type: ignore[attr-defined]

    @app.task(
        name="tracker.poll_due_feeds",
        shared=False,
        acks_late=True,
        soft_time_limit=50,
        time_limit=60,
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=2,
        retry_backoff_max=30,
        retry_jitter=True,
        max_retries=3,
    )
    def poll_due_feeds() -> int:
        engine = db.engine_for(settings)
        with recorded_run(engine, "poll_due_feeds") as run:
            with session_scope(engine) as session:
                feed_ids = due_feed_ids(session)
            for feed_id in feed_ids:
                poll_feed.apply_async((feed_id,), queue=settings.namespace)
            run["detail"] = f"{len(feed_ids)} feed(s) due, poll tasks queued"
        return len(feed_ids)

    @app.task(
        name="tracker.poll_feed",
        shared=False,
        acks_late=True,
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=5,
        retry_backoff_max=300,
        retry_jitter=True,
        max_retries=8,
    )
    def poll_feed(feed_id: int, force: bool = False) -> dict:
        result = state.poller().poll_feed(feed_id, force=force)
        return {
            "feed_id": feed_id,
            "outcome": result.outcome.value,
            "new": len(result.new_article_ids),
            "error_kind": result.error_kind,
        }

    @app.task(
        name="tracker.match_articles",
        shared=False,
        acks_late=True,
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=2,
        retry_backoff_max=60,
        retry_jitter=True,
        max_retries=8,
    )
    def match_articles(article_ids: list[int]) -> dict:
        engine = db.engine_for(settings)
        with recorded_run(engine, "match_articles") as run:
            report = state.match(article_ids)
            run["detail"] = report.summary()
        return report.to_json()

    @app.task(
        name="tracker.check_deadlines",
        shared=False,
        acks_late=True,
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=5,
        retry_backoff_max=300,
        retry_jitter=True,
        max_retries=5,
        soft_time_limit=DEADLINE_SOFT_LIMIT_S,
        time_limit=DEADLINE_SOFT_LIMIT_S + 60,
    )
    def check_deadlines(as_of: str | None = None) -> dict:
        engine = db.engine_for(settings)
        day = date.fromisoformat(as_of) if as_of else utcnow().date()
        with recorded_run(engine, "check_deadlines") as run:
            caught_up = state.catch_up()
            with session_scope(engine) as session:
                proposals = resolution.check_deadlines(session, day)
            run["detail"] = (
                f"as of {day}: {len(proposals)} proposal(s) made; caught up on "
                f"{caught_up.articles} unmatched article(s)"
            )
        return {
            "as_of": day.isoformat(),
            "proposals": len(proposals),
            "caught_up": caught_up.articles,
        }

    running: list[object] = []  # the WorkController of this app's worker, once it has started

    def hand_off(article_ids: list[int], *, engine: object = None) -> None:
        """Receiver of tracker.ingest.new_articles: queue their matching (chunks of BATCH ids)."""
        if not running or getattr(getattr(running[0], "blueprint", None), "state", RUN) != RUN:
            # The worker has stopped (a cold shutdown sends no worker_shutdown): stop handing off;
            # the articles stay unmatched and the daily check_deadlines catches up on them.
            new_articles.disconnect(hand_off)
            return
        for start in range(0, len(article_ids), resolution.BATCH):
            match_articles.apply_async(
                (article_ids[start : start + resolution.BATCH],), queue=settings.namespace
            )

    app.tracker_hand_off = hand_off  # type: ignore[attr-defined]

    def _connect(sender: object = None, **_kwargs: object) -> None:
        # Only in a worker of this app: polls done by the worker hand their articles to the
        # resolution stage; other processes (the CLI, the web app) are left alone.
        if getattr(sender, "app", None) is app:
            running[:] = [sender]
            new_articles.connect(hand_off)

    def _close(sender: object = None, **_kwargs: object) -> None:
        state.close()
        if getattr(sender, "app", None) is app:
            new_articles.disconnect(hand_off)

    worker_init.connect(_connect, weak=False)
    worker_process_shutdown.connect(_close, weak=False)
    worker_shutdown.connect(_close, weak=False)
