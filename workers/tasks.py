"""The tasks: thin wrappers that open their own sessions and call the core.

- ``tracker.poll_due_feeds`` (beat, every minute): finds due feeds and enqueues one
  ``tracker.poll_feed`` per feed; records its run for `tracker status`.
- ``tracker.poll_feed(feed_id)``: one poll through :meth:`tracker.ingest.Poller.poll_feed`.
  Idempotent: a duplicate delivery finds the feed not due (or leased by the poller already
  on it) and is skipped; the per-feed lease is the one-poll-per-feed lock, in the database,
  so it holds across every worker in both modes.  Feed errors are not task errors: they are
  recorded on the feed, which backs off on its own schedule.  Transient infrastructure errors
  (database, Redis, every per-host slot busy) are retried with exponential backoff and jitter.

Each worker process has one shared HTTP client (:class:`tracker.ingest.Fetcher`), built on
first use; in the distributed mode its per-host limit is a Redis semaphore shared by all
workers (at most 2 requests in flight per host), else a local one.
"""

from __future__ import annotations

import os
import threading

import redis
from celery import Celery
from celery.signals import worker_process_shutdown, worker_shutdown

from tracker import db
from tracker.db import session_scope
from tracker.errors import StorageError
from tracker.ingest import (
    FetchLimits, HostBusyError, LocalHostLimiter, Poller, RedisHostLimiter, due_feed_ids, make_fetcher,
)
from tracker.settings import Settings
from tracker.taskruns import recorded_run

TRANSIENT_ERRORS = (StorageError, HostBusyError, redis.ConnectionError, redis.TimeoutError)


class WorkerState:
    """Per-process resources of a worker: the engine and the one shared HTTP client."""

    def __init__(self, settings: Settings, limits: FetchLimits | None = None) -> None:
        self.settings = settings
        self.limits = limits or FetchLimits()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._poller: Poller | None = None

    def poller(self) -> Poller:
        with self._lock:
            if self._poller is None or self._pid != os.getpid():  # fresh after a fork
                self._pid = os.getpid()
                engine = db.engine_for(self.settings)
                fetcher = make_fetcher(self.settings, limits=self.limits, host_limiter=self._host_limiter())
                self._poller = Poller(engine, fetcher)
            return self._poller

    def _host_limiter(self):  # noqa: ANN202
        if not self.settings.broker_is_redis():
            return LocalHostLimiter(self.limits.per_host)
        client = redis.Redis.from_url(self.settings.resolved_broker_url(), socket_timeout=10)
        return RedisHostLimiter(client, self.settings.namespace, self.limits.per_host,
                                ttl=self.limits.total_timeout + 30, wait=self.limits.host_wait)

    def close(self) -> None:
        with self._lock:
            if self._poller is not None and self._pid == os.getpid():
                self._poller.fetcher.close()
            self._poller = None


def register_tasks(app: Celery) -> None:
    settings: Settings = app.tracker_settings  # type: ignore[attr-defined]
    state = WorkerState(settings)
    app.tracker_state = state  # type: ignore[attr-defined]

    @app.task(name="tracker.poll_due_feeds", shared=False, acks_late=True, soft_time_limit=50, time_limit=60,
              autoretry_for=TRANSIENT_ERRORS, retry_backoff=2, retry_backoff_max=30, retry_jitter=True,
              max_retries=3)
    def poll_due_feeds() -> int:
        engine = db.engine_for(settings)
        with recorded_run(engine, "poll_due_feeds") as run:
            with session_scope(engine) as session:
                feed_ids = due_feed_ids(session)
            for feed_id in feed_ids:
                poll_feed.apply_async((feed_id,), queue=settings.namespace)
            run["detail"] = f"{len(feed_ids)} feed(s) due, poll tasks queued"
        return len(feed_ids)

    @app.task(name="tracker.poll_feed", shared=False, acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5,
              retry_backoff_max=300, retry_jitter=True, max_retries=8)
    def poll_feed(feed_id: int, force: bool = False) -> dict:
        result = state.poller().poll_feed(feed_id, force=force)
        return {"feed_id": feed_id, "outcome": result.outcome.value, "new": len(result.new_article_ids),
                "error_kind": result.error_kind}

    def _close(**_kwargs: object) -> None:
        state.close()

    worker_process_shutdown.connect(_close, weak=False)
    worker_shutdown.connect(_close, weak=False)
