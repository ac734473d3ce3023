"""What the Celery tasks do, as use cases: each opens its own units of work, records its run for
`tracker status`, and is idempotent, so a task (``workers/tasks.py``) is one call.

:class:`WorkerResources` holds what a worker process keeps between tasks: the engine, the one
shared HTTP client of the poller and the one of the article pages (with one per-host limit for
both: a Redis semaphore shared by every worker in the distributed mode, a local one otherwise),
the robots.txt cache, and the compiled rules of the forecasts.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta

import redis
from sqlalchemy import Engine

from tracker import ingest, resolution
from tracker.clock import utcnow
from tracker.ingest import FetchLimits, HostLimiter, PageFetcher, PageOutcome, Poller, PollResult
from tracker.logs import log_context
from tracker.resolution import MatchReport, RuleSet
from tracker.service._resolution import DeadlineCheck, deadline_check
from tracker.service._taskruns import recorded_run
from tracker.service._unit import database, unit_of_work
from tracker.settings import Settings

#: the names the runs are recorded under (and the tasks' names, after ``tracker.``)
POLL_DUE_FEEDS = "poll_due_feeds"
MATCH_ARTICLES = "match_articles"
CHECK_DEADLINES = "check_deadlines"
FETCH_DUE_PAGES = "fetch_due_pages"
FETCH_ARTICLE_PAGE = "fetch_article_page"
#: articles handed to one ``match_articles`` task at most (the resolution stage's batch)
HAND_OFF_BATCH = resolution.BATCH
#: how long an article may wait unmatched before ``match_stragglers`` takes it (its own
#: ``match_articles`` task normally runs within seconds of the poll)
STRAGGLER_AGE = timedelta(minutes=10)
log = logging.getLogger(__name__)


class WorkerResources:
    """Per-process resources of a worker, built on first use and again after a fork."""

    def __init__(self, settings: Settings, limits: FetchLimits | None = None) -> None:
        self.settings = settings
        self.limits = limits or ingest.fetch_limits(settings)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._poller: Poller | None = None
        self._pages: PageFetcher | None = None
        self._limiter: HostLimiter | None = None
        self.rules = RuleSet()
        #: one matching at a time per process: the compiled rules are rebuilt in place
        self.rules_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return database(self.settings)

    def _fresh_after_fork(self) -> None:
        """Forget what a parent process built (its sockets are not ours); under the lock."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._poller = self._pages = self._limiter = None

    def poller(self) -> Poller:
        with self._lock:
            self._fresh_after_fork()
            if self._poller is None:
                fetcher = ingest.make_fetcher(
                    self.settings, limits=self.limits, host_limiter=self._shared_limiter()
                )
                self._poller = ingest.make_poller(self.settings, self.engine, fetcher=fetcher)
            return self._poller

    def page_fetcher(self) -> PageFetcher:
        """The article-page fetcher, on the same per-host limit as the poller."""
        with self._lock:
            self._fresh_after_fork()
            if self._pages is None:
                self._pages = ingest.make_page_fetcher(
                    self.settings, limits=self.limits, host_limiter=self._shared_limiter()
                )
            return self._pages

    def _shared_limiter(self) -> HostLimiter:
        if self._limiter is None:
            self._limiter = self._host_limiter()
        return self._limiter

    def _host_limiter(self) -> HostLimiter:
        if not self.settings.broker_is_redis():
            return ingest.LocalHostLimiter(self.limits.per_host)
        client = redis.Redis.from_url(self.settings.resolved_broker_url(), socket_timeout=10)
        return ingest.RedisHostLimiter(
            client,
            self.settings.namespace,
            self.limits.per_host,
            ttl=self.limits.total_timeout + 30,
            wait=self.limits.host_wait,
        )

    def close(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                if self._poller is not None:
                    self._poller.fetcher.close()
                if self._pages is not None:
                    self._pages.close()
            self._poller = self._pages = self._limiter = None


def poll_due_feeds(resources: WorkerResources, enqueue: Callable[[int], object]) -> int:
    """Find the feeds due now and ``enqueue(feed_id)`` a poll of each; returns how many."""
    engine = resources.engine
    with recorded_run(engine, POLL_DUE_FEEDS) as run:
        with unit_of_work(engine) as session:
            feed_ids = ingest.due_feed_ids(session)
        for feed_id in feed_ids:
            enqueue(feed_id)
        run.detail = f"{len(feed_ids)} feed(s) due, poll tasks queued"
    return len(feed_ids)


def poll_feed(
    resources: WorkerResources,
    feed_id: int,
    *,
    force: bool = False,
    enqueue_page: Callable[[int], object] | None = None,
) -> PollResult:
    """One poll of one feed.  Idempotent: a feed not due (unless ``force``), disabled, removed or
    held by another poller is skipped; a feed error is recorded on the feed, not raised.  The
    new articles of a feed that wants their pages are each given to ``enqueue_page`` (they are
    marked due as well, so the next ``fetch_due_pages`` finds any that this misses)."""
    with log_context(feed_id=feed_id):
        result = resources.poller().poll_feed(feed_id, force=force)
        _log_poll(result)
    if enqueue_page is not None:
        for article_id in result.page_ids:
            enqueue_page(article_id)
    return result


def _log_poll(result: PollResult) -> None:
    """One line per poll for the operator (its feed id comes from the log context)."""
    if result.error_kind:
        log.warning("poll of %s failed (%s): %s", result.url, result.error_kind, result.message)
    elif result.outcome is not ingest.Outcome.SKIPPED:
        log.info(
            "polled %s: %s, %d new article(s)",
            result.url,
            result.outcome.value,
            len(result.new_article_ids),
        )


def fetch_due_pages(resources: WorkerResources, enqueue: Callable[[int], object]) -> int:
    """Find the article pages due now (new, or failed and due for a retry), at most the
    settings' ``page_batch``, and ``enqueue(article_id)`` a fetch of each; returns how many."""
    engine = resources.engine
    with recorded_run(engine, FETCH_DUE_PAGES) as run:
        with unit_of_work(engine) as session:
            article_ids = ingest.due_page_ids(session, limit=resources.settings.page_batch)
        for article_id in article_ids:
            enqueue(article_id)
        run.detail = f"{len(article_ids)} article page(s) due, fetch tasks queued"
    return len(article_ids)


def fetch_article_page(
    resources: WorkerResources, article_id: int, *, force: bool = False
) -> PageOutcome:
    """Fetch one article's page (see :func:`tracker.ingest.fetch_article_page`): a failure is
    recorded on the article and retried with backoff, never raised; new text is handed to the
    resolution stage like new articles (:data:`tracker.ingest.new_articles`), which matches it
    and re-evaluates the forecasts it bears on.  Idempotent."""
    engine = resources.engine
    outcome = ingest.fetch_article_page(
        engine,
        resources.page_fetcher(),
        article_id,
        ingest.page_policy(resources.settings),
        force=force,
    )
    if outcome.rematch:
        ingest.new_articles.send([article_id], engine=engine)
    return outcome


def match_articles(resources: WorkerResources, article_ids: list[int]) -> MatchReport:
    """The resolution stage for the articles a poll handed off (one unit of work)."""
    with resources.rules_lock:
        return match_new_articles(resources.engine, article_ids, resources.rules)


def match_stragglers(resources: WorkerResources, *, now: datetime | None = None) -> MatchReport:
    """Match the articles left unmatched longer than :data:`STRAGGLER_AGE` (recorded as a
    ``match_articles`` run).

    A poll hands its new articles to a ``match_articles`` task; that hand-off is lost when the
    whole worker is killed holding the task (Redis gives an unacknowledged task back only after
    the visibility timeout, an hour) or when the broker is away at that moment.  This beat task
    finds them within minutes instead of at the next daily deadline check.  Articles younger than
    the age are left to their own task, so the two do not match one article at once."""
    before = (now or utcnow()) - STRAGGLER_AGE
    with recorded_run(resources.engine, MATCH_ARTICLES) as run, resources.rules_lock:
        report = resolution.catch_up(resources.engine, resources.rules, fetched_before=before)
        run.detail = report.summary()
    _log_match(report)
    return report


def match_new_articles(engine: Engine, article_ids: list[int], rules: RuleSet) -> MatchReport:
    """Match the articles a poll stored (one unit of work, recorded as a ``match_articles``
    run): what a worker does after each poll and `tracker poll` after its feeds."""
    with recorded_run(engine, MATCH_ARTICLES) as run:
        with unit_of_work(engine) as session:
            report = resolution.match_articles(session, article_ids, rules)
        run.detail = report.summary()
    _log_match(report)
    return report


def _log_match(report: MatchReport) -> None:
    """A line for each forecast that got new evidence and each proposal made, each carrying
    its id (``forecast_id``, ``question_id``) for the operator's log search."""
    for forecast_id in report.forecasts:
        with log_context(forecast_id=forecast_id):
            log.info("new evidence for forecast %s", forecast_id)
    for proposal in report.proposals:
        with log_context(question_id=proposal.question_id):
            log.info(
                "proposal %s for question %s: %s (%s)",
                proposal.id,
                proposal.question_id,
                proposal.outcome or "no outcome",
                proposal.kind,
            )


def check_deadlines(resources: WorkerResources, as_of: date | None = None) -> DeadlineCheck:
    """The daily deadline check (see :func:`tracker.service.deadline_check`)."""
    engine = resources.engine
    with recorded_run(engine, CHECK_DEADLINES) as run:
        with resources.rules_lock:
            check = deadline_check(engine, resources.rules, as_of=as_of)
        run.detail = check.summary()
    return check
