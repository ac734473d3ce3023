"""A database whose schema a newer tracker made (issue 17, Low): `tracker init`, `serve`, `run`
and any other command refuse with one line naming the unknown revision, instead of Alembic's
traceback ("Can't locate revision ...") or a web app that fails in its start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import Cli
from tracker import db

FUTURE = "9999_from_a_newer_tracker"


def _stamp_future(url: str) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    engine.dispose()
    db._cached_engine.cache_clear()


def _assert_refused(output: str) -> None:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, output
    assert FUTURE in lines[0] and "newer than this version" in lines[0]
    assert "upgrade the tracker" in lines[0]


def test_init_and_commands_refuse_a_newer_schema(database_url: str, tmp_path: Path) -> None:
    _stamp_future(database_url)
    cli = Cli(database_url, tmp_path / "data")
    for args in (["init"], ["forecasts", "list"], ["status"]):
        result = cli(*args, ok=False)
        assert result.exit_code == 1
        _assert_refused(result.output)


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["run", "--no-web"]])
def test_serve_and_run_refuse_to_start_on_a_newer_schema(
    sqlite_url: str, tmp_path: Path, command: list[str]
) -> None:
    _stamp_future(sqlite_url)
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": sqlite_url,
        "TRACKER_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tracker", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    _assert_refused(done.stderr)
    assert "Uvicorn running" not in done.stderr and "Running worker" not in done.stdout
