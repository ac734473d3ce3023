"""Fixtures for the web app's tests: a seeded database, the app, a client, signing in.

Test modules import what they use (``from tests.web_fixtures import ...``).  The database
holds the Trenin article's forecasts plus one hostile forecast file (markup in every text
field, a ``javascript:`` source link), one hostile failing feed (markup in its title and
error, a ``javascript:`` site link) and one analyst, ``ana``.  Nothing is resolved:
:func:`resolve_some` records outcomes for the scorecard's tests, and :func:`add_proposals` stores
articles (hostile ones included) and runs the real resolution stage so that proposals wait for
review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import ARTICLE_FILE
from tracker import ingest, resolution
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.domain import auth, lifecycle, registry
from tracker.domain.scale import EstimativeScale
from tracker.models import Article, Feed, Outcome, Proposal, User
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
    "us-implements-russian-demands": Outcome.NO,
    "nato-moratorium": Outcome.NO,
    "russia-military-measures": Outcome.YES,
    "closer-military-cooperation-belarus": Outcome.YES,
    "congress-new-russia-sanctions": Outcome.YES,
    "bucharest-retraction-madrid": Outcome.NO,
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


def _add_hostile_feed(session) -> None:
    """A failing feed as a hostile server leaves it: markup in its title and error, a javascript:
    site."""
    feed = ingest.add_feed(
        session, HOSTILE_FEED_URL, interval=timedelta(minutes=30), title=HOSTILE_FEED_TITLE
    )
    feed.site_url = "javascript:alert('site')"
    feed.consecutive_failures, feed.error_kind, feed.last_error = 2, "parse", HOSTILE_FEED_ERROR
    feed.error_since = feed.last_error_at = utcnow()
    session.add(feed)


def resolve_some(
    engine: Engine, outcomes: dict[str, Outcome] | None = None, actor: str = "ana"
) -> None:
    """Records outcomes (default :data:`OUTCOMES`) through the lifecycle, as an analyst would."""
    with session_scope(engine) as session:
        for forecast_id, outcome in (outcomes or OUTCOMES).items():
            lifecycle.resolve(
                session,
                registry.get_forecast(session, forecast_id),
                outcome,
                actor=actor,
                note="test outcome",
            )


#: articles as feeds bring them: (feed site, url, title, summary, published day)
ARTICLES = [
    # us-implements-russian-demands: two publishers report a "no" -> an evidence proposal (no)
    (
        "https://www.wire-a.example/",
        "https://www.wire-a.example/1",
        "Washington answers Moscow",
        "The United States rejects Russian demands on NATO, officials told Russia on Wednesday.",
        "2022-01-26",
    ),
    (
        "https://www.wire-b.example/",
        "https://www.wire-b.example/2",
        "Written reply delivered",
        (
            "Blinken said Washington rejected the Russian demands; Russia called the answer "
            "disappointing."
        ),
        "2022-01-27",
    ),
    # nato-moratorium: one side each -> disputed; and a negated sentence, shown apart
    (
        "https://www.wire-a.example/",
        "https://www.wire-a.example/3",
        "Alliance debate",
        "NATO ministers agreed a moratorium on new members, a diplomat claimed.",
        "2022-03-01",
    ),
    (
        "https://www.wire-c.example/",
        "https://www.wire-c.example/4",
        "Finland",
        "Finland formally joins NATO in a ceremony in Brussels.",
        "2022-03-02",
    ),
    (
        "https://www.wire-b.example/",
        "https://www.wire-b.example/5",
        "Denial",
        "NATO will not announce a moratorium on new members, the secretary general said.",
        "2022-03-03",
    ),
]
#: the hostile forecast's rule phrase, in articles whose title, text and link are hostile too
HOSTILE_ARTICLE_TITLE = (
    "<script>alert('article')</script> Breaking <img src=x onerror=alert('title')>"
)
HOSTILE_SENTENCE = (
    "Witnesses saw <svg onload=alert('rule')> next to <img src=x onerror=alert('sentence')> today."
)
HOSTILE_ARTICLES = [
    (
        "https://www.evil-a.example/",
        "javascript:alert('link')",
        HOSTILE_ARTICLE_TITLE,
        HOSTILE_SENTENCE,
        "2022-02-10",
    ),
    (
        "https://www.evil-b.example/",
        "https://www.evil-b.example/x",
        HOSTILE_ARTICLE_TITLE,
        HOSTILE_SENTENCE,
        "2022-02-11",
    ),
]
# : the deadline check's day: bucharest-retraction-madrid and western-advisers-leave-ukraine are
# past closes
DEADLINE_DAY = date(2022, 7, 1)


def add_proposals(engine: Engine, articles=None) -> dict[str, Proposal]:
    """Stores the articles (default: :data:`ARTICLES` and :data:`HOSTILE_ARTICLES`) of feeds, runs
    ``match_articles`` and ``check_deadlines`` as the workers do; returns the pending proposals by
    forecast."""
    from datetime import datetime

    with session_scope(engine) as session:
        feeds: dict[str, int] = {}
        ids = []
        for n, (site, url, title, summary, day) in enumerate(
            articles or ARTICLES + HOSTILE_ARTICLES
        ):
            if site not in feeds:
                feed = Feed(url=site + "rss.xml", site_url=site, interval_s=3600)
                session.add(feed)
                session.flush()
                feeds[site] = feed.id
            article = Article(
                feed_id=feeds[site],
                identity=f"{n:064d}",
                url=url,
                title=title,
                summary=summary,
                published_at=datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC),
                content_hash=f"{n:064d}",
            )
            session.add(article)
            session.flush()
            ids.append(article.id)
        resolution.match_articles(session, ids, resolution.RuleSet())
        resolution.check_deadlines(session, DEADLINE_DAY)
    with session_scope(engine) as session:
        return {
            item.proposal.question_id: item.proposal for item in resolution.review_queue(session)
        }


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
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )


def csrf_token_of(client: TestClient, path: str) -> str:
    """The CSRF token in the forms of the page at ``path`` (needs a signed-in client)."""
    match = CSRF_INPUT.search(client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def make_token(engine: Engine, name: str = "script", user: str = "ana", *, days: float = 90) -> str:
    with session_scope(engine) as session:
        expires_at = utcnow() + timedelta(days=days)
        _token, secret = auth.create_token(
            session, name, user, expires_at=expires_at, actor="admin"
        )
    return secret
