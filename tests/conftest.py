from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.services import postgres_admin_dsn
from tracker import db

#: fixtures shared by many modules: the real browser (Chromium) and the seeded web app
pytest_plugins = ["tests.browser", "tests.web_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
FORECASTS = ROOT / "forecasts"
ARTICLE_FILE = FORECASTS / "trenin-2022-01-21.yaml"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    admin = postgres_admin_dsn()
    name = f"tracker_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        db._cached_engine.cache_clear()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database (through Alembic, as `tracker init` does)."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


class Cli:
    """Runs ``tracker`` in-process against one database, like a user's shell would."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        from tracker.cli import app

        self.app = app
        self.env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_DATA_DIR": str(data_dir)}
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True):
        result = self.runner.invoke(
            self.app, [str(a) for a in args], env=self.env, catch_exceptions=False
        )
        if ok:
            assert result.exit_code == 0, (
                f"tracker {' '.join(map(str, args))} failed:\n{result.output}"
            )
        return result


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    return Cli(database_url, tmp_path / "data")
