"""Soak run: many loopback feeds polled for minutes by a real Celery worker and beat on Redis,
while the feed server injects faults at random (issue 17).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/soak.py [--minutes 10] [--feeds 500] [--database-url URL]

What runs: ``tracker worker`` and ``tracker beat`` as processes (RedBeat, a queue and keys of
their own namespace on the Redis at ``--redis-url``), a database in a fresh folder under /tmp
(SQLite, unless ``--database-url`` names an empty one), and the farm of
``tests/chaos_feedserver.py`` on loopback addresses 127.0.0.10 and up: feeds with intervals of
1 to 3 minutes that gain entries over time, and faults on a share of the requests (hangs,
resets, 500s, slow bodies, redirects, maintenance pages), plus a few feeds that are always
broken.  After ``--minutes`` the faults and the new entries stop, and the soak waits for the
poller to catch up (feeds in backoff included, up to ``--catch-up-minutes``).

Checks (exit status 1 when one fails):

- articles stored == entries published by the feeds that can be fetched (none missing, none
  extra, none twice);
- the worker's memory (RSS of the worker and its pool processes) grows by at most 20 % from
  the first full round of polls to the end;
- no lease held once the worker has stopped;
- the 95th percentile of a poll's lateness (time since the feed was due: one interval after a
  poll served whole) is within one beat tick (60 s) plus the schedule's 10 % jitter plus
  ``--late-slack`` seconds;
- no task failed with an unexpected error in the worker's log.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chaos_feedserver import ChaosFarm  # noqa: E402

BEAT_S = 60.0  # workers.app.BEAT_INTERVAL_S
JITTER = 0.10  # tracker.ingest._schedule.JITTER
ERROR_MARKS = ("raised unexpected", "Traceback (most recent call last)", "CRITICAL/")


@dataclass
class SoakOptions:
    minutes: float = 10.0
    feeds: int = 500
    hosts: int = 50
    concurrency: int = 4
    min_interval_s: int = 60
    max_interval_s: int = 180
    fault_rate: float = 0.08
    catch_up_minutes: float = 30.0
    late_slack_s: float = 30.0
    max_memory_growth: float = 0.20
    redis_url: str = "redis://127.0.0.1:6379/15"
    database_url: str | None = None
    seed: int = 17
    keep: bool = False
    say: Any = print  # progress lines; the test passes a quiet one


@dataclass
class Check:
    name: str
    value: str
    limit: str
    ok: bool | None  # None: a figure, not a check


@dataclass
class SoakReport:
    checks: list[Check] = field(default_factory=list)
    workdir: Path | None = None

    def add(self, name: str, value: str, limit: str = "", ok: bool | None = None) -> None:
        self.checks.append(Check(name, value, limit, ok))

    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.ok is False]

    def table(self) -> str:
        rows = [("check", "value", "limit", "")] + [
            (c.name, c.value, c.limit, {True: "ok", False: "FAIL", None: ""}[c.ok])
            for c in self.checks
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        )


class _Processes:
    """The worker and the beat, as an operator starts them (``tracker worker``/``beat``)."""

    def __init__(self, env: dict[str, str], workdir: Path, concurrency: int) -> None:
        self.worker_log = workdir / "worker.log"
        self.beat_log = workdir / "beat.log"
        tracker = [sys.executable, "-m", "tracker"]
        self.worker = self._start(
            [*tracker, "worker", "--concurrency", str(concurrency), "--loglevel", "INFO"],
            env,
            self.worker_log,
        )
        self.beat = self._start([*tracker, "beat", "--loglevel", "INFO"], env, self.beat_log)

    @staticmethod
    def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)

    def ready(self) -> bool:
        return " ready." in self.worker_log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.worker.poll() is None and self.beat.poll() is None

    def rss(self) -> int:
        """Bytes resident in the worker process and its pool processes."""
        import psutil

        try:
            main = psutil.Process(self.worker.pid)
            processes = [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def stop(self) -> None:
        for process in (self.beat, self.worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.beat, self.worker):
            try:
                process.wait(90)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def log_counts(self) -> Counter[str]:
        text = self.worker_log.read_text(errors="replace")
        counts: Counter[str] = Counter()
        counts["errors"] = sum(text.count(mark) for mark in ERROR_MARKS)
        counts["polls"] = sum(
            "tracker.poll_feed[" in line and " succeeded in " in line for line in text.splitlines()
        )
        counts["retries"] = text.count("retry: Retry in")
        return counts


def _settings(options: SoakOptions, workdir: Path, namespace: str) -> Any:
    from tracker.settings import Settings

    return Settings(
        data_dir=workdir,
        database_url=options.database_url or f"sqlite:///{workdir / 'soak.db'}",
        broker_url=options.redis_url,
        namespace=namespace,
        allow_private_feeds=True,
        worker_concurrency=options.concurrency,
    )


def _env(settings: Any) -> dict[str, str]:
    return {
        **os.environ,
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": settings.resolved_database_url(),
        "TRACKER_BROKER_URL": settings.resolved_broker_url(),
        "TRACKER_NAMESPACE": settings.namespace,
        "TRACKER_ALLOW_PRIVATE_FEEDS": "1",
        "TRACKER_WORKER_CONCURRENCY": str(settings.worker_concurrency),
    }


def _add_feeds(engine: Any, farm: ChaosFarm) -> dict[int, int]:
    """The farm's feeds in the database: feed index -> feed id."""
    from tracker.db import session_scope
    from tracker.ingest import add_feed

    ids = {}
    with session_scope(engine) as session:
        for feed in farm.feeds:
            row = add_feed(session, feed.url, interval=timedelta(seconds=feed.interval_s))
            ids[feed.index] = row.id
    return ids


