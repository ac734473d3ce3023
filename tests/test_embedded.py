"""The embedded mode end to end, as a user runs it: `tracker run` (worker + beat over the file
broker, no Redis, and the web app) polls a local feed, stores its articles, answers on the web,
and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import httpx

from tests.feedserver import FeedServer, Static, news_items, rss


def _tracker(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def _stored_titles(path) -> list[str]:
    import sqlite3

    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=10) as conn:
        try:
            return [row[0] for row in conn.execute("SELECT title FROM article")]
        except sqlite3.OperationalError:  # not migrated yet
            return []


def _web_url(log_path, deadline: float) -> str:
    """The web app's address, from uvicorn's log line (it was started on a free port)."""
    while True:
        found = re.search(
            r"Uvicorn running on (http://127\.0\.0\.1:\d+)", log_path.read_text(errors="replace")
        )
        if found:
            return found.group(1)
        assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
        time.sleep(0.2)


def test_run_starts_the_web_app_unless_told_not_to():
    from tracker.cli.operate import embedded_services

    with_web = embedded_services(2, ("127.0.0.1", 8123))
    assert with_web["web"][-5:] == ["serve", "--host", "127.0.0.1", "--port", "8123"]
    assert set(embedded_services(2, None)) == {"worker", "pages", "beat"}
    assert embedded_services(2, None)["pages"][-4:] == ["worker", "--pages", "--concurrency", "2"]


def test_tracker_run_polls_and_stores_then_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATA_DIR=str(tmp_path / "data"),
        TRACKER_ALLOW_PRIVATE_FEEDS="1",
        TRACKER_WORKER_CONCURRENCY="2",
        COLUMNS="200",
    )
    with FeedServer() as server:
        url = server.add("/embedded.xml", Static(rss(news_items("embedded", 6))))
        _tracker(env, "init")
        _tracker(env, "feeds", "add", url)
        log = (tmp_path / "run.log").open("wb")
        run = subprocess.Popen(
            [sys.executable, "-m", "tracker", "run", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            articles = []
            while time.monotonic() < deadline and len(articles) < 6:
                time.sleep(0.5)
                articles = _stored_titles(tmp_path / "data" / "tracker.db")
            assert len(articles) == 6, (tmp_path / "run.log").read_text(errors="replace")[-3000:]
            assert (tmp_path / "data" / "broker" / "queue").is_dir()  # the file broker, no server
            web = _web_url(tmp_path / "run.log", deadline)
            assert httpx.get(f"{web}/api/health", timeout=10).json() == {
                "status": "ok",
                "schema_current": True,
            }
            feeds = httpx.get(f"{web}/api/feeds", timeout=10).json()["items"]
            assert (
                feeds[0]["url"] == url and feeds[0]["articles"] == 6
            )  # the web app sees the worker's work
        finally:
            started = time.monotonic()
            run.send_signal(signal.SIGINT)
            code = run.wait(60)
            print(f"stopped in {time.monotonic() - started:.1f} s")
        output = (tmp_path / "run.log").read_text(errors="replace")
        assert code == 0 and "Stopped." in output, output[-3000:]
        assert server.hits["/embedded.xml"] == 1
    assert json.loads(_tracker(env, "articles", "list", "--format", "json"))[0]["title"].startswith(
        "embedded"
    )
    status = _tracker(env, "status")
    assert "poll_due_feeds" in status and "ok" in status
