"""SQLite under an operator's faults, with real `tracker` processes on one database file (issue
17, "What to build" 2):

- the embedded `tracker run` and a `tracker poll` at the same time, and two imports at once:
  no "database is locked" reaches the user and no write is lost (units of work begin
  IMMEDIATE and wait for the lock; docs/dev.md, "SQLite: concurrency and a full disk");
- the disk fills up (a file size limit set in the child, SIGXFSZ ignored, so a write fails with
  EFBIG as on a full disk) during a poll and during an import: one line naming the database,
  the database still opens and passes ``PRAGMA integrity_check``, and nothing was half written.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.feedserver import FeedServer, Static, news_items, rss

FEEDS = 12
ITEMS = 25


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATA_DIR=str(tmp_path / "data"),
        TRACKER_ALLOW_PRIVATE_FEEDS="1",
        TRACKER_WORKER_CONCURRENCY="4",
        COLUMNS="200",
    )
    return env


def _db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tracker.db"


def _tracker(
    env: dict[str, str], *args: str, preexec: Callable[[], None] | None = None, timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
    )


def _start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tracker", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _count(path: Path, sql: str) -> int:
    with sqlite3.connect(path, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _integrity(path: Path) -> str:
    with sqlite3.connect(path, timeout=30) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _add_feeds(env: dict[str, str], server: FeedServer, count: int, items: int) -> list[str]:
    urls = [
        server.add(
            f"/f{n}.xml", Static(rss(news_items(f"feed{n}", items, site=f"https://s{n}.example")))
        )
        for n in range(count)
    ]
    opml = "".join(f'<outline type="rss" text="f{n}" xmlUrl="{u}"/>' for n, u in enumerate(urls))
    path = Path(env["TRACKER_DATA_DIR"]).parent / "feeds.opml"
    path.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{opml}</body></opml>')
    done = _tracker(env, "feeds", "import-opml", str(path))
    assert done.returncode == 0, done.stderr
    return urls


def _forecast_file(folder: Path, name: str, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    forecasts = "".join(
        f"""  - id: {name}-{n}
    question: Will event {name} number {n} happen by 2030-12-31?
    quote: "It is likely."
    estimate: likely
    probability: 0.7
    opens: 2022-01-21
    closes: 2030-12-31
    resolution: manual
"""
        for n in range(count)
    )
    path = folder / f"{name}.yaml"
    path.write_text(
        f"source:\n  title: Source {name}\n  author: Author {name}\n  published: 2022-01-21\n"
        f"forecasts:\n{forecasts}",
        encoding="utf-8",
    )
    return path


def _no_lock_error(*outputs: str) -> None:
    for output in outputs:
        assert "database is locked" not in output, output[-3000:]
        assert "stayed locked" not in output, output[-3000:]
        assert "Traceback" not in output, output[-3000:]


# --- concurrency ----------------------------------------------------------------------------


def test_tracker_run_and_tracker_poll_at_once_lose_nothing(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with FeedServer() as server:
        assert _tracker(env, "init").returncode == 0
        _add_feeds(env, server, FEEDS, ITEMS)
        run = _start(env, tmp_path / "run.log", "run", "--no-web")
        try:
            polls = [
                subprocess.Popen(
                    [sys.executable, "-m", "tracker", "poll", "--all"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for _ in range(2)
            ]
            outputs = [p.communicate(timeout=240)[0] for p in polls]
            deadline = time.monotonic() + 120
            expected = FEEDS * ITEMS
            while time.monotonic() < deadline:
                if _count(_db(tmp_path), "SELECT COUNT(*) FROM article") >= expected:
                    break
                time.sleep(0.5)
        finally:
            run.send_signal(signal.SIGINT)
            run.wait(90)
    log = (tmp_path / "run.log").read_text(errors="replace")
    assert [p.returncode for p in polls] == [0, 0], outputs
    _no_lock_error(*outputs, log)
    assert _count(_db(tmp_path), "SELECT COUNT(*) FROM article") == FEEDS * ITEMS
    assert _count(_db(tmp_path), "SELECT COUNT(DISTINCT url) FROM article") == FEEDS * ITEMS
    assert _count(_db(tmp_path), "SELECT COUNT(*) FROM feed WHERE last_error IS NOT NULL") == 0
    assert _integrity(_db(tmp_path)) == "ok"


def test_two_imports_at_once_both_land(tmp_path: Path) -> None:
    """Two people import the same folder of files at the same moment (plus one file of their
    own each): every forecast is there once, and neither import fails.  Before units of work
    began IMMEDIATE, both read "no such source" outside any transaction, both inserted, and one
    died on the unique constraint."""
    env = _env(tmp_path)
    assert _tracker(env, "init").returncode == 0
    shared = tmp_path / "shared"
    for name in ("alpha", "beta", "gamma"):
        _forecast_file(shared, name, 40)
    own = [_forecast_file(tmp_path / name, name, 40) for name in ("delta", "epsilon")]
    imports = [
        subprocess.Popen(
            [sys.executable, "-m", "tracker", "forecasts", "import", str(shared), str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for path in own
    ]
    outputs = [p.communicate(timeout=240)[0] for p in imports]
    assert [p.returncode for p in imports] == [0, 0], outputs
    _no_lock_error(*outputs)
    assert _count(_db(tmp_path), "SELECT COUNT(*) FROM forecast") == 200
    assert _count(_db(tmp_path), "SELECT COUNT(*) FROM source") == 5


# --- a full disk ------------------------------------------------------------------------------


def _file_size_limit(limit: int) -> Callable[[], None]:
    """In the child: writes past ``limit`` bytes per file fail with EFBIG (SIGXFSZ ignored, so
    the process is not killed), as they would on a full disk.  Only the child is limited.  A file
    already larger (the database) is written in place but cannot grow; with the WAL folded in
    (:func:`_wal_checkpointed`), the new writes go to the WAL, which ``limit`` bounds: the free
    space of the full disk."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _disk_full_line(output: str, database: Path) -> None:
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, output[-3000:]
    assert f"disk full writing {database}" in errors[0] and "free space and retry" in errors[0]
    assert "Traceback" not in output