def _stored(engine: Any) -> dict[int | None, list[str | None]]:
    """The guids of the stored articles, by feed id."""
    from sqlmodel import select

    from tracker.db import session_scope
    from tracker.models import Article

    stored: dict[int | None, list[str | None]] = {}
    with session_scope(engine) as session:
        for feed_id, guid in session.exec(select(Article.feed_id, Article.guid)):
            stored.setdefault(feed_id, []).append(guid)
    return stored


def _compare(farm: ChaosFarm, ids: dict[int, int], engine: Any) -> dict[str, Any]:
    """Published entries against stored articles; ``lagging``: feeds with entries missing."""
    expected = farm.expected_guids()
    stored = _stored(engine)
    missing = extra = twice = 0
    lagging = []
    for index, guids in expected.items():
        rows = stored.get(ids[index], [])
        absent = len(guids - set(rows))
        if absent:
            lagging.append(ids[index])
        missing += absent
        extra += len(set(rows) - guids)
        twice += len(rows) - len(set(rows))
    return {
        "expected": sum(len(guids) for guids in expected.values()),
        "stored": sum(len(stored.get(ids[index], [])) for index in expected),
        "missing": missing,
        "extra": extra,
        "twice": twice,
        "lagging": lagging,
    }


def _latest_check(engine: Any, feed_ids: list[int]) -> float:
    """The latest next check (epoch seconds) among ``feed_ids``."""
    from sqlalchemy import func
    from sqlmodel import select

    from tracker.db import session_scope
    from tracker.models import Feed

    with session_scope(engine) as session:
        latest = session.exec(
            select(func.max(Feed.next_check_at)).where(Feed.id.in_(feed_ids))  # type: ignore[union-attr]
        ).one()
    return latest.timestamp() if latest is not None else time.time()


def _leases(engine: Any) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from tracker.clock import utcnow
    from tracker.db import session_scope
    from tracker.models import Feed

    with session_scope(engine) as session:
        return int(
            session.exec(
                select(func.count()).where(Feed.lease_until > utcnow())  # type: ignore[operator]
            ).one()
        )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0


