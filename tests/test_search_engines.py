"""Both engines return the same hits in the same order, and the same cursors (issue 18).

One generated set of articles (ties on dates on purpose, diacritics, phrases, feeds and
publishers) and the source article's forecasts are stored in a fresh SQLite file and a fresh
PostgreSQL database; every query is read page by page on both and compared."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import ARTICLE_FILE
from tracker import db, search, service
from tracker.db import session_scope
from tracker.domain.registry import ForecastFilter
from tracker.domain.scale import EstimativeScale
from tracker.models import Article, Feed
from tracker.search import ArticleQuery

pytestmark = pytest.mark.postgres

WORDS = [
    *[
        "treaty",
        "moratorium",
        "missile",
        "defense",
        "summit",
        "alliance",
        "sanctions",
        "talks",
        "border",
        "drills",
    ],
    *[
        "Zürich",
        "café",
        "naïve",
        "résumé",
        "Ukraine",
        "Russia",
        "NATO",
        "Bucharest",
        "Madrid",
        "launcher",
    ],
    *[
        "verification",
        "security",
        "guarantees",
        "intermediate",
        "range",
        "deployment",
        "inspection",
    ],
]
PHRASES = ["security guarantees", "intermediate-range missiles", "Aegis Ashore", "New START"]
START = datetime(2022, 1, 1, tzinfo=UTC)


def _text(rng: random.Random, words: int) -> str:
    parts = [rng.choice(WORDS) for _ in range(words)]
    if rng.random() < 0.4:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(PHRASES))
    return " ".join(parts)


def _populate(url: str) -> object:
    engine = db.make_engine(url)
    db.upgrade(engine)
    rng = random.Random(18)
    with session_scope(engine) as session:
        feeds = [
            Feed(url=f"https://f{i}.example/rss", title=f"F{i}", interval_s=900) for i in (1, 2, 3)
        ]
        session.add_all(feeds)
        session.flush()
        articles = [
            Article(
                feed_id=feeds[i % 3].id,
                identity=f"id-{i}",
                title=_text(rng, 4),
                summary=_text(rng, 12),
                body=_text(rng, 80),
                author=rng.choice(["Ana Pérez", "Bo Li", None]),
                publisher=rng.choice(["reuters.com", "apnews.com"]),
                # few distinct dates: many ties, broken by the id on both engines
                published_at=START + timedelta(hours=rng.randrange(12)),
                content_hash="h",
            )
            for i in range(400)
        ]
        session.add_all(articles)
        session.flush()
        search.index_articles(session, [a.id for a in articles if a.id is not None])
        service.import_forecasts(
            session, [ARTICLE_FILE], EstimativeScale.builtin(), actor="t", today=date(2022, 2, 1)
        )
    return engine


QUERIES = [
    ArticleQuery("treaty"),
    ArticleQuery("treaty moratorium"),
    ArticleQuery('"security guarantees"'),
    ArticleQuery('"intermediate range missiles"'),
    ArticleQuery("moratori*"),
    ArticleQuery("sa*"),
    ArticleQuery("summit -russia"),
    ArticleQuery('alliance -"security guarantees"'),
    ArticleQuery("madrid OR bucharest"),
    ArticleQuery("zurich cafe"),  # diacritics folded: Zürich café
    ArticleQuery("NAÏVE Résumé"),
    ArticleQuery("nato", feed_id=2),
    ArticleQuery("ukraine", publisher="apnews.com"),
    ArticleQuery("drills", since=date(2022, 1, 1), until=date(2022, 1, 1)),
    ArticleQuery("pérez defense"),  # the author is indexed
    ArticleQuery(feed_id=1),  # no text: newest first
    ArticleQuery(),
]
FORECAST_QUERIES = ["moratorium", "nato OR alliance", '"new start"', "missil*", "ukraine -nato"]


def _article_pages(engine, query: ArticleQuery) -> list[tuple[list[tuple[int, int]], str | None]]:
    pages = []
    cursor = None
    with session_scope(engine, write=False) as session:
        while True:
            page = service.search_articles(session, query, cursor=cursor, per_page=9)
            pages.append(([(h.article_id, h.tier) for h in page.items], page.next_cursor))
            if page.next_cursor is None or len(pages) > 100:
                return pages
            cursor = page.next_cursor


def _forecast_pages(engine, text: str, where: ForecastFilter | None) -> list[object]:
    pages: list[object] = []
    cursor = None
    with session_scope(engine, write=False) as session:
        while True:
            page = service.search_forecast_text(session, text, where, cursor=cursor, per_page=4)
            pages.append(([(h.forecast_id, h.tier) for h in page.items], page.next_cursor))
            if page.next_cursor is None:
                return pages
            cursor = page.next_cursor


def test_sqlite_and_postgres_return_the_same_hits_in_the_same_order(sqlite_url, postgres_url):
    lite, pg = _populate(sqlite_url), _populate(postgres_url)
    try:
        for query in QUERIES:
            on_sqlite = _article_pages(lite, query)
            assert on_sqlite[0][0], f"{query} finds nothing: the comparison would prove nothing"
            assert on_sqlite == _article_pages(pg, query), query
        tiers = {t for q in QUERIES[:3] for page, _ in _article_pages(lite, q) for _, t in page}
        assert tiers == {0, 1, 2}  # every tier is compared
        today = date(2022, 2, 1)
        for text in FORECAST_QUERIES:
            for where in (None, ForecastFilter(tag="nato", today=today)):
                on_sqlite = _forecast_pages(lite, text, where)
                assert on_sqlite == _forecast_pages(pg, text, where), (text, where)
        # the forecasts list's text filter agrees too
        for text in FORECAST_QUERIES:
            with session_scope(lite) as a, session_scope(pg) as b:
                where = ForecastFilter(text=text, today=today)
                ids_a = [r.id for r in service.search_forecasts(a, where, per_page=100).items]
                ids_b = [r.id for r in service.search_forecasts(b, where, per_page=100).items]
            assert ids_a == ids_b and ids_a, text
    finally:
        lite.dispose()
        pg.dispose()
