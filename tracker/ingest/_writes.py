"""The pollers' writes to the database: one transaction per unit of work, or one per group on
SQLite.

SQLite has one writer at a time.  A writer that finds the database locked sleeps in growing
steps (``busy_timeout``) and may sleep past the moment it is free, and every commit writes
each touched page to the WAL again.  So the poll threads of one process queue on a lock, and
the thread that gets it runs every write waiting at that moment in one transaction and one
commit (group commit): a claim here, two feeds' articles there.  Each unit of work is still
all-or-nothing: when a group fails, each of its writes is run again alone, so an error lands
on its own feed only.  Other processes (embedded workers) still meet the busy timeout.

PostgreSQL runs concurrent transactions: each write is its own transaction, no lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from tracker.db import session_scope

T = TypeVar("T")


class Write(Generic[T]):
    """One unit of work and, once it ran, its value or the error it raised."""

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.value: T | None = None
        self.error: BaseException | None = None

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class WriteQueue:
    """Runs ``work(session)`` in a committed transaction; thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.grouped = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()  # the one writer of this process
        self._pending_lock = threading.Lock()
        self._pending: list[Write[Any]] = []

    def run(self, work: Callable[[Session], T]) -> T:
        """The value of ``work``, after its transaction (maybe shared with others) committed."""
        if not self.grouped:
            with session_scope(self.engine) as session:
                return work(session)
        return self.run_all([work])[0].result()

    def run_all(self, works: list[Callable[[Session], T]]) -> list[Write[T]]:
        """Runs each of ``works`` as its own all-or-nothing unit (on SQLite they share one
        transaction while none fails); each :class:`Write` holds its value or its error."""
        writes = [Write(work) for work in works]
        if not self.grouped:
            for write in writes:
                try:
                    with session_scope(self.engine) as session:
                        write.value = write.work(session)
                except Exception as exc:  # noqa: BLE001 - carried to the caller by Write.result()
                    write.error = exc
            return writes
        with self._pending_lock:
            self._pending.extend(writes)
        with self._lock:
            with self._pending_lock:
                group, self._pending = self._pending, []
            if group:  # empty when another thread's group already ran ours
                self._run_group(group)
        return writes

    def _run_group(self, group: list[Write[Any]]) -> None:
        if len(group) > 1:
            try:
                with session_scope(self.engine) as session:
                    values = [write.work(session) for write in group]
            except Exception:  # noqa: BLE001 - not hidden: each write runs again alone below,
                pass  # and the one that failed raises in its own poll's thread
            except BaseException as exc:  # interrupted: every waiting poll learns it
                for write in group:
                    write.error = exc
                raise
            else:
                for write, value in zip(group, values, strict=True):
                    write.value = value
                return
        for write in group:
            try:
                with session_scope(self.engine) as session:
                    write.value = write.work(session)
            # Handed to the thread that asked for this write, which raises it there: errors are
            # carried, not swallowed.
            except BaseException as exc:  # noqa: BLE001
                write.error = exc
