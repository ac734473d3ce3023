"""The last run of each periodic task, for `tracker status` (one row per task name).

The periodic use cases (:mod:`._periodic`) record themselves: a run is marked ``running`` in a
unit of work of its own before the work starts, and ``ok`` or ``failed`` (with the error) in
another after it ends, so a crashed or failing task still shows up in `tracker status`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracker.clock import utcnow
from tracker.db import insert_with_conflicts, session_scope
from tracker.models import TaskRun, table_of

#: longest error text kept on a failed run
DETAIL_LIMIT = 500


@dataclass
class RunRecord:
    """What a running task may say about its run: ``detail`` is shown in `tracker status`."""

    detail: str | None = None


def _update(engine: Engine, name: str, **fields: object) -> None:
    """One ``INSERT ... ON CONFLICT (name) DO UPDATE``: runs of one task in several worker
    processes record themselves at once, and reading the row before inserting it let two of
    them insert it (``task_run_pkey``), failing a task for its bookkeeping."""
    table = table_of(TaskRun)
    insert = insert_with_conflicts(engine.dialect.name)
    statement = insert(table).values(name=name, **fields)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name],
        set_={column: statement.excluded[column] for column in fields},
    )
    with session_scope(engine) as session:
        session.execute(statement)


@contextmanager
def recorded_run(engine: Engine, name: str) -> Iterator[RunRecord]:
    """Records start, finish and status of one run of the task ``name``."""
    _update(engine, name, last_started=utcnow(), last_status="running", last_detail=None)
    record = RunRecord()
    try:
        yield record
    except BaseException as exc:
        detail = f"{exc.__class__.__name__}: {exc}"[:DETAIL_LIMIT]
        _update(engine, name, last_finished=utcnow(), last_status="failed", last_detail=detail)
        raise
    _update(engine, name, last_finished=utcnow(), last_status="ok", last_detail=record.detail)


def task_runs(session: Session) -> list[TaskRun]:
    """The last run of every periodic task that has run, by name."""
    return list(session.exec(select(TaskRun).order_by(col(TaskRun.name))))


def task_run(session: Session, name: str) -> TaskRun | None:
    """The last run of the task ``name``, if it ever ran."""
    return session.get(TaskRun, name)