def _wal_checkpointed(path: Path) -> None:
    """The WAL folded into the file, so that the file size limit bites on new writes."""
    with sqlite3.connect(path, timeout=30) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_a_full_disk_during_an_import_writes_nothing(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _tracker(env, "init").returncode == 0
    first = _forecast_file(tmp_path / "forecasts", "small", 3)
    assert _tracker(env, "forecasts", "import", str(first)).returncode == 0
    _wal_checkpointed(_db(tmp_path))
    big = _forecast_file(tmp_path / "forecasts", "big", 400)
    done = _tracker(env, "forecasts", "import", str(big), preexec=_file_size_limit(64_000))
    assert done.returncode == 1
    _disk_full_line(done.stderr, _db(tmp_path))
    assert _integrity(_db(tmp_path)) == "ok"
    assert _count(_db(tmp_path), "SELECT COUNT(*) FROM forecast") == 3  # all or nothing
    assert _count(_db(tmp_path), "SELECT COUNT(*) FROM source WHERE id = 'big'") == 0
    # with the space back, the same import goes through
    assert _tracker(env, "forecasts", "import", str(big)).returncode == 0
    assert _count(_db(tmp_path), "SELECT COUNT(*) FROM forecast") == 403


def test_a_full_disk_during_a_poll_is_one_line_and_the_database_opens(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with FeedServer() as server:
        assert _tracker(env, "init").returncode == 0
        _add_feeds(env, server, 4, 200)
        _wal_checkpointed(_db(tmp_path))
        done = _tracker(env, "poll", "--all", preexec=_file_size_limit(48_000))
        assert done.returncode == 1, done.stdout + done.stderr
        _disk_full_line(done.stderr, _db(tmp_path))
        assert _integrity(_db(tmp_path)) == "ok"
        stored = _count(_db(tmp_path), "SELECT COUNT(*) FROM article")
        # a feed's articles are stored whole or not at all
        per_feed = _count(
            _db(tmp_path),
            "SELECT COUNT(*) FROM (SELECT feed_id, COUNT(*) n FROM article GROUP BY feed_id "
            "HAVING n NOT IN (0, 200))",
        )
        assert per_feed == 0 and stored < 800
        # space back: the next poll stores the rest, each article once
        again = _tracker(env, "poll", "--all")
        assert again.returncode == 0, again.stderr
    assert _count(_db(tmp_path), "SELECT COUNT(*) FROM article") == 800
    assert _count(_db(tmp_path), "SELECT COUNT(DISTINCT url) FROM article") == 800
    assert _integrity(_db(tmp_path)) == "ok"


def test_a_lock_held_too_long_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """Another process keeps the write lock past the busy timeout: the unit of work fails with
    `DatabaseBusyError` (what to do, which file), not a bare "database is locked"."""
    from sqlalchemy import event, text

    from tracker import db
    from tracker.errors import DatabaseBusyError

    path = tmp_path / "busy.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)

    def short_wait(dbapi_connection, _record) -> None:  # 30 s in production; 0.2 s here
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    event.listen(engine, "connect", short_wait)
    engine.dispose()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer, holding on
    try:
        with pytest.raises(DatabaseBusyError) as raised, db.session_scope(engine) as session:
            session.connection().execute(text("SELECT COUNT(*) FROM forecast"))
        message = str(raised.value)
        assert str(path) in message and "retry" in message and "\n" not in message
    finally:
        other.execute("ROLLBACK")
        other.close()
        engine.dispose()
    # the lock gone, the same unit of work goes through
    with db.session_scope(engine) as session:
        session.connection().execute(text("SELECT COUNT(*) FROM forecast"))
