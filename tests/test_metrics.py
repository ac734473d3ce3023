"""``GET /metrics``: scraped after real polls by a real worker, with the values an operator reads.

The figures come from the database and the broker at scrape time, so two apps (two server
processes) answer the same, and the task counters add up across workers."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.feedserver import FeedServer, Static, news_items, rss
from tests.services import redis_namespace, redis_url, wait_for
from tracker import db, service
from tracker.db import session_scope
from tracker.ingest import add_feed
from tracker.models import TaskStat
from tracker.settings import Settings
from tracker.web import create_app

TOKEN = "scrape-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape: (name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scrape: dict, name: str, **labels: str) -> float:
    return scrape[(name, tuple(sorted(labels.items())))]


def scrape(settings: Settings, headers: dict[str, str] | None = None) -> dict:
    with TestClient(create_app(settings)) as client:
        response = client.get("/metrics", headers=BEARER if headers is None else headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


def make_settings(tmp_path, **changes) -> Settings:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'm.db'}",
        allow_private_feeds=True,
        metrics_token=TOKEN,
        **changes,
    )
    db.upgrade(db.engine_for(settings))
    return settings


@pytest.fixture
def namespace():
    yield from redis_namespace("test-metrics")


@pytest.mark.redis
def test_scrape_after_real_polls_by_a_worker(tmp_path, namespace):
    from celery.contrib.testing.worker import start_worker

    from workers.app import make_celery

    settings = make_settings(tmp_path, broker_url=redis_url(), namespace=namespace)
    engine = db.engine_for(settings)
    app = make_celery(settings)
    with FeedServer() as server:
        with session_scope(engine) as session:
            good = server.add("/good.xml", Static(rss(news_items("m", 5))))
            add_feed(session, good, interval=timedelta(minutes=15))
            add_feed(session, server.url("/missing.xml"), interval=timedelta(minutes=15))
        app.send_task("tracker.poll_due_feeds", queue=namespace)
        before = scrape(settings)  # the tick waits in Redis: nobody works the queue yet
        assert value(before, "tracker_queue_messages", queue=namespace) == 1
        assert value(before, "tracker_queue_messages", queue=f"{namespace}.pages") == 0
        assert value(before, "tracker_feeds_due") == 2
        assert value(before, "tracker_feeds", state="new") == 2

        def polled() -> bool:
            with session_scope(engine) as session:
                stat = session.get(TaskStat, "tracker.poll_feed")
                return stat is not None and stat.successes == 2

        with start_worker(
            app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20
        ):
            wait_for(polled, 30, "the worker to poll both feeds")
            app.send_task("tracker.check_deadlines", args=("not-a-day",), queue=namespace)
            wait_for(lambda: _failures(engine, "tracker.check_deadlines") == 1, 30, "a failure")
    after = scrape(settings)
    assert value(after, "tracker_feeds", state="ok") == 1
    assert value(after, "tracker_feeds", state="failing") == 1
    assert value(after, "tracker_feeds_due") == 0
    assert value(after, "tracker_polls_last_minute") == 2
    assert value(after, "tracker_articles_stored") == 5
    assert value(after, "tracker_articles_last_minute") == 5
    assert value(after, "tracker_queue_messages", queue=namespace) == 0
    # a feed's failure is the feed's, not the task's: both poll tasks succeeded
    poll = {"task": "tracker.poll_feed"}
    assert value(after, "tracker_task_runs_total", **poll, result="success") == 2
    assert value(after, "tracker_task_runs_total", **poll, result="failure") == 0
    assert value(after, "tracker_task_duration_seconds_count", **poll) == 2
    assert value(after, "tracker_task_duration_seconds_bucket", **poll, le="+Inf") == 2
    assert value(after, "tracker_task_duration_seconds_sum", **poll) > 0
    deadline = {"task": "tracker.check_deadlines"}
    assert value(after, "tracker_task_runs_total", **deadline, result="failure") == 1
    tick = {"task": "tracker.poll_due_feeds"}
    assert value(after, "tracker_task_runs_total", **tick, result="success") == 1
    assert value(after, "tracker_periodic_task_failed", task="poll_due_feeds") == 0
    assert value(after, "tracker_task_last_finished_timestamp_seconds", **poll) > 0
    assert value(after, "tracker_proposals_waiting", kind="evidence") == 0
    # a second server process reads the same figures
    assert scrape(settings) == after


def _failures(engine, name: str) -> int:
    with session_scope(engine) as session:
        stat = session.get(TaskStat, name)
        return stat.failures if stat else 0


def test_task_counters_add_up_across_concurrent_workers(engine):
    """Eight threads (workers) counting into one row lose nothing: the database adds."""

    def count(result: str, seconds: float) -> None:
        for _ in range(5):
            service.record_task_end(engine, "tracker.poll_feed", seconds, result)

    threads = [
        threading.Thread(target=count, args=(("success", "retry")[i % 2], 0.2 * i))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with session_scope(engine) as session:
        (figures,) = service.task_figures(session)
    assert (figures.successes, figures.retries, figures.failures, figures.runs) == (20, 20, 0, 40)
    assert dict(figures.buckets) == {0.1: 5, 0.5: 15, 1.0: 30, 5.0: 40, 30.0: 40, 120.0: 40}
    assert figures.seconds_sum == pytest.approx(5 * 0.2 * sum(range(8)))


def test_first_runs_of_a_task_in_several_workers_at_once_all_record(engine):
    """Pool processes start their first run of a task together: each records it (the run's
    row is upserted; reading it before inserting let two insert it and fail the task on
    ``task_run_pkey``, seen with four prefork processes on PostgreSQL)."""
    from tracker.errors import StorageError
    from tracker.service._taskruns import recorded_run

    start = threading.Barrier(8)
    failures: list[StorageError] = []

    def run(i: int) -> None:
        start.wait(30)
        try:
            with recorded_run(engine, f"race_{i % 2}") as record:
                record.detail = f"run {i}"
        except StorageError as exc:  # a thread that lost the race to insert the row
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with session_scope(engine) as session:
        runs = {run.name: run for run in service.task_runs(session)}
    assert {name: runs[name].last_status for name in ("race_0", "race_1")} == {
        "race_0": "ok",
        "race_1": "ok",
    }


def test_metrics_need_the_token_unless_public(tmp_path):
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        odd = client.get("/metrics", headers={"Authorization": "Bearer é".encode("latin-1")})
        assert odd.status_code == 401
        assert client.get("/metrics", headers=BEARER).status_code == 200
    off = settings.model_copy(update={"metrics_token": None})
    with TestClient(create_app(off)) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 403 and "TRACKER_METRICS_TOKEN" in refused.text
    public = off.model_copy(update={"metrics_public": True})
    figures = scrape(public, headers={})
    assert value(figures, "tracker_feeds", state="ok") == 0
    assert "/metrics" not in create_app(public).openapi()["paths"]


def test_queue_depth_of_the_file_broker(tmp_path):
    settings = make_settings(tmp_path)
    service.queue_task(settings, "poll_due_feeds")
    figures = scrape(settings)
    assert value(figures, "tracker_queue_messages", queue="tracker") == 1
    assert value(figures, "tracker_queue_messages", queue="tracker.pages") == 0


def test_status_json_for_monitoring_scripts(cli, tmp_path):
    """The documented shape of `tracker status --format json`, read after a real poll."""
    cli.env["TRACKER_ALLOW_PRIVATE_FEEDS"] = "1"
    cli("init")
    with FeedServer() as server:
        good = server.add("/good.xml", Static(rss(news_items("s", 4))))
        cli("feeds", "add", good)
        cli("feeds", "add", server.url("/missing.xml"))
        cli("poll")
    engine = db.make_engine(cli.env["TRACKER_DATABASE_URL"])
    service.record_task_end(engine, "tracker.poll_feed", 0.25, "success")
    service.record_task_end(engine, "tracker.poll_feed", 0.75, "failure")
    with session_scope(engine) as session:
        failing = [h.feed.id for h in service.list_feeds(session) if h.state == "failing"]
    engine.dispose()

    data = json.loads(cli("status", "--format", "json").stdout)

    assert set(data) == {
        "schema_version",
        "at",
        "database",
        "feeds",
        "articles",
        "proposals",
        "needs_outcome",
        "periodic_tasks",
        "workers",
        "queues",
    }
    assert data["schema_version"] == 1
    assert datetime.fromisoformat(data["at"]).tzinfo is not None
    assert data["database"] == {"revision": ",".join(sorted(db.migration_heads())), "current": True}
    assert data["feeds"] == {
        "total": 2,
        "due": 0,
        "failing": 1,
        "disabled": 0,
        "failing_ids": failing,
    }
    assert data["articles"]["stored"] == 4 and data["articles"]["unmatched"] == 0
    assert data["proposals"] == {"waiting": 0, "by_kind": {}}
    assert data["needs_outcome"] == 0
    poll = data["workers"]["tasks"]["tracker.poll_feed"]
    assert (poll["successes"], poll["failures"], poll["retries"]) == (1, 1, 0)
    assert poll["mean_seconds"] == 0.5
    assert data["workers"]["last_task_finished"] == poll["last_finished"]
    assert data["queues"] == {
        "broker": "embedded file broker",
        "namespace": "tracker",
        "depths": {"tracker": 0, "tracker.pages": 0},
    }
