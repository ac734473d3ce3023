"""The large benchmark profile's data (benchmarks/large_profile.py, issue 18): articles look like
the news an analyst searches (bodies of about 4,000 characters, topic words at their share of
articles, dates in id order), the bulk load leaves the indexes the migrations made, and a fresh
build loads at its revision and upgrades to head."""

from __future__ import annotations

import random
import statistics
from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import text

from benchmarks import bench_web, large_profile
from benchmarks.bench_web import LOAD_REVISION
from tracker import db


@pytest.fixture(scope="module")
def rows() -> list[tuple]:
    large_profile._CORPUS = large_profile.make_corpus(seed=3, words=400_000)
    _, feeds = large_profile.feed_rows(30, random.Random(3))
    return large_profile._chunk((1, 3_000, 3_000, 3, feeds, True))


def test_bodies_are_news_length_with_a_spread(rows: list[tuple]) -> None:
    lengths = [len(r[9]) for r in rows]
    assert 3_500 < statistics.median(lengths) < 4_600
    assert min(lengths) >= 500
    assert np.percentile(lengths, 90) > 2 * np.percentile(lengths, 10)


def test_topic_words_appear_at_their_share_of_articles(rows: list[tuple]) -> None:
    def share(word: str) -> float:
        return sum(word in f"{r[7]} {r[9]}".lower() for r in rows) / len(rows)

    assert 0.07 < share("nato") < 0.14
    assert 0.0 < share("moratorium") < 0.01
    assert share("inf treaty") > 0


def test_titles_end_on_whole_words_and_dates_follow_ids(rows: list[tuple]) -> None:
    words = {w.lower().strip(".") for w in large_profile._CORPUS.split()}
    plain = [r[7] for r in rows if ":" not in r[7]]  # not those ending on a topic's sentence
    assert len(plain) > len(rows) / 2
    assert all(title.split()[-1].lower() in words for title in plain)
    dates: list[datetime] = [r[14] for r in rows]
    assert dates[0] < dates[len(dates) // 2] < dates[-1]


def test_bulk_load_leaves_the_migrations_indexes(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine, LOAD_REVISION)
    with engine.connect() as conn:
        before = sorted(large_profile.secondary_indexes(conn, "article"))
    assert before, "the article table has secondary indexes to drop and make again"
    with large_profile.without_indexes(engine, "article"), engine.connect() as conn:
        assert large_profile.secondary_indexes(conn, "article") == []
    with engine.connect() as conn:
        assert sorted(large_profile.secondary_indexes(conn, "article")) == before
    engine.dispose()


def test_the_profile_loads_at_its_revision_and_upgrades_to_head(sqlite_url: str) -> None:
    """The build writes at :data:`LOAD_REVISION`, whose tables lack what later migrations add
    (``baseline.points_version``): a fresh build must still load, then upgrade."""
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine, LOAD_REVISION)
    counts = bench_web.build(engine, 300, 20, 3_000)
    db.upgrade(engine)
    with engine.connect() as conn:
        forecasts = conn.execute(text("SELECT count(*) FROM forecast")).scalar_one()
        versions = conn.execute(text("SELECT min(points_version) FROM baseline")).scalar_one()
    engine.dispose()
    assert forecasts == counts["forecasts"] == 300
    assert versions == 0
