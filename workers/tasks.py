"""The tasks: each is one call of :mod:`tracker.service`, which opens its own units of work,
records the run for `tracker status`, and is idempotent.

- ``tracker.poll_due_feeds`` (beat, every minute): finds due feeds and enqueues one
  ``tracker.poll_feed`` per feed.
- ``tracker.poll_feed(feed_id)``: one poll.  A duplicate delivery finds the feed not due (or
  leased by the poller already on it) and is skipped; the per-feed lease is the one-poll-per-feed
  lock, in the database, so it holds across every worker in both modes.  Feed errors are not
  task errors: they are recorded on the feed, which backs off on its own schedule.
- ``tracker.match_articles(article_ids)``: the resolution stage for new articles (handed off by
  every poll through :data:`tracker.service.new_articles`, connected when a worker starts).
- ``tracker.match_stragglers`` (beat, every 5 minutes): matches the articles left unmatched for
  10 minutes (a hand-off lost with a SIGKILLed worker or a broker outage).
- ``tracker.check_deadlines(as_of=None)`` (beat, daily): matches any article a failed hand-off
  left unprocessed, then proposes outcomes for forecasts past their close date.
- On the pages queue (``<namespace>.pages``, consumed by `tracker worker --pages`), so a slow
  site never holds up polling: ``tracker.fetch_due_pages`` (beat, every minute) enqueues one
  ``tracker.fetch_article_page(article_id)`` per article page due (new, or due for a retry);
  ``poll_feed`` also enqueues one for each new article of a ``--full-text`` feed.  A page
  failure is recorded on the article and retried on its own schedule, not a task error; new text
  goes to ``match_articles`` through the same hand-off as new articles.

- ``tracker.pull_due_baselines`` (beat, every minute): enqueues one
  ``tracker.pull_baseline(baseline_id)`` per market baseline due; a pull's failure (timeout,
  HTML, a changed shape ...) is recorded on the baseline, which backs off on its own schedule.

Transient infrastructure errors (database, Redis, every per-host slot busy) are retried with
exponential backoff and jitter.  Each worker process keeps its resources (engine, the one shared
HTTP client, the compiled rules) in a :class:`tracker.service.WorkerResources`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import redis
from celery import Celery
from celery.bootsteps import RUN
from celery.signals import worker_init, worker_process_shutdown, worker_shutdown

from tracker import service
from tracker.errors import StorageError
from tracker.ingest import HostBusyError
from tracker.settings import Settings

#: The daily check may catch up on many unmatched articles; far below the 1 h visibility timeout.
DEADLINE_SOFT_LIMIT_S = 900
TRANSIENT_ERRORS = (StorageError, HostBusyError, redis.ConnectionError, redis.TimeoutError)
RETRY = {"autoretry_for": TRANSIENT_ERRORS, "retry_jitter": True, "acks_late": True}
#: a beat tick that queues the due items (feeds, pages, baselines): short, retried quickly
TICK: dict[str, Any] = {
    "shared": False,
    "soft_time_limit": 50,
    "time_limit": 60,
    "retry_backoff": 2,
    "retry_backoff_max": 30,
    "max_retries": 3,
    **RETRY,
}
#: one item's work (a feed, an article page, a baseline): retried with a longer backoff
PER_ITEM: dict[str, Any] = {
    "shared": False,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 8,
    **RETRY,
}


def _task(app: Celery, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``app.task(**options)``: turns a typed body into a Celery task (Celery ships no type
    information, so the task itself is ``Any``)."""
    decorator: Callable[[Callable[..., Any]], Any] = app.task(**options)
    return decorator


