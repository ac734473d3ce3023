"""Fault tests of the distributed mode with real parts (issue 17): `tracker worker` and
`tracker beat` as processes, on the real PostgreSQL and Redis (or a redis-server of the test's
own, for the restart), feeds served on 127.0.0.1.

What a user checks after each fault: every article stored once, every evidence row and proposal
once, no feed lease left held, no feed marked failed for the infrastructure's fault, and the
worker and the beat still working without a person restarting them.

Every wait has a timeout, every process is stopped (and killed if it must be) in ``finally``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from pathlib import Path

import psutil
import psycopg
import pytest
from sqlalchemy import func, text
from sqlmodel import select

from tests.feedserver import FeedServer, Static, news_items, rss
from tests.services import redis_namespace, redis_url, unavailable, wait_for
from tests.test_resolution import FORECAST_FILE, Corpus
from tracker import db
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.ingest import add_feed
from tracker.models import Article, Evidence, Feed, Proposal
from tracker.settings import Settings

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

#: what a protocol mix-up between two processes on one PostgreSQL connection looks like in a log
SHARED_CONNECTION_SIGNS = ("command status", "INTRANS", "another command is already in progress")


@pytest.fixture
def namespace() -> Iterator[str]:
    yield from redis_namespace("test-faults")


def _env(tmp_path: Path, database_url: str, broker_url: str, namespace: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_BROKER_URL": broker_url,
        "TRACKER_NAMESPACE": namespace,
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_ALLOW_PRIVATE_FEEDS": "1",
    }


class Process:
    """A `tracker worker` or `tracker beat` in a process group of its own, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tracker", *args],
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def pool_children(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group (the worker and its pool), as a crash would."""
        with _gone_ok():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with _gone_ok():
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        with _gone_ok():  # pool processes a killed parent left behind
            os.killpg(self.proc.pid, signal.SIGKILL)


def _gone_ok() -> suppress:
    return suppress(ProcessLookupError)


def worker(env: dict[str, str], log: Path, concurrency: int) -> Process:
    process = Process(
        env,
        log,
        "worker",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--hostname",
        f"{env['TRACKER_NAMESPACE']}-{log.stem}@%h",
    )
    wait_for(lambda: " ready." in process.text() or not process.alive(), 60, "the worker")
    assert process.alive(), process.text()[-3000:]
    return process


def send(settings: Settings, name: str, *args: object) -> None:
    from workers.app import make_celery

    make_celery(settings).send_task(f"tracker.{name}", args=args, queue=settings.namespace)


def _psycopg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def locked(url: str, statement: str) -> Iterator[psycopg.Connection]:
    """Run ``statement`` (``LOCK TABLE ...``, ``SELECT ... FOR UPDATE``) and keep its locks
    until the block ends: a worker that writes there stops in the middle of its transaction."""
    with psycopg.connect(_psycopg_dsn(url)) as conn:
        conn.execute(statement)
        try:
            yield conn
        finally:
            conn.rollback()


def lock_waiters(url: str) -> list[int]:
    """The backends of this database waiting for a lock (a worker stopped mid-transaction)."""
    with psycopg.connect(_psycopg_dsn(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


def articles_per_feed(engine) -> dict[int, int]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Article.feed_id, func.count()).group_by(Article.feed_id)  # type: ignore[arg-type]
        ).all()
    return dict(rows)


def feeds(engine) -> list[Feed]:
    with session_scope(engine) as session:
        return list(session.exec(select(Feed).order_by(Feed.id)))


def assert_feeds_healthy(engine) -> None:
    """No lease held, no failure recorded: the faults were not the feeds' doing."""
    for feed in feeds(engine):
        assert feed.lease_until is None, f"feed {feed.id} still leased"
        assert (feed.consecutive_failures, feed.error_kind, feed.last_error) == (0, None, None)


def let_leases_expire(engine) -> list[int]:
    """The lease of a poll whose process died runs out on its own (5 minutes); the test moves
    its end into the past instead of waiting.  Returns the feeds whose lease was held."""
    with session_scope(engine) as session:
        held = list(session.exec(select(Feed.id).where(Feed.lease_until.is_not(None))))
        session.execute(
            text("UPDATE feed SET lease_until = :past WHERE lease_until IS NOT NULL"),
            {"past": utcnow() - timedelta(seconds=1)},
        )
    return [feed_id for feed_id in held if feed_id is not None]


# -- 1. forked pool processes and PostgreSQL ------------------------------------------------


def test_prefork_pool_processes_never_share_a_postgresql_connection(
    tmp_path, postgres_url, namespace
):
    """Four pool processes forked from a worker that had used the database (it upgrades the
    schema first) all write at once: no protocol error in the log, every write landed."""
    engine = db.make_engine(postgres_url)
    db.upgrade(engine)
    env = _env(tmp_path, postgres_url, redis_url(), namespace)
    settings = Settings(**_settings_of(env))
    with FeedServer() as server:
        with session_scope(engine) as session:
            for i in range(24):
                url = server.add(f"/f{i}.xml", Static(rss(news_items(f"f{i}", 5))))
                add_feed(session, url, interval=timedelta(minutes=15))
        process = worker(env, tmp_path / "worker.log", concurrency=4)
        try:
            send(settings, "poll_due_feeds")

            def all_written() -> bool:
                with session_scope(engine) as session:
                    stored = session.exec(select(func.count()).select_from(Article)).one()
                    unmatched = session.exec(
                        select(func.count())
                        .select_from(Article)
                        .where(Article.matched_at.is_(None))  # type: ignore[union-attr]
                    ).one()
                return stored == 24 * 5 and unmatched == 0

            wait_for(all_written, 90, "every feed stored and every article matched")
        finally:
            process.stop()
    log = process.text()
    for sign in SHARED_CONNECTION_SIGNS:
        assert sign not in log, f"{sign!r} in the worker's log:\n{log[-4000:]}"
    assert "StorageError" not in log and "OperationalError" not in log, log[-4000:]
    assert set(articles_per_feed(engine).values()) == {5}
    assert_feeds_healthy(engine)
    engine.dispose()


def test_four_forked_children_write_through_the_engine_their_parent_used(postgres_url):
    """The reproduction of issue 17 without Celery: the parent uses the engine (a pooled
    connection stays open), forks four children that each write 50 rows.  Before the fork hook
    two of the four failed ("connection in transaction status INTRANS", "server closed the
    connection unexpectedly")."""
    engine = db.make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE forked (child int)"))
    children = []
    for child in range(4):
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            code = 1
            try:
                for _ in range(50):
                    with session_scope(engine) as session:
                        session.execute(text("INSERT INTO forked VALUES (:c)"), {"c": child})
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT child, count(*) FROM forked GROUP BY child"))
        counts = dict(rows.all())
    engine.dispose()
    assert codes == [0, 0, 0, 0]
    assert counts == {0: 50, 1: 50, 2: 50, 3: 50}


def _settings_of(env: dict[str, str]) -> dict[str, str]:
    return {
        "database_url": env["TRACKER_DATABASE_URL"],
        "broker_url": env["TRACKER_BROKER_URL"],
        "namespace": env["TRACKER_NAMESPACE"],
        "data_dir": env["TRACKER_DATA_DIR"],
    }


# -- 2. a Redis restart ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server of the test's own on a free port, without persistence: a restart empties
    it, as a restarted cache-only Redis would."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(
                [
                    *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                ],
                stdout=self.log.open("ab"),
                stderr=subprocess.STDOUT,
            )
        except FileNotFoundError as exc:
            unavailable("redis-server", str(exc))
        wait_for(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def test_worker_and_beat_carry_on_through_a_redis_restart(tmp_path, sqlite_url):
    """Redis restarts (empty) while polls are running and more are queued: the worker, the
    beat that ticks and its standby reconnect by themselves, one of the beats takes the lock
    again, the other waits, the next tick finds the feeds whose queued polls the restart lost,
    and every feed ends up stored exactly once, its articles matched."""
    redis_server = RedisServer(tmp_path / "redis.log")
    redis_server.start()
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    env = _env(tmp_path, sqlite_url, redis_server.url, "faults")
    settings = Settings(**_settings_of(env))
    in_flight = threading.Semaphore(0)

    def slow(prefix: str):
        def handler(request) -> None:
            in_flight.release()
            time.sleep(3)  # the poll is running while Redis restarts
            body = rss(news_items(prefix, 4))
            request.reply(200, body, {"Content-Type": "application/rss+xml"})

        return handler

    processes: list[Process] = []
    try:
        with FeedServer() as server:
            with session_scope(engine) as session:
                for i in range(6):
                    url = server.add(f"/s{i}.xml", slow(f"s{i}"))
                    add_feed(session, url, interval=timedelta(minutes=15))
            processes.append(worker(env, tmp_path / "worker.log", concurrency=2))
            beats = [
                Process(env, tmp_path / f"beat{i}.log", "beat", "--loglevel", "INFO")
                for i in (0, 1)
            ]  # one ticks, one waits for the lock as a standby
            processes += beats
            wait_for(
                lambda: any("beat: Acquired lock" in b.text() for b in beats), 60, "a beat's lock"
            )
            wait_for(lambda: all("beat: Starting" in b.text() for b in beats), 60, "the standby")
            send(settings, "poll_due_feeds")
            assert in_flight.acquire(timeout=60), "no poll started"
            redis_server.stop()  # two polls running, four queued
            # longer than a beat's loop (5 s): the ticking beat finds Redis gone, and the
            # standby's wait for the lock is cut by the error (it is left with no lock at all)
            time.sleep(6)
            redis_server.start()

            def every_feed_stored() -> bool:
                with session_scope(engine) as session:
                    unmatched = session.exec(
                        select(func.count())
                        .select_from(Article)
                        .where(Article.matched_at.is_(None))  # type: ignore[union-attr]
                    ).one()
                return len(articles_per_feed(engine)) == 6 and unmatched == 0

            wait_for(every_feed_stored, 60, "every feed polled and matched after the restart")
            assert all(process.alive() for process in processes), "a process died"
    finally:
        for process in processes:
            process.stop()
        redis_server.stop()
    assert set(articles_per_feed(engine).values()) == {4}
    assert_feeds_healthy(engine)
    logs = [beat.text() for beat in beats]
    assert not any("beat raised exception" in log for log in logs)
    # the lock was taken once before the restart and once after it, by one beat or the other
    assert sum(log.count("beat: Acquired lock") for log in logs) == 2
    # the schedule Redis lost came back, and the beat holding the lock ticked
    assert any(
        "Sending due task poll-due-feeds" in log.partition("installing it again")[2] for log in logs
    )
    assert processes[0].text().count("Connected to redis://") >= 2  # the worker reconnected
    engine.dispose()


# -- 3. SIGKILL in the middle of a batch ----------------------------------------------------


FIFTEEN = timedelta(minutes=15)


def kill_pool_processes(process: Process) -> list[int]:
    """SIGKILL the worker's pool processes (the one that is running the task), as the kernel's
    out-of-memory killer would; the worker starts new ones."""
    children = process.pool_children()
    assert children, "the worker has no pool process"
    for child in children:
        child.kill()
    psutil.wait_procs(children, timeout=10)
    return [child.pid for child in children]


def leased(engine) -> list[int]:
    return [feed.id for feed in feeds(engine) if feed.lease_until is not None]


def test_a_worker_killed_in_the_middle_of_a_poll_batch_stores_every_article_once(
    tmp_path, postgres_url, namespace
):
    """Four feeds, a worker with one pool process.  The whole worker is SIGKILLed while it
    stores a feed's articles (held inside its transaction by a table lock), then started again.
    Nothing of that feed is written; its lease keeps every poller off until it runs out; the
    new worker polls the three feeds still queued; once the lease has run out the next tick
    polls the killed feed: every article once, no lease held, no feed failed."""
    engine = db.make_engine(postgres_url)
    db.upgrade(engine)
    env = _env(tmp_path, postgres_url, redis_url(), namespace)
    settings = Settings(**_settings_of(env))
    processes: list[Process] = []
    with FeedServer() as server:
        with session_scope(engine) as session:
            paths = {}
            for path in (f"/k{i}.xml" for i in range(4)):
                url = server.add(path, Static(rss(news_items(path, 5))))
                paths[add_feed(session, url, interval=FIFTEEN).id] = path
        try:
            processes.append(worker(env, tmp_path / "worker1.log", concurrency=1))
            with locked(postgres_url, "LOCK TABLE article IN SHARE MODE"):
                send(settings, "poll_due_feeds")
                wait_for(lambda: lock_waiters(postgres_url), 60, "a poll stopped mid-store")
                processes[0].kill()
            # the killed poll's transaction is rolled back when the lock is gone
            processes.append(worker(env, tmp_path / "worker2.log", concurrency=1))
            wait_for(lambda: len(articles_per_feed(engine)) == 3, 60, "the other three feeds")
            [killed] = leased(engine)
            assert killed not in articles_per_feed(engine)  # nothing half-written
            send(settings, "poll_feed", killed)  # a duplicate delivery meanwhile: skipped
            wait_for(lambda: "'outcome': 'skipped'" in processes[1].text(), 30, "the duplicate")
            assert let_leases_expire(engine) == [killed]
            send(settings, "poll_due_feeds")  # the beat's next tick

            def every_feed_matched() -> bool:
                return len(articles_per_feed(engine)) == 4 and not unmatched(engine)

            wait_for(every_feed_matched, 60, "the killed feed polled again once its lease ran out")
            assert processes[1].alive()
        finally:
            for process in processes:
                process.stop()
        assert server.hits[paths[killed]] == 2  # the killed fetch, and the one after
    assert set(articles_per_feed(engine).values()) == {5}
    assert_feeds_healthy(engine)
    engine.dispose()


def unmatched(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(
            select(func.count()).select_from(Article).where(Article.matched_at.is_(None))  # type: ignore[union-attr]
        ).one()


def test_a_worker_killed_in_the_middle_of_a_match_batch_loses_and_doubles_nothing(
    tmp_path, postgres_url, namespace
):
    """The pool process is killed while it matches a batch of stored articles: after its
    evidence rows went in, while it waits (on a row lock) to mark the articles matched.  The
    match task comes back at once (acks_late, reject_on_worker_lost) and runs again: every
    evidence row and every proposal exactly once."""
    engine = db.make_engine(postgres_url)
    db.upgrade(engine)
    path = tmp_path / "test-oped.yaml"
    path.write_text(FORECAST_FILE, encoding="utf-8")
    with session_scope(engine) as session:
        registry.import_files(
            session,
            registry.load_files([path], EstimativeScale.builtin()),
            today=date(2022, 1, 10),
            actor="tester",
        )
    corpus = Corpus(engine)  # stored by a poll, not matched yet
    ids = [
        corpus.add(title, summary, day, url=f"https://www.{site}.example/{slug}", **_feed(site))
        for title, summary, day, site, slug in ARTICLES
    ]
    env = _env(tmp_path, postgres_url, redis_url(), namespace)
    settings = Settings(**_settings_of(env))
    process = worker(env, tmp_path / "worker.log", concurrency=1)
    try:
        with locked(postgres_url, "SELECT id FROM article FOR UPDATE"):
            send(settings, "match_articles", ids)
            wait_for(lambda: lock_waiters(postgres_url), 60, "matching stopped mid-write")
            with session_scope(engine) as session:  # not visible: still in its transaction
                assert session.exec(select(func.count()).select_from(Evidence)).one() == 0
            kill_pool_processes(process)

        def proposed() -> bool:
            with session_scope(engine) as session:
                proposals = session.exec(select(func.count()).select_from(Proposal)).one()
            return not unmatched(engine) and proposals == 1

        wait_for(proposed, 60, "the match task to run again and propose")
        send(settings, "match_articles", ids)  # a duplicate delivery adds nothing either
        wait_for(lambda: matches_done(process) == 2, 30, "the duplicate delivery")
        assert process.alive()
    finally:
        process.stop()
    assert "WorkerLostError" in process.text()
    with session_scope(engine) as session:
        evidence = session.exec(select(Evidence).order_by(Evidence.id)).all()
        proposals = session.exec(select(Proposal)).all()
    assert sorted((e.question_id, e.side, e.publisher, e.negated) for e in evidence) == [
        ("summit-held", "yes", "beta.example", True),
        ("treaty-signed", "yes", "alpha.example", False),
        ("treaty-signed", "yes", "beta.example", False),
    ]
    assert [(p.question_id, p.kind, p.outcome) for p in proposals] == [
        ("treaty-signed", "evidence", "yes")
    ]
    assert_feeds_healthy(engine)
    engine.dispose()


#: (title, summary, day, site, slug): two publishers report the treaty signed, one denies
#: the summit opened
ARTICLES = [
    (
        "Treaty signed in Geneva",
        "The two governments signed the treaty on Monday.",
        "2022-02-01",
        "alpha",
        "geneva",
    ),
    (
        "Geneva treaty",
        "Ministers signed the treaty, ending years of talks.",
        "2022-02-02",
        "beta",
        "geneva",
    ),
    (
        "Summit doubts",
        "Officials denied the summit opened on time.",
        "2022-02-02",
        "beta",
        "summit",
    ),
]


def matches_done(process: Process) -> int:
    return sum(
        "match_articles[" in line and " succeeded " in line for line in process.text().splitlines()
    )


def _feed(site: str) -> dict[str, str]:
    return {"feed": f"https://www.{site}.example/rss", "site": f"https://www.{site}.example/"}


# -- 4. PostgreSQL drops the worker's connections -------------------------------------------


def test_a_dropped_database_connection_fails_the_task_cleanly_and_it_is_retried(
    tmp_path, postgres_url, namespace
):
    """PostgreSQL ends the worker's connections (``pg_terminate_backend``, as a restart or a
    failover would) while a poll is writing: the task fails with a storage error, is retried,
    and the retry stores the feed; the feed records no failure (the database's fault is not
    the feed's) and its lease is free."""
    engine = db.make_engine(postgres_url)
    db.upgrade(engine)
    env = _env(tmp_path, postgres_url, redis_url(), namespace)
    settings = Settings(**_settings_of(env))
    with FeedServer() as server:
        with session_scope(engine) as session:
            url = server.add("/t.xml", Static(rss(news_items("t", 5))))
            feed_id = add_feed(session, url, interval=timedelta(minutes=15)).id
        process = worker(env, tmp_path / "worker.log", concurrency=1)
        try:
            with locked(postgres_url, "LOCK TABLE article IN SHARE MODE") as conn:
                send(settings, "poll_due_feeds")
                wait_for(lambda: lock_waiters(postgres_url), 60, "the poll stopped mid-store")
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            wait_for(lambda: articles_per_feed(engine) == {feed_id: 5}, 60, "the retried poll")
            assert process.alive()
        finally:
            process.stop()
        assert server.hits["/t.xml"] == 2  # fetched again by the retry
    log = process.text()
    assert "StorageError" in log and "Retry in" in log, log[-4000:]
    assert_feeds_healthy(engine)
    engine.dispose()


# -- 5. two beats ---------------------------------------------------------------------------


def test_a_killed_beat_is_replaced_by_the_standby_within_the_lock_timeout(tmp_path, namespace):
    """Two beats on one Redis: one holds RedBeat's lock and ticks, the other waits.  The one
    that ticks is SIGKILLed (no chance to release its lock): the standby takes over once the
    lock has run out, within ``redbeat_lock_timeout`` and one loop of the beat."""
    from workers.app import make_celery

    database_url = f"sqlite:///{tmp_path / 'b.db'}"
    db.upgrade(db.make_engine(database_url))
    env = _env(tmp_path, database_url, redis_url(), namespace)
    conf = make_celery(Settings(**_settings_of(env))).conf
    bound = conf.redbeat_lock_timeout + conf.beat_max_loop_interval + 10  # + start-up slack
    beats = [Process(env, tmp_path / f"beat{i}.log", "beat", "--loglevel", "INFO") for i in (0, 1)]
    try:

        def holders() -> list[int]:
            return [i for i, beat in enumerate(beats) if "beat: Acquired lock" in beat.text()]

        wait_for(holders, 60, "a beat to take the lock")
        time.sleep(conf.beat_max_loop_interval + 1)  # the standby has had time to try
        [active] = holders()
        standby = 1 - active
        beats[active].kill()
        wait_for(lambda: standby in holders(), bound, "the standby to take over")
        assert beats[standby].alive()
    finally:
        for beat in beats:
            beat.stop()
    assert "Sending due task" not in beats[standby].text().split("beat: Acquired lock")[0]