def _wait(condition: Any, timeout: float, step: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


class _Soak:
    def __init__(self, options: SoakOptions, workdir: Path) -> None:
        from tracker import db

        self.options = options
        self.workdir = workdir
        self.namespace = f"soak-{uuid.uuid4().hex[:10]}"
        self.settings = _settings(options, workdir, self.namespace)
        self.engine = db.engine_for(self.settings)
        db.upgrade(self.engine)
        self.report = SoakReport(workdir=workdir)
        self.rss_start = self.rss_max = 0

    def run(self) -> SoakReport:
        say = self.options.say
        o = self.options
        with ChaosFarm(
            o.feeds,
            hosts=o.hosts,
            interval_s=(o.min_interval_s, o.max_interval_s),
            fault_rate=o.fault_rate,
            seed=o.seed,
        ) as farm:
            ids = _add_feeds(self.engine, farm)
            say(f"{len(ids)} feeds on {o.hosts} loopback addresses; data in {self.workdir}")
            processes = _Processes(_env(self.settings), self.workdir, o.concurrency)
            try:
                if not _wait(processes.ready, 120):
                    raise RuntimeError(f"the worker did not start: see {processes.worker_log}")
                self._kick()
                self._faults(farm, processes)
                caught_up = self._catch_up(farm, ids)
                self._quiesce(processes)
                rss_end = processes.rss()
            finally:
                processes.stop()
                self._forget_redis()
            self._checks(farm, ids, processes, caught_up, rss_end)
        return self.report

    def _kick(self) -> None:
        """One poll of the due feeds now, as `tracker run` does, instead of waiting for the
        beat's first tick."""
        from workers.app import make_celery

        app = make_celery(self.settings)
        app.send_task("tracker.poll_due_feeds", queue=self.namespace)

    def _faults(self, farm: ChaosFarm, processes: _Processes) -> None:
        """The faulty phase; the worker's memory is first read once every feed that can be
        fetched was polled once (its pool processes have imported and warmed up)."""
        say = self.options.say
        started = time.time()
        end = started + self.options.minutes * 60
        healthy = [feed for feed in farm.feeds if not feed.broken]
        last_say = started
        while time.time() < end:
            if not processes.alive():
                raise RuntimeError(f"the worker or the beat stopped: see {self.workdir}")
            rss = processes.rss()
            self.rss_max = max(self.rss_max, rss)
            warm = all(farm.served_since(feed, 0) for feed in healthy)
            if not self.rss_start and (warm or time.time() - started > (end - started) / 3):
                self.rss_start = rss
                say(f"worker memory after the first round: {rss / 2**20:.0f} MiB")
            if time.time() - last_say >= 60:
                last_say = time.time()
                say(f"{(last_say - started) / 60:.0f} min: requests {dict(farm.served)}")
            time.sleep(min(5.0, max(0.0, end - time.time())))
        farm.calm()
        say("faults and new entries stopped; waiting for the poller to catch up")

    def _catch_up(self, farm: ChaosFarm, ids: dict[int, int]) -> float | None:
        """Seconds from the calm until every published entry is stored; None if that did not
        happen in time: a feed with entries missing is waited for until its next check (it may
        be in backoff) plus two beat ticks, within ``catch_up_minutes``."""
        calm = farm.calm_at or time.time()
        hard = calm + self.options.catch_up_minutes * 60
        soft = calm + 2 * BEAT_S
        while time.time() < min(hard, soft):
            lagging = _compare(farm, ids, self.engine)["lagging"]
            if not lagging:
                return time.time() - calm
            soft = max(soft, _latest_check(self.engine, lagging) + 2 * BEAT_S + 30)
            time.sleep(5)
        return None

    def _quiesce(self, processes: _Processes) -> None:
        """Waits (a minute at most) for the queue to empty and the polls under way to end."""
        from workers.app import make_celery, queue_depth

        app = make_celery(self.settings)
        _wait(lambda: queue_depth(app) == 0 and _leases(self.engine) == 0, 60, 2)
        self.rss_max = max(self.rss_max, processes.rss())

    def _forget_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.options.redis_url)
        keys = list(client.scan_iter(f"{self.namespace}*"))
        if keys:
            client.delete(*keys)
        client.close()

    def _checks(
        self,
        farm: ChaosFarm,
        ids: dict[int, int],
        processes: _Processes,
        caught_up: float | None,
        rss_end: int,
    ) -> None:
        o, add = self.options, self.report.add
        counts = _compare(farm, ids, self.engine)
        add(
            "articles stored / expected",
            f"{counts['stored']} / {counts['expected']} (missing {counts['missing']}, "
            f"extra {counts['extra']}, twice {counts['twice']})",
            "equal",
            counts["stored"] == counts["expected"]
            and counts["missing"] == counts["extra"] == counts["twice"] == 0,
        )
        growth = (rss_end - self.rss_start) / self.rss_start if self.rss_start else float("inf")
        add(
            "worker memory start -> end",
            f"{self.rss_start / 2**20:.0f} -> {rss_end / 2**20:.0f} MiB ({growth:+.0%}; "
            f"max {self.rss_max / 2**20:.0f})",
            f"<= +{o.max_memory_growth:.0%}",
            growth <= o.max_memory_growth,
        )
        leases = _leases(self.engine)
        add("leases left", str(leases), "0", leases == 0)
        late = farm.lateness()
        p95 = _p95([seconds for seconds, _ in late])
        ratio = _p95([seconds / interval for seconds, interval in late])
        limit = BEAT_S + JITTER * o.max_interval_s + o.late_slack_s
        add(
            "poll lateness p95",
            f"{p95:.0f} s ({ratio:.0%} of the interval; {len(late)} polls, intervals "
            f"{o.min_interval_s}-{o.max_interval_s} s)",
            f"<= {limit:.0f} s",
            bool(late) and p95 <= limit,
        )
        logged = processes.log_counts()
        add("task errors in the worker's log", str(logged["errors"]), "0", logged["errors"] == 0)
        add(
            "catch-up after the faults stopped",
            "not reached" if caught_up is None else f"{caught_up:.0f} s",
            f"<= {o.catch_up_minutes:.0f} min",
            caught_up is not None,
        )
        broken = sum(feed.broken for feed in farm.feeds)
        add("feeds (always broken)", f"{len(farm.feeds)} ({broken})")
        add("requests by answer", ", ".join(f"{k} {v}" for k, v in sorted(farm.served.items())))
        add("poll tasks done / retried", f"{logged['polls']} / {logged['retries']}")


