"""What an operator sees of the tasks: the ids on their log lines and their counters.

- Every line logged while a task runs carries ``task_id``, ``task`` and the id of the item the
  task is about (``feed_id`` for ``tracker.poll_feed``, ...): bound by ``task_prerun``, unbound
  by ``task_postrun`` (both run in the thread that runs the task).  A line Celery logs about a
  task outside its run ("Task ... received", in the worker's main process) gets them from the
  ``data`` Celery passes with it (:func:`ids_of_record`).
- When a run ends, its time and result (success, failure, retry) are added to the task's row
  of ``task_stat`` (:func:`tracker.service.record_task_end`), which ``GET /metrics`` reads.
  Failing to count never fails the task: the error is logged.
"""

from __future__ import annotations

import ast
import logging
import time
from collections.abc import Mapping
from contextvars import Token
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

from tracker import logs, service
from tracker.errors import StorageError

log = logging.getLogger(__name__)

#: the id each task's first argument is
ITEM_IDS = {
    "tracker.poll_feed": "feed_id",
    "tracker.fetch_article_page": "article_id",
    "tracker.pull_baseline": "baseline_id",
}
#: Celery's states at the end of a run -> the result counted (anything else is a failure)
RESULTS: dict[str, service.TaskResult] = {
    "SUCCESS": "success",
    "IGNORED": "success",
    "RETRY": "retry",
}


def task_ids(name: str, args: object) -> dict[str, object]:
    """``task`` and the id of the item a run of ``name`` with ``args`` is about."""
    ids: dict[str, object] = {"task": name}
    item = ITEM_IDS.get(name)
    if item and isinstance(args, list | tuple) and args:
        ids[item] = args[0]
    return ids


def ids_of_record(record: logging.LogRecord) -> Mapping[str, object]:
    """The task of a line Celery logged with its formatting arguments as ``data``."""
    data = getattr(record, "data", None)
    if not isinstance(data, dict) or "id" not in data or "name" not in data:
        return {}
    args: object = data.get("args")
    if isinstance(args, str):  # the repr Celery logs: "(3,)"
        try:
            args = ast.literal_eval(args)
        except (ValueError, SyntaxError):
            args = None
    return {"task_id": data["id"], **task_ids(str(data["name"]), args)}


def connect(app: Celery) -> None:
    """Binds the log ids and counts the runs of ``app``'s tasks (other apps' are left alone)."""
    logs.add_enricher(ids_of_record)
    resources: service.WorkerResources = app.tracker_state  # set by register_tasks
    started: dict[str, tuple[float, Token[Mapping[str, object]]]] = {}

    def on_start(sender: Any = None, task_id: str = "", args: Any = None, **_kw: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        token = logs.bind(task_id=task_id, **task_ids(sender.name, args))
        started[task_id] = (time.monotonic(), token)

    def on_end(sender: Any = None, task_id: str = "", state: str | None = None, **_kw: Any) -> None:
        begun = started.pop(task_id, None)
        if begun is None or getattr(sender, "app", None) is not app:
            return
        seconds = time.monotonic() - begun[0]
        try:
            result = RESULTS.get(state or "", "failure")
            service.record_task_end(resources.engine, sender.name, seconds, result)
        except StorageError as exc:
            log.warning("the run of %s was not counted for /metrics: %s", sender.name, exc)
        finally:
            logs.unbind(begun[1])

    task_prerun.connect(on_start, weak=False)
    task_postrun.connect(on_end, weak=False)