def register_tasks(app: Celery) -> None:
    settings: Settings = app.tracker_settings
    resources = service.WorkerResources(settings)
    app.tracker_state = resources
    queue = settings.namespace
    pages = settings.pages_queue()

    @_task(
        app,
        name="tracker.poll_due_feeds",
        **TICK,
    )
    def poll_due_feeds() -> int:
        return service.poll_due_feeds(
            resources, lambda feed_id: poll_feed.apply_async((feed_id,), queue=queue)
        )

    @_task(
        app,
        name="tracker.poll_feed",
        **PER_ITEM,
    )
    def poll_feed(feed_id: int, force: bool = False) -> dict[str, Any]:
        result = service.poll_feed(
            resources,
            feed_id,
            force=force,
            enqueue_page=lambda article_id: fetch_article_page.apply_async(
                (article_id,), queue=pages
            ),
        )
        return {
            "feed_id": feed_id,
            "outcome": result.outcome.value,
            "new": len(result.new_article_ids),
            "pages": len(result.page_ids),
            "error_kind": result.error_kind,
        }

    @_task(
        app,
        name="tracker.fetch_due_pages",
        **TICK,
    )
    def fetch_due_pages() -> int:
        return service.fetch_due_pages(
            resources, lambda article_id: fetch_article_page.apply_async((article_id,), queue=pages)
        )

    @_task(
        app,
        name="tracker.fetch_article_page",
        **PER_ITEM,
    )
    def fetch_article_page(article_id: int, force: bool = False) -> dict[str, Any]:
        outcome = service.fetch_article_page(resources, article_id, force=force)
        return {
            "article_id": article_id,
            "state": outcome.state,
            "error_kind": outcome.error_kind,
            "rematch": outcome.rematch,
        }

    @_task(
        app,
        name="tracker.match_articles",
        shared=False,
        retry_backoff=2,
        retry_backoff_max=60,
        max_retries=8,
        **RETRY,
    )
    def match_articles(article_ids: list[int]) -> dict[str, Any]:
        return service.match_articles(resources, article_ids).to_json()

    @_task(
        app,
        name="tracker.match_stragglers",
        shared=False,
        retry_backoff=5,
        retry_backoff_max=300,
        max_retries=3,
        soft_time_limit=DEADLINE_SOFT_LIMIT_S,
        time_limit=DEADLINE_SOFT_LIMIT_S + 60,
        **RETRY,
    )
    def match_stragglers() -> dict[str, Any]:
        return service.match_stragglers(resources).to_json()

    @_task(
        app,
        name="tracker.check_deadlines",
        shared=False,
        retry_backoff=5,
        retry_backoff_max=300,
        max_retries=5,
        soft_time_limit=DEADLINE_SOFT_LIMIT_S,
        time_limit=DEADLINE_SOFT_LIMIT_S + 60,
        **RETRY,
    )
    def check_deadlines(as_of: str | None = None) -> dict[str, Any]:
        check = service.check_deadlines(resources, date.fromisoformat(as_of) if as_of else None)
        return {
            "as_of": check.as_of.isoformat(),
            "proposals": len(check.proposals),
            "caught_up": check.caught_up.articles,
        }

    @_task(
        app,
        name="tracker.pull_due_baselines",
        **TICK,
    )
    def pull_due_baselines() -> int:
        return service.queue_due_baselines(
            resources.engine,
            lambda baseline_id: pull_baseline.apply_async((baseline_id,), queue=queue),
        )

    @_task(
        app,
        name="tracker.pull_baseline",
        **PER_ITEM,
    )
    def pull_baseline(baseline_id: int, force: bool = False) -> dict[str, Any]:
        result = service.pull_baseline(resources.engine, settings, baseline_id, force=force)
        return {
            "baseline_id": baseline_id,
            "outcome": result.outcome,
            "added": result.added,
            "changed": result.changed,
            "error_kind": result.error_kind,
        }

    _connect_hand_off(app, resources, match_articles)


def _connect_hand_off(app: Celery, resources: service.WorkerResources, match: Any) -> None:
    """Polls done by this app's worker hand their new articles to ``match_articles``; other
    processes (the CLI, the web app) are left alone."""
    running: list[object] = []  # the WorkController of this app's worker, once it has started

    def hand_off(article_ids: list[int], *, engine: object = None) -> None:
        """Receiver of tracker.service.new_articles: queue their matching, in batches."""
        if not running or getattr(getattr(running[0], "blueprint", None), "state", RUN) != RUN:
            # The worker has stopped (a cold shutdown sends no worker_shutdown): stop handing off;
            # the articles stay unmatched and the daily check_deadlines catches up on them.
            service.new_articles.disconnect(hand_off)
            return
        batch = service.HAND_OFF_BATCH
        for start in range(0, len(article_ids), batch):
            match.apply_async(
                (article_ids[start : start + batch],), queue=app.conf.task_default_queue
            )

    app.tracker_hand_off = hand_off

    def _connect(sender: object = None, **_kwargs: object) -> None:
        if getattr(sender, "app", None) is app:
            running[:] = [sender]
            service.new_articles.connect(hand_off)

    def _close(sender: object = None, **_kwargs: object) -> None:
        resources.close()
        if getattr(sender, "app", None) is app:
            service.new_articles.disconnect(hand_off)

    worker_init.connect(_connect, weak=False)
    worker_process_shutdown.connect(_close, weak=False)
    worker_shutdown.connect(_close, weak=False)