def run_soak(options: SoakOptions, workdir: Path | None = None) -> SoakReport:
    """Runs the soak in ``workdir`` (a fresh folder under /tmp by default, removed afterwards
    unless ``options.keep``)."""
    own = workdir is None
    folder = workdir or Path(tempfile.mkdtemp(prefix="tracker-soak-", dir="/tmp"))
    try:
        return _Soak(options, folder).run()
    finally:
        if own and not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="faulty phase (default 10)")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses (publishers)")
    parser.add_argument("--concurrency", type=int, default=4, help="worker pool processes")
    parser.add_argument("--fault-rate", type=float, default=0.08)
    parser.add_argument("--catch-up-minutes", type=float, default=30.0)
    parser.add_argument("--late-slack", type=float, default=30.0, help="seconds")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--database-url", help="an empty database (default: SQLite in the soak's folder)"
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs, database)")
    args = parser.parse_args(argv)
    options = SoakOptions(
        minutes=args.minutes,
        feeds=args.feeds,
        hosts=args.hosts,
        concurrency=args.concurrency,
        fault_rate=args.fault_rate,
        catch_up_minutes=args.catch_up_minutes,
        late_slack_s=args.late_slack,
        redis_url=args.redis_url,
        database_url=args.database_url,
        seed=args.seed,
        keep=args.keep,
    )
    report = run_soak(options)
    print(report.table())
    if options.keep:
        print(f"logs and database: {report.workdir}")
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
