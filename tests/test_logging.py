"""Structured logs: a real worker and a real server started with ``--log-format json`` write
nothing but JSON lines, and each line about a feed, a task or a forecast carries its id."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.feedserver import FeedServer, Static, rss
from tests.services import redis_namespace, redis_url, wait_for
from tests.test_resolution import FORECAST_FILE
from tests.test_resolution_workers import ITEMS
from tracker import db, logs
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.ingest import add_feed
from tracker.models import Feed
from tracker.settings import Settings


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}",
        "TRACKER_ALLOW_PRIVATE_FEEDS": "1",
        **extra,
    }
    env.pop("TRACKER_LOG_FORMAT", None)  # the option under test says it
    return env


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def json_lines(path: Path) -> list[dict]:
    """Every line of ``path`` as JSON (a line that is not JSON fails the test, naming it)."""
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"{path.name}:{number} is not JSON: {line[:200]!r}")
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
    return lines


@pytest.fixture
def namespace():
    yield from redis_namespace("test-logs")


@pytest.mark.redis
def test_worker_json_lines_carry_feed_and_task_ids(tmp_path, namespace):
    from workers.app import make_celery

    env = _env(tmp_path, TRACKER_BROKER_URL=redis_url(), TRACKER_NAMESPACE=namespace)
    settings = Settings(
        data_dir=tmp_path,
        database_url=env["TRACKER_DATABASE_URL"],
        broker_url=env["TRACKER_BROKER_URL"],
        namespace=namespace,
    )
    engine = db.engine_for(settings)
    db.upgrade(engine)
    forecasts = tmp_path / "oped.yaml"
    forecasts.write_text(FORECAST_FILE, encoding="utf-8")
    with session_scope(engine) as session:
        files = registry.load_files([forecasts], EstimativeScale.builtin())
        registry.import_files(session, files, today=date(2022, 1, 10), actor="tester")
    out, err = tmp_path / "worker.out", tmp_path / "worker.err"
    with FeedServer() as server:
        with session_scope(engine) as session:
            urls = [
                server.add("/news.xml", Static(rss(ITEMS))),
                server.url("/missing.xml"),
            ]
            ids = {url: add_feed(session, url, interval=timedelta(minutes=15)).id for url in urls}
        worker = subprocess.Popen(
            [sys.executable, "-m", "tracker", "worker", "--concurrency=2", "--log-format=json"],
            env=env,
            stdout=out.open("wb"),
            stderr=err.open("wb"),
        )
        try:
            make_celery(settings).send_task("tracker.poll_due_feeds", queue=namespace)

            def polled() -> bool:
                with session_scope(engine) as session:
                    return all(session.get(Feed, i).last_polled_at for i in ids.values())

            wait_for(polled, 60, "the worker to poll both feeds")
            wait_for(lambda: "new evidence" in err.read_text(), 30, "the matching's lines")
            wait_for(lambda: err.read_text().count("succeeded") >= 4, 20, "the tasks' last lines")
        finally:
            _stop(worker)
    # no start-up banner; Celery prints only its "worker: Warm shutdown" notice outside logging
    assert "[queues]" not in out.read_text() and "[config]" not in out.read_text()
    lines = json_lines(err)
    for url, feed_id in ids.items():
        about = [line for line in lines if url in line["message"]]
        assert about, f"no line about {url}"
        assert all(line.get("feed_id") == feed_id for line in about), about
    polls = [line for line in lines if "tracker.poll_feed[" in line["message"]]
    assert len(polls) >= 4  # received and succeeded, for each feed
    for line in polls:
        assert line["task"] == "tracker.poll_feed" and line["task_id"] in line["message"]
        assert line["feed_id"] in ids.values()
    failed = next(line for line in lines if "/missing.xml" in line["message"])
    assert failed["level"] == "WARNING" and "http_status" in failed["message"]
    evidence = [line for line in lines if line["message"].startswith("new evidence")]
    assert evidence
    for line in evidence:
        assert line["message"].endswith(f" {line['forecast_id']}")
        assert line["task"] == "tracker.match_articles" and line["task_id"]
    for line in lines:
        if line["message"].startswith("proposal "):
            assert f"question {line['question_id']}:" in line["message"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_server_json_lines_carry_the_forecast_id_of_a_request(tmp_path):
    port = _free_port()
    err = tmp_path / "serve.err"
    server = subprocess.Popen(
        [sys.executable, "-m", "tracker", "serve", "--port", str(port), "--log-format", "json"],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=err.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{base}/api/forecasts", timeout=2).status_code == 200
            except httpx.TransportError:
                return server.poll() is not None

        wait_for(up, 60, "the server to answer")
        assert httpx.get(f"{base}/forecasts/no-such-forecast", timeout=10).status_code == 404
        assert httpx.get(f"{base}/api/feeds/987", timeout=10).status_code == 405  # POST only
    finally:
        _stop(server)
    lines = json_lines(err)
    access = {line["message"].split('"')[1]: line for line in lines if '"GET ' in line["message"]}
    assert access["GET /forecasts/no-such-forecast HTTP/1.1"]["forecast_id"] == "no-such-forecast"
    assert access["GET /api/feeds/987 HTTP/1.1"]["feed_id"] == "987"
    assert "forecast_id" not in access["GET /api/forecasts HTTP/1.1"]
    assert any("Uvicorn running" in line["message"] for line in lines)
    assert not any("color_message" in line for line in lines)  # no terminal colours in JSON


@pytest.fixture
def root_logging():
    """The root logger's handlers and level put back after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_text_lines_show_the_ids_and_threads_keep_their_own(capsys, root_logging):
    logs.configure("text")
    log = logging.getLogger("tracker.test")
    seen = threading.Barrier(2, timeout=10)

    def poll(feed_id: int) -> None:
        with logs.log_context(feed_id=feed_id):
            seen.wait()  # both threads are inside their context before either logs
            log.warning("polling")

    threads = [threading.Thread(target=poll, args=(i,)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    log.warning("outside")
    lines = capsys.readouterr().err.splitlines()
    assert sorted(line.split(": ", 1)[1] for line in lines) == [
        "outside",
        "polling [feed_id=1]",
        "polling [feed_id=2]",
    ]


def test_run_passes_the_log_format_to_every_process():
    from tracker.cli.operate import LogFormat, embedded_services

    services = embedded_services(2, ("127.0.0.1", 8123), log_format=LogFormat.json)
    assert set(services) == {"worker", "pages", "beat", "web"}
    assert all(argv[-2:] == ["--log-format", "json"] for argv in services.values())
    assert all("--log-format" not in argv for argv in embedded_services(2, None).values())


@pytest.mark.redis
def test_beat_json_lines(tmp_path, namespace):
    env = _env(tmp_path, TRACKER_BROKER_URL=redis_url(), TRACKER_NAMESPACE=namespace)
    db.upgrade(db.make_engine(env["TRACKER_DATABASE_URL"]))
    out, err = tmp_path / "beat.out", tmp_path / "beat.err"
    beat = subprocess.Popen(
        [sys.executable, "-m", "tracker", "beat", "--log-format=json"],
        env=env,
        stdout=out.open("wb"),
        stderr=err.open("wb"),
    )
    try:
        wait_for(lambda: "Acquired lock" in err.read_text(), 60, "the beat to take RedBeat's lock")
    finally:
        _stop(beat)
    assert "LocalTime" not in out.read_text()  # no banner
    lock = [line for line in json_lines(err) if line["message"] == "beat: Acquired lock"]
    assert len(lock) == 1 and lock[0]["logger"] == "celery.beat"
