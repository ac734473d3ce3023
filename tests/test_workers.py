"""The distributed mode with real parts: a Celery worker on the real Redis, the Redis per-host
limit shared by two clients, and RedBeat's lock letting exactly one of two beats tick.

Other engineers share this Redis (db 15): every test uses its own namespace (queue name and
key prefix) and deletes its keys afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.feedserver import FeedServer, Static, news_items, rss
from tests.services import redis_namespace, redis_url, wait_for
from tracker import db
from tracker.db import session_scope
from tracker.ingest import AddressGuard, Fetcher, FetchLimits, RedisHostLimiter, add_feed
from tracker.models import Article, Feed, TaskRun
from tracker.settings import Settings

pytestmark = pytest.mark.redis


@pytest.fixture
def namespace():
    yield from redis_namespace("test-ingest")


def test_real_worker_on_redis_polls_due_feeds(tmp_path, namespace):
    from celery.contrib.testing.worker import start_worker

    from workers.app import make_celery

    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'w.db'}",
        broker_url=redis_url(),
        namespace=namespace,
        allow_private_feeds=True,
    )
    engine = db.engine_for(settings)
    db.upgrade(engine)
    app = make_celery(settings)
    with FeedServer() as server:
        with session_scope(engine) as session:
            good = add_feed(
                session,
                server.add("/good.xml", Static(rss(news_items("w", 7)))),
                interval=timedelta(minutes=15),
            ).id
            bad = add_feed(
                session,
                server.add("/bad.xml", Static(b'<!DOCTYPE x [<!ENTITY a "b">]><rss/>')),
                interval=timedelta(minutes=15),
            ).id
            missing = add_feed(
                session, server.url("/missing.xml"), interval=timedelta(minutes=15)
            ).id

        def done() -> bool:
            with session_scope(engine) as session:
                stored = len(list(session.exec(select(Article.id).where(Article.feed_id == good))))
                kinds = [session.get(Feed, i).error_kind for i in (bad, missing)]
            return stored == 7 and kinds == ["parse", "http_status"]

        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=20,
        ):
            app.send_task("tracker.poll_due_feeds", queue=namespace)
            wait_for(done, 30, "the worker to poll the three feeds")
            # a duplicate delivery is harmless: the feeds are no longer due
            app.send_task("tracker.poll_feed", args=(good,), queue=namespace)
            time.sleep(1)
        assert server.hits["/good.xml"] == 1
    with session_scope(engine) as session:
        run = session.get(TaskRun, "poll_due_feeds")
        assert run.last_status == "ok" and "3 feed(s) due" in run.last_detail
    assert app.conf.task_acks_late and app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_redis_host_limit_is_shared_by_every_worker(namespace):
    import redis

    lock = threading.Lock()
    in_flight = {"now": 0, "max": 0}

    def slow(handler):
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        time.sleep(0.15)
        with lock:
            in_flight["now"] -= 1
        handler.reply(200, rss(news_items("slow", 1)), {"Content-Type": "application/rss+xml"})

    limits = FetchLimits()
    fetchers = [
        Fetcher(
            limits,
            AddressGuard(allow_private=True),
            RedisHostLimiter(redis.Redis.from_url(redis_url()), namespace, 2, ttl=60, wait=30),
        )
        for _ in range(2)
    ]  # two "workers", each with its own client and connection pool
    with FeedServer() as server:
        url = server.add("/slow.xml", slow)
        threads = [threading.Thread(target=fetchers[i % 2].fetch, args=(url,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert server.hits["/slow.xml"] == 8 and in_flight["max"] == 2
    assert fetchers[0].host_limiter.in_flight("127.0.0.1") == 0  # every slot given back
    for fetcher in fetchers:
        fetcher.close()


def _beat(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "beat"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def test_only_one_beat_ticks_and_a_standby_takes_over(tmp_path, namespace):
    env = {
        **os.environ,
        "TRACKER_BROKER_URL": redis_url(),
        "TRACKER_NAMESPACE": namespace,
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}",
    }
    db.upgrade(db.make_engine(env["TRACKER_DATABASE_URL"]))
    logs = [tmp_path / "beat1.log", tmp_path / "beat2.log"]
    beats = [_beat(env, logs[0]), _beat(env, logs[1])]

    def holders() -> list[int]:
        return [
            i
            for i, log in enumerate(logs)
            if "beat: Acquired lock" in log.read_text(errors="replace")
        ]

    try:
        wait_for(lambda: holders(), 30, "a beat to take the RedBeat lock")
        time.sleep(3)
        assert len(holders()) == 1, "two beats hold the lock"
        active = holders()[0]
        standby = 1 - active
        beats[active].send_signal(signal.SIGTERM)
        beats[active].wait(20)
        wait_for(lambda: standby in holders(), 40, "the standby beat to take over")
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat.send_signal(signal.SIGTERM)
                try:
                    beat.wait(20)
                except subprocess.TimeoutExpired:
                    beat.kill()
