"""The last run of each periodic task, for `tracker status` (one row per task name)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import select

from tracker.db import session_scope
from tracker.models import TaskRun, utcnow


def _update(engine: Engine, name: str, **fields: object) -> None:
    with session_scope(engine) as session:
        run = session.get(TaskRun, name) or TaskRun(name=name)
        for key, value in fields.items():
            setattr(run, key, value)
        session.add(run)


@contextmanager
def recorded_run(engine: Engine, name: str) -> Iterator[dict]:
    """Records start, finish and status of one run; the block may put a summary in ``detail``."""
    _update(engine, name, last_started=utcnow(), last_status="running", last_detail=None)
    info: dict = {"detail": None}
    try:
        yield info
    except BaseException as exc:
        _update(
            engine,
            name,
            last_finished=utcnow(),
            last_status="failed",
            last_detail=f"{exc.__class__.__name__}: {exc}"[:500],
        )
        raise
    _update(engine, name, last_finished=utcnow(), last_status="ok", last_detail=info["detail"])


def all_runs(engine: Engine) -> list[TaskRun]:
    with session_scope(engine) as session:
        return list(session.exec(select(TaskRun).order_by(TaskRun.name)))
