"""Fixtures for the web app's tests: a seeded database, the app, a client, signing in.

Test modules import what they use (``from tests.web_fixtures import ...``).  The database
holds the Trenin article's forecasts plus one hostile forecast file (markup in every text
field, a ``javascript:`` source link), one hostile failing feed (markup in its title and
error, a ``javascript:`` site link) and one analyst, ``ana``.  Nothing is resolved:
:func:`resolve_some` records outcomes for the scorecard's tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import ARTICLE_FILE
from tracker import auth, ingest, lifecycle, registry
from tracker.db import session_scope
from tracker.models import Outcome, User, utcnow
from tracker.scale import EstimativeScale
from tracker.settings import Settings
from tracker.web import create_app

PASSWORD = "correct horse battery"
HOSTILE_ID = "hostile-forecast"
#: a forecast of the article, unresolved after the import
FORECAST_ID = "us-implements-russian-demands"
HOSTILE_YAML = """\
source:
  title: "<b>Bold</b> claims <script>alert('title')</script>"
  author: "Mallory <img src=x onerror=alert('author')>"
  publisher: "<i>Evil</i> Times"
  url: "javascript:alert('url')"
  published: 2022-01-21
forecasts:
  - id: hostile-forecast
    question: "<script>alert('question')</script> Will the markup stay inert?"
    quote: "<img src=x onerror=alert('quote')> It is likely."
    estimate: likely
    probability: 0.7
    opens: 2022-01-21
    closes: 2030-12-31
    tags: [xss]
    resolution:
      criteria: "<script>alert('criteria')</script>"
      yes_when:
        any: ["<svg onload=alert('rule')>"]
"""
#: a feed whose server sent markup in its title and error text, and a javascript: site link
HOSTILE_FEED_TITLE = "<script>alert(1)</script> Evil feed <img src=x onerror=alert(1)>"
HOSTILE_FEED_ERROR = "<img src=x onerror=alert('error')> bad XML"
HOSTILE_FEED_URL = "http://127.0.0.1:9/hostile-feed.xml"
#: outcomes an analyst could have recorded for forecasts past their close date (for scorecard tests)
OUTCOMES = {
    "us-implements-russian-demands": Outcome.NO, "nato-moratorium": Outcome.NO,
    "russia-military-measures": Outcome.YES, "closer-military-cooperation-belarus": Outcome.YES,
    "congress-new-russia-sanctions": Outcome.YES, "bucharest-retraction-madrid": Outcome.NO,
}
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Seeded:
    engine: Engine
    forecast_ids: list[str]


def seed(engine: Engine, tmp_path: Path) -> Seeded:
    hostile = tmp_path / "hostile-source.yaml"
    hostile.write_text(HOSTILE_YAML, encoding="utf-8")
    files = registry.load_files([ARTICLE_FILE, hostile], EstimativeScale.builtin())
    with session_scope(engine) as session:
        report = registry.import_files(session, files, today=date(2022, 2, 1), actor="importer")
        # the account as `tracker users add` makes it (tested there), with the argon2 hash computed
        # once per test run: hashing is deliberately slow (~0.3 s here)
        session.add(User(name="ana", password_hash=_password_hash()))
        _add_hostile_feed(session)
    return Seeded(engine, sorted(report.created))


def _add_hostile_feed(session) -> None:  # noqa: ANN001
    """A failing feed as a hostile server leaves it: markup in its title and error, a javascript: site."""
    feed = ingest.add_feed(session, HOSTILE_FEED_URL, interval=timedelta(minutes=30), title=HOSTILE_FEED_TITLE)
    feed.site_url = "javascript:alert('site')"
    feed.consecutive_failures, feed.error_kind, feed.last_error = 2, "parse", HOSTILE_FEED_ERROR
    feed.error_since = feed.last_error_at = utcnow()
    session.add(feed)


def resolve_some(engine: Engine, outcomes: dict[str, Outcome] | None = None, actor: str = "ana") -> None:
    """Records outcomes (default :data:`OUTCOMES`) through the lifecycle, as an analyst would."""
    with session_scope(engine) as session:
        for forecast_id, outcome in (outcomes or OUTCOMES).items():
            lifecycle.resolve(session, registry.get_forecast(session, forecast_id), outcome, actor=actor,
                              note="test outcome")


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return auth.hash_password(PASSWORD)


@pytest.fixture
def seeded(engine: Engine, tmp_path: Path) -> Seeded:
    return seed(engine, tmp_path)


def settings_for(engine: Engine, tmp_path: Path, **overrides: object) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return Settings(database_url=url, data_dir=tmp_path / "data", **overrides)


@pytest.fixture
def web_settings(seeded: Seeded, tmp_path: Path) -> Settings:
    return settings_for(seeded.engine, tmp_path)


@pytest.fixture
def web_app(web_settings: Settings) -> FastAPI:
    return create_app(web_settings)


@pytest.fixture
def client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app) as test_client:  # runs the lifespan: `alembic upgrade head`
        yield test_client


def sign_in(client: TestClient, name: str = "ana", password: str = PASSWORD, next_path: str = "/"):
    """Sign in through the form, as a browser does; returns the POST's response (not followed)."""
    page = client.get("/login")
    token = CSRF_INPUT.search(page.text).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                       "next": next_path}, follow_redirects=False)


def csrf_token_of(client: TestClient, path: str) -> str:
    """The CSRF token in the forms of the page at ``path`` (needs a signed-in client)."""
    match = CSRF_INPUT.search(client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def make_token(engine: Engine, name: str = "script", user: str = "ana") -> str:
    with session_scope(engine) as session:
        _token, secret = auth.create_token(session, name, user, actor="admin")
    return secret
