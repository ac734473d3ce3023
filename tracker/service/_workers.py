"""Reaching the Celery side (``workers/``) from the tracker, through an entry point.

``workers`` imports ``tracker`` (its tasks call this use-case layer); the tracker never imports
``workers``.  What the CLI and the demo need of it (a Celery app to start a worker or a beat, to
queue a task, to measure the queue) is found at run time through the ``tracker.workers`` entry
point named ``celery`` (``pyproject.toml``), which names the module that builds the app
(``workers.app``).  So the dependency between the two packages goes one way at import time, and
another wiring can be installed in its place.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol, cast

from tracker import logs
from tracker.errors import ConfigError
from tracker.service._periodic import CHECK_DEADLINES, FETCH_DUE_PAGES, POLL_DUE_FEEDS
from tracker.service._unit import init_database
from tracker.settings import Settings

ENTRY_POINT_GROUP = "tracker.workers"
ENTRY_POINT_NAME = "celery"
#: every task's name is this prefix and the name of its use case
TASK_PREFIX = "tracker."


class CeleryWiring(Protocol):
    """What the tracker needs of the module the entry point names."""

    def make_celery(self, settings: Settings | None = None) -> Any: ...

    def queue_depth(self, app: Any) -> int | None: ...

    def queue_depths(self, settings: Settings) -> dict[str, int | None]: ...


@cache
def wiring() -> CeleryWiring:
    """The Celery wiring module, found through the ``tracker.workers`` entry point."""
    found = entry_points(group=ENTRY_POINT_GROUP, name=ENTRY_POINT_NAME)
    if not found:
        raise ConfigError(
            f"no Celery wiring is installed (entry point {ENTRY_POINT_GROUP}:{ENTRY_POINT_NAME}); "
            "install the tracker with its workers package (`pip install -e .`)"
        )
    return cast(CeleryWiring, next(iter(found)).load())


def celery_app(settings: Settings) -> Any:
    """A Celery app for ``settings``, with the tracker's tasks registered on it."""
    return wiring().make_celery(settings)


def queue_task(settings: Settings, name: str, *args: object) -> None:
    """Queue the task ``tracker.<name>`` with ``args`` on the tracker's queue."""
    _send(celery_app(settings), settings, name, *args)


def queue_startup_tasks(settings: Settings) -> None:
    """Queue one poll of the due feeds, one deadline check and one look for due article pages,
    so that nobody waits for the first beat (a minute for polls and pages, the next midnight
    for the deadline check)."""
    app = celery_app(settings)
    _send(app, settings, POLL_DUE_FEEDS)
    _send(app, settings, CHECK_DEADLINES)
    _send(app, settings, FETCH_DUE_PAGES, queue=settings.pages_queue())


def _send(app: Any, settings: Settings, name: str, *args: object, queue: str | None = None) -> None:
    app.send_task(TASK_PREFIX + name, args=args, queue=queue or settings.namespace)


def queue_depth(settings: Settings) -> int | None:
    """Messages waiting in the tracker's queue, when the broker lets us count them."""
    return wiring().queue_depth(celery_app(settings))


def queue_depths(settings: Settings) -> dict[str, int | None]:
    """Messages waiting in each of the tracker's queues (tasks, article pages), by queue name;
    None where the broker cannot say.  Needs no Celery app (what ``/metrics`` reads)."""
    return wiring().queue_depths(settings)


def run_worker(
    settings: Settings,
    *,
    concurrency: int,
    loglevel: str,
    extra: list[str],
    pages: bool = False,
) -> None:
    """Run a Celery worker for the tracker's queue, or with ``pages`` for the article-page queue
    (its own workers, so a slow site never holds up polling), after bringing the schema up to
    date."""
    init_database(settings)
    queue = settings.pages_queue() if pages else settings.namespace
    argv = ["worker", "--loglevel", loglevel, "--queues", queue]
    if pages:
        argv += ["--hostname", "pages@%h"]
    app = celery_app(settings)
    app.start([*_own_logging(settings, loglevel), *argv, "--concurrency", str(concurrency), *extra])


def run_beat(settings: Settings, *, loglevel: str, extra: list[str]) -> None:
    """Run the Celery beat (after bringing the schema up to date)."""
    init_database(settings)
    app = celery_app(settings)
    app.start([*_own_logging(settings, loglevel), "beat", "--loglevel", loglevel, *extra])


def _own_logging(settings: Settings, loglevel: str) -> list[str]:
    """Sets up the process's logging as the settings say (text or JSON lines with the ids of
    :mod:`tracker.logs`) and has Celery leave it alone: Celery configures logging only when
    nobody answers its ``setup_logging`` signal.  Returns the options that go before the
    sub-command: ``--quiet`` for JSON, whose every line must be JSON (no start-up banner)."""
    from celery.signals import setup_logging

    logs.configure(settings.log_format, loglevel.upper())
    setup_logging.connect(_logging_is_set_up, weak=False)
    return ["--quiet"] if settings.log_format == "json" else []


def _logging_is_set_up(**_kwargs: object) -> None:
    """Receiver of Celery's ``setup_logging``: :func:`_own_logging` has done it."""
