"""Two real pollers racing on one PostgreSQL database: every feed polled once, every story stored
once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import func, select

from tests.feedserver import FeedServer, Static, news_items, rss
from tracker import db
from tracker.db import session_scope
from tracker.ingest import AddressGuard, Fetcher, Poller, add_feed
from tracker.models import Article

pytestmark = pytest.mark.postgres


def test_two_concurrent_pollers_on_postgres(postgres_url):
    setup = db.make_engine(postgres_url)
    db.upgrade(setup)
    with FeedServer() as server:
        with session_scope(setup) as session:
            for i in range(12):
                # feed i carries stories i and i+1: every story is in two feeds
                items = news_items(f"s{i}", 20) + news_items(f"s{(i + 1) % 12}", 20)
                add_feed(
                    session,
                    server.add(f"/f{i}.xml", Static(rss(items))),
                    interval=timedelta(hours=1),
                )
        barrier = threading.Barrier(2)
        results = []

        def run_poller():
            engine = db.make_engine(postgres_url)
            with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
                poller = Poller(engine, fetcher)
                with session_scope(engine) as session:
                    from tracker.ingest import due_feed_ids

                    ids = due_feed_ids(session)
                barrier.wait()
                results.extend(poller.poll_due(feed_ids=ids, concurrency=4))
            engine.dispose()

        threads = [threading.Thread(target=run_poller) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        hits = dict(server.hits)
    polled = [r for r in results if r.outcome.value != "skipped"]
    assert len(results) == 24 and len(polled) == 12  # each feed claimed by one poller only
    assert all(count == 1 for count in hits.values()) and len(hits) == 12
    new_ids = [i for r in results for i in r.new_article_ids]
    with session_scope(setup) as session:
        stored = session.exec(select(func.count()).select_from(Article)).one()
        distinct_urls = session.exec(select(func.count(func.distinct(Article.url)))).one()
    assert stored == distinct_urls == 12 * 20  # each story once, across feeds
    assert sorted(new_ids) == sorted(set(new_ids)) and len(new_ids) == stored
    setup.dispose()
