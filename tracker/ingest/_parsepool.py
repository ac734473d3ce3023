"""Parsing fetched bodies into article rows, in the calling thread or in worker processes.

Why processes: parsing a feed and making its rows is pure-Python work, about 25 µs an entry.
Done in the poll threads it holds the GIL, so one process fetches, parses and stores on one
core while the others idle; with a pool, ``Poller.poll_due`` fetches and stores while the
workers parse on the other cores.  Celery workers are processes already and parse in-line.

The workers start by ``forkserver`` (``spawn`` where that is missing), never by a plain fork:
the polling process has threads (the poll threads, httpx's pool) whose locks a fork would copy
in whatever state they are.  A worker imports only this module, the parser and the row making
(``tracker.ingest`` loads its public names lazily), so it is ready in a fraction of a second.

A worker that dies (a crash in a C parser, the OOM killer) breaks the pool and every parse
waiting on it; the pool is started again and each of those feeds gets a second try, so one
bad document costs its own feed an error, not the whole run.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.errors import FeedParseError
from tracker.ingest._parse import MAX_ENTRIES, parse_feed
from tracker.ingest._rows import DriverRows, article_rows, driver_rows
from tracker.search import article_index_values


@dataclass
class Prepared:
    """A parsed feed reduced to what storing it needs, made before any write lock is taken."""

    title: str | None
    site_url: str | None
    ttl_s: int | None
    entries: int
    rows: list[dict[str, Any]] | DriverRows
    #: entries left out beyond ``max_entries``
    dropped: int = 0
    #: each row's search index entry by its identity, for the engine the rows were made for
    index_values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def index_entries(self, inserted: Mapping[int, str]) -> list[tuple[int, Any, tuple[str, ...]]]:
        """(id, date as stored, index entry) of the rows inserted (their identities by id), as
        ``tracker.search.index_new_articles`` takes them."""
        if isinstance(self.rows, DriverRows):
            at = self.rows.columns.index("identity"), self.rows.columns.index("published_at")
            dates = {values[at[0]]: values[at[1]] for values in self.rows.values}
        else:
            dates = {row["identity"]: row["published_at"] for row in self.rows}
        return [
            (article_id, dates[identity], self.index_values[identity])
            for article_id, identity in sorted(inserted.items())
        ]


def prepare(
    feed_id: int,
    body: bytes,
    url: str,
    fetched_at: datetime,
    *,
    for_sqlite: bool = False,
    charset: str | None = None,
    max_entries: int = MAX_ENTRIES,
    publisher: str | None = None,
) -> Prepared:
    """Parses ``body`` (``charset``: the HTTP header's; at most ``max_entries`` entries) and makes
    its article rows (all the per-entry work, counted for ``publisher``), already in the
    driver's values ``for_sqlite``, and their search index entries; raises FeedParseError."""
    parsed = parse_feed(body, url, charset=charset, max_entries=max_entries)
    rows = article_rows(feed_id, parsed.entries, fetched_at, publisher)
    index_values = {
        row["identity"]: article_index_values(
            for_sqlite, row["title"], row["summary"], row["body"], row["author"], row["publisher"]
        )
        for row in rows
    }
    return Prepared(
        parsed.title,
        parsed.site_url,
        parsed.ttl_s,
        len(parsed.entries),
        driver_rows(rows) if for_sqlite else rows,
        parsed.dropped,
        index_values,
    )


def cpu_count() -> int:
    """The cores this process may run on (its affinity, where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The fork server imports the parser once; every worker forked from it starts with it loaded.
    context.set_forkserver_preload([__name__])
    return context


class ParsePool:
    """``prepare`` in ``processes`` worker processes (0: in the calling thread).  Thread-safe."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.processes, mp_context=_context())

    def prepare(
        self,
        feed_id: int,
        body: bytes,
        url: str,
        fetched_at: datetime,
        *,
        for_sqlite: bool = False,
        charset: str | None = None,
        max_entries: int = MAX_ENTRIES,
        publisher: str | None = None,
    ) -> Prepared:
        options: dict[str, Any] = {
            "for_sqlite": for_sqlite,
            "charset": charset,
            "max_entries": max_entries,
            "publisher": publisher,
        }
        if not self.processes:
            return prepare(feed_id, body, url, fetched_at, **options)
        for attempt in (1, 2):
            executor, future = self._submit(feed_id, body, url, fetched_at, options)
            try:
                return future.result()
            except BrokenProcessPool as exc:
                self._discard(executor)
                if attempt == 2:
                    raise FeedParseError(
                        url,
                        "the parser process died twice while parsing this feed "
                        f"({exc}); it will be tried again at the next poll",
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _submit(
        self,
        feed_id: int,
        body: bytes,
        url: str,
        fetched_at: datetime,
        options: dict[str, Any],
    ) -> tuple[ProcessPoolExecutor, Future[Prepared]]:
        """Submits to the running executor, started by the first body to parse (a run of 304s
        starts none) and again after one broke."""
        with self._lock:
            if self._executor is None:
                self._executor = self._start()
            try:
                return self._executor, self._executor.submit(
                    prepare, feed_id, body, url, fetched_at, **options
                )
            except BrokenProcessPool:  # broke since the last result was read
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._start()
                return self._executor, self._executor.submit(
                    prepare, feed_id, body, url, fetched_at, **options
                )

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:  # only the first thread that saw it break replaces it
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
