"""The Celery app, built from :class:`~tracker.settings.Settings`.

Two modes, one code path:

- embedded (default): kombu's ``filesystem://`` transport in ``<data dir>/broker`` (it works
  across processes, which ``memory://`` does not) and Celery's file-based beat schedule;
  `tracker run` starts a worker and a beat on one machine, no server needed;
- distributed (``TRACKER_BROKER_URL=redis://...``): any number of `tracker worker` processes on
  any number of machines; `tracker beat` uses RedBeat, whose Redis lock lets exactly one beat
  tick at a time (start a second one as a standby: it takes over within ``redbeat_lock_timeout``).

At-least-once delivery: ``acks_late`` + ``task_reject_on_worker_lost`` + prefetch 1, a Redis
visibility timeout (1 h) far above the hard time limit of any task, and idempotent tasks.
"""

from __future__ import annotations

import logging
from pathlib import Path

import redis
from celery import Celery
from celery.schedules import crontab

from tracker.settings import Settings
from workers import observe
from workers.tasks import register_tasks

BEAT_INTERVAL_S = 60.0
#: The daily deadline check (UTC): just after midnight, so yesterday's close dates are past.
DEADLINE_CHECK = crontab(hour=0, minute=15)
#: how often the beat looks for articles whose matching was lost (service.match_stragglers)
STRAGGLER_INTERVAL_S = 300
POLL_SOFT_LIMIT_S = 90
POLL_HARD_LIMIT_S = 120
VISIBILITY_TIMEOUT_S = 3600
#: How often a worker on the file broker looks for messages when idle (kombu's default is 1 s,
#: which adds up along poll -> match hand-offs; listing a small folder 5 times a second is cheap).
FILE_BROKER_POLL_S = 0.2


def broker_folders(settings: Settings) -> dict[str, Path]:
    root = Path(settings.data_dir) / "broker"
    return {"queue": root / "queue", "control": root / "control"}


def _filesystem_options(settings: Settings) -> dict[str, object]:
    folders = broker_folders(settings)
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
        "polling_interval": FILE_BROKER_POLL_S,
    }


def make_celery(settings: Settings | None = None) -> Celery:
    """A Celery app for ``settings`` with the tracker's tasks registered on it."""
    settings = settings or Settings()
    logging.getLogger("httpx").setLevel(
        logging.WARNING
    )  # one INFO line per request is noise for operators
    queue = settings.namespace
    pages = settings.pages_queue()
    app = Celery("tracker", broker=settings.resolved_broker_url(), set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        # article pages have their own queue (and `tracker worker --pages`): a slow site never
        # holds up polling
        task_routes={
            "tracker.fetch_due_pages": {"queue": pages},
            "tracker.fetch_article_page": {"queue": pages},
        },
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_soft_time_limit=POLL_SOFT_LIMIT_S,
        task_time_limit=POLL_HARD_LIMIT_S,
        broker_connection_retry_on_startup=True,
        # a worker keeps trying to reach a broker that went away, however long it takes (the
        # default gives up after 100 tries, about an hour, and the worker exits)
        broker_connection_max_retries=None,
        worker_send_task_events=False,
        beat_schedule={
            "poll-due-feeds": {
                "task": "tracker.poll_due_feeds",
                "schedule": BEAT_INTERVAL_S,
                "options": {"queue": queue, "expires": BEAT_INTERVAL_S},
            },
            "fetch-due-pages": {
                "task": "tracker.fetch_due_pages",
                "schedule": BEAT_INTERVAL_S,
                "options": {"queue": pages, "expires": BEAT_INTERVAL_S},
            },
            "pull-due-baselines": {
                "task": "tracker.pull_due_baselines",
                "schedule": BEAT_INTERVAL_S,
                "options": {"queue": queue, "expires": BEAT_INTERVAL_S},
            },
            "match-stragglers": {
                "task": "tracker.match_stragglers",
                "schedule": STRAGGLER_INTERVAL_S,
                "options": {"queue": queue, "expires": STRAGGLER_INTERVAL_S},
            },
            "check-deadlines": {
                "task": "tracker.check_deadlines",
                "schedule": DEADLINE_CHECK,
                "options": {"queue": queue},
            },
        },
        timezone="UTC",
        result_expires=None,  # no result backend, so no backend_cleanup beat entry
    )
    if settings.broker_is_redis():
        app.conf.update(
            broker_transport_options={
                "visibility_timeout": VISIBILITY_TIMEOUT_S,
                "global_keyprefix": f"{settings.namespace}:",
            },
            beat_scheduler="workers.beat:ResilientRedBeatScheduler",
            redbeat_redis_url=settings.resolved_broker_url(),
            redbeat_key_prefix=f"{settings.namespace}:redbeat:",
            redbeat_lock_timeout=30,
            # RedBeat's own client options (without them it falls back to the broker's transport
            # options, and warns that 2.5 will stop): a silent Redis (a half-open connection
            # after a host crash) raises a timeout, which the beat retries, instead of hanging
            redbeat_redis_options={"socket_connect_timeout": 5, "socket_timeout": 10},
            beat_max_loop_interval=5,
        )
    else:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        app.conf.update(
            broker_transport_options=_filesystem_options(settings),
            beat_schedule_filename=str(Path(settings.data_dir) / "celerybeat-schedule"),
            beat_max_loop_interval=5,
        )
    app.tracker_settings = settings
    register_tasks(app)
    observe.connect(app)
    return app


def queue_depth(app: Celery) -> int | None:
    """Messages waiting in the tracker's queue, when the broker lets us count them."""
    settings: Settings = app.tracker_settings
    return queue_depths(settings)[settings.namespace]


def queue_depths(settings: Settings) -> dict[str, int | None]:
    """Messages waiting in each of the tracker's queues (its tasks' and the article pages'), by
    queue name; None where the broker cannot say (Redis unreachable)."""
    queues = [settings.namespace, settings.pages_queue()]
    if not settings.broker_is_redis():
        folder = broker_folders(settings)["queue"]
        return {
            queue: sum(1 for _ in folder.glob(f"*.{queue}.msg")) if folder.exists() else 0
            for queue in queues
        }
    client = redis.Redis.from_url(
        settings.resolved_broker_url(), socket_connect_timeout=2, socket_timeout=2
    )
    try:
        # kombu keeps a Redis queue as a list under the transport's key prefix
        return {queue: int(client.llen(f"{settings.namespace}:{queue}")) for queue in queues}
    except redis.RedisError:
        return dict.fromkeys(queues)
    finally:
        client.close()


def __getattr__(name: str) -> Celery:
    """``workers.app.app`` (what ``celery -A workers.app`` loads), built on first access from the
    environment's settings, so importing this module has no side effects."""
    if name == "app":
        built = globals()["app"] = make_celery()
        return built
    raise AttributeError(name)
