"""Polling end to end (real loopback server, SQLite and PostgreSQL) and the feed commands."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.feedserver import FeedServer, Static, news_items, rss
from tracker import db
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.ingest import AddressGuard, Fetcher, Poller, add_feed, new_articles
from tracker.ingest._parse import parse_feed
from tracker.ingest._rows import article_rows, story_key
from tracker.ingest._store import insert_new_articles
from tracker.models import Article, Feed


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def poller(engine):
    with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
        yield Poller(engine, fetcher)


def _add(engine, url, interval=timedelta(minutes=15)):
    with session_scope(engine) as session:
        return add_feed(session, url, interval=interval).id


def _articles(engine, feed_id=None):
    with session_scope(engine) as session:
        query = select(Article).order_by(Article.id)
        if feed_id is not None:
            query = query.where(Article.feed_id == feed_id)
        return list(session.exec(query))


def test_poll_stores_each_article_once_and_conditional_get_skips_parsing(server, poller, engine):
    url = server.add("/a.xml", Static(rss(news_items("a", 30), link="https://a.example/")))
    feed_id = _add(engine, url)
    received = []

    def receiver(ids, *, engine):
        received.append(ids)

    new_articles.connect(receiver)
    try:
        first = poller.poll_feed(feed_id)
        assert first.outcome.value == "new" and len(first.new_article_ids) == 30
        assert poller.poll_feed(feed_id).outcome.value == "skipped"  # not due: idempotent
        again = poller.poll_feed(feed_id, force=True)
    finally:
        new_articles.disconnect(receiver)
    assert again.outcome.value == "not_modified" and again.new_article_ids == []
    assert server.request_headers["/a.xml"].get("If-None-Match")  # conditional GET
    assert received == [first.new_article_ids]  # the hand-off got exactly the new ids, once
    articles = _articles(engine, feed_id)
    assert len(articles) == 30 and all(a.matched_at is None for a in articles)
    assert articles[0].url == "https://news.example/a/0"  # utm_* removed
    assert "<" not in articles[0].summary and articles[0].published_at.year == 2022
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
    assert feed.title == "Test feed" and feed.site_url == "https://a.example/" and feed.etag
    assert feed.next_check_at > feed.last_success_at + timedelta(minutes=14)


def test_new_entries_are_added_and_old_ones_kept(server, poller, engine):
    feed_id = _add(engine, server.add("/b.xml", Static(rss(news_items("b", 5)))))
    poller.poll_feed(feed_id)
    server.add("/b.xml", Static(rss(news_items("b", 8)[3:])))  # 3 dropped from the feed, 3 new
    result = poller.poll_feed(feed_id, force=True)
    assert len(result.new_article_ids) == 3 and len(_articles(engine, feed_id)) == 8


def test_same_story_in_two_feeds_is_stored_once(server, poller, engine):
    story = news_items("shared", 3)
    one = _add(engine, server.add("/one.xml", Static(rss(story, title="One"))))
    two = _add(
        engine, server.add("/two.xml", Static(rss(story + news_items("own", 1), title="Two")))
    )
    poller.poll_feed(one)
    assert len(poller.poll_feed(two).new_article_ids) == 1
    assert len(_articles(engine, one)) == 3 and len(_articles(engine, two)) == 1
    assert len(_articles(engine)) == 4


def test_failing_feed_backs_off_and_recovers(server, poller, engine):
    server.add("/flaky.xml", Static(b"down", status=503))
    feed_id = _add(engine, server.url("/flaky.xml"))
    poller.poll_feed(feed_id)
    with session_scope(engine) as session:
        first_failure = session.get(Feed, feed_id).error_since
    poller.poll_feed(feed_id, force=True)
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
        assert (feed.consecutive_failures, feed.error_kind) == (2, "http_status")
        since = feed.error_since
        assert since == first_failure < feed.last_error_at  # "failing since" the first failure
        assert feed.next_check_at - feed.last_error_at >= timedelta(minutes=30)  # doubled
    server.add("/flaky.xml", Static(rss(news_items("flaky", 2))))
    assert poller.poll_feed(feed_id, force=True).outcome.value == "new"
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
    assert (
        since
        and feed.consecutive_failures == 0
        and feed.error_kind is None
        and feed.error_since is None
    )


def test_sqlite_fast_insert_stores_exactly_what_sqlalchemy_stores(sqlite_url):
    """SQLite rows go in through the driver (see ``_store._insert_sqlite``); the stored values must
    be byte for byte those of SQLAlchemy's own insert, or reads and dedup would drift."""
    from tracker.ingest._store import _insert_statement

    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    with session_scope(engine) as session:
        fast_feed = add_feed(session, "https://fast.example/feed", interval=timedelta(hours=1)).id
        orm_feed = add_feed(session, "https://orm.example/feed", interval=timedelta(hours=1)).id
    items = [*news_items("same", 3), {"title": "undated", "guid": "u1"}]
    entries = parse_feed(rss(items), "https://x.example/feed").entries
    fetched = utcnow().replace(microsecond=0)  # the format must hold for a zero microsecond too
    fast_rows = article_rows(fast_feed, entries, fetched)
    orm_rows = []
    for row in article_rows(orm_feed, entries, fetched):
        url = row["url"] and row["url"].replace("news.example", "orm.example")
        orm_rows.append(
            {**row, "feed_id": orm_feed, "url": url, "story": story_key(url, row["title"])}
        )
    with session_scope(engine) as session:
        fast_ids = sorted(insert_new_articles(session, fast_rows))
        orm_ids = (
            session.connection().execute(_insert_statement("sqlite"), orm_rows).scalars().all()
        )
        assert insert_new_articles(session, fast_rows) == {}  # conflicts return no id
    columns = (
        "identity, guid, title, summary, body, body_source, text_truncated, author, categories, "
        "published_at, published_estimated, fetched_at, content_hash, matched_at"
    )
    with engine.connect() as connection:

        def stored(ids):
            return connection.exec_driver_sql(
                f"SELECT {columns}, typeof(published_at) FROM article "
                f"WHERE id IN ({','.join(map(str, ids))}) ORDER BY identity"
            ).all()

        assert len(fast_ids) == 4 and stored(fast_ids) == stored(orm_ids)
    with session_scope(engine) as session:
        article = session.get(Article, fast_ids[0])
        assert article.fetched_at == fetched and article.published_at.tzinfo is not None
    engine.dispose()


def test_two_sessions_inserting_the_same_entries_store_them_once(engine):
    """The database, not Python, decides: two transactions insert the same rows at once."""
    with session_scope(engine) as session:
        feed_id = add_feed(session, "https://race.example/feed", interval=timedelta(hours=1)).id
    entries = parse_feed(rss(news_items("race", 50)), "https://race.example/feed").entries
    from tracker.clock import utcnow

    rows = article_rows(feed_id, entries, utcnow())
    barrier = threading.Barrier(2)
    got: list[list[int]] = []

    def insert():
        with session_scope(engine) as session:
            barrier.wait()
            got.append(sorted(insert_new_articles(session, rows)))

    threads = [threading.Thread(target=insert) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(ids) for ids in got) == [0, 50] and len(_articles(engine)) == 50


# --- the CLI ---


def test_feed_commands(cli, server, tmp_path):
    cli("init")
    url = server.add(
        "/cli.xml",
        Static(
            rss(
                [
                    *news_items("cli", 4),
                    {
                        "title": "Moratorium on INF missiles",
                        "guid": "inf",
                        "link": "https://news.example/inf",
                    },
                ]
            )
        ),
    )
    cli.env.update(TRACKER_ALLOW_PRIVATE_FEEDS="1", COLUMNS="300")  # a wide terminal: nothing cut
    assert "Added feed 1" in cli("feeds", "add", url, "--interval", "15m").output
    duplicate = cli("feeds", "add", url, ok=False)
    assert duplicate.exit_code == 1 and "already added as feed 1" in duplicate.output
    bad = cli("feeds", "add", "file:///etc/passwd", ok=False)
    assert (
        bad.exit_code == 1 and "only http and https" in bad.output and "Traceback" not in bad.output
    )
    assert "interval" in cli("feeds", "add", url + "?x", "--interval", "5s", ok=False).output
    broken = server.add("/broken.xml", Static(b"", status=500))
    cli("feeds", "add", broken)
    out = cli("poll").output
    assert "5 new article(s)" in out
    listed = json.loads(cli("feeds", "list", "--format", "json").output)
    assert [f["id"] for f in listed] == [2, 1]  # failing first
    assert listed[0]["error_kind"] == "http_status" and listed[0]["state"] == "failing"
    assert "FAILING" in cli("feeds", "list").output  # the table says more than the one word
    assert listed[1]["articles"] == 5
    found = json.loads(cli("articles", "search", "moratorium", "--format", "json").output)
    # a page of hits: the items and the cursor of the next page (none: one hit)
    assert [a["title"] for a in found["items"]] == ["Moratorium on INF missiles"]
    assert found["next_cursor"] is None
    assert len(json.loads(cli("articles", "list", "--format", "json").output)) == 5
    status = cli("status").output
    assert "1 failing" in status and "http_status" in status and "5 stored" in status
    cli("feeds", "disable", "2", "--reason", "publisher is down")
    assert "No feed is due" in cli("poll").output
    assert "disabled: publisher is down" in cli("feeds", "list").output
    cli("feeds", "enable", "2")
    opml = cli("feeds", "export-opml").output
    assert url in opml and broken in opml
    cli("feeds", "remove", "1")
    assert len(json.loads(cli("articles", "list", "--format", "json").output)) == 5  # articles kept
    path = tmp_path / "feeds.opml"
    path.write_text(opml)
    assert "Imported 1 new feed(s)" in cli("feeds", "import-opml", path).output


def test_opml_import_is_all_or_nothing(cli, tmp_path):
    cli("init")
    path = tmp_path / "mixed.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="x" xmlUrl="https://ok.example/feed"/>'
        '<outline text="folder"><outline text="y" xmlUrl="ftp://bad.example/feed"/></outline>'
        "</body></opml>"
    )
    result = cli("feeds", "import-opml", path, ok=False)
    assert (
        result.exit_code == 1
        and "mixed.opml" in result.output
        and "nothing was imported" in result.output
    )
    assert json.loads(cli("feeds", "list", "--format", "json").output) == []
    evil = tmp_path / "evil.opml"
    evil.write_text(
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<opml><body><outline xmlUrl="https://x.example/&e;"/></body></opml>'
    )
    assert "entities and DTDs are not allowed" in cli("feeds", "import-opml", evil, ok=False).output


def test_grouped_sqlite_writes_commit_together_and_a_failing_one_fails_alone(sqlite_url):
    """Writes waiting for the SQLite writer run as one transaction (group commit); when one of
    them fails, each runs again alone: the failing one raises in its own thread, the others
    commit."""
    import time

    from tracker.errors import StorageError
    from tracker.ingest._writes import WriteQueue

    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    with session_scope(engine) as session:
        add_feed(session, "https://taken.example/feed", interval=timedelta(hours=1))
    queue = WriteQueue(engine)
    outcomes: dict[str, object] = {}

    def write(url: str) -> None:
        def work(session):
            session.add(Feed(url=url, interval_s=60, next_check_at=utcnow()))
            session.flush()
            return url

        try:
            outcomes[url] = queue.run(work)
        except StorageError as exc:
            outcomes[url] = exc

    urls = ["https://a.example/feed", "https://taken.example/feed", "https://b.example/feed"]
    with queue._lock:  # the writer is busy: all three queue up and then run as one group
        threads = [threading.Thread(target=write, args=(url,)) for url in urls]
        for thread in threads:
            thread.start()
        while len(queue._pending) < 3:
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    assert outcomes["https://a.example/feed"] == "https://a.example/feed"
    assert outcomes["https://b.example/feed"] == "https://b.example/feed"
    assert isinstance(outcomes["https://taken.example/feed"], StorageError)
    with session_scope(engine) as session:
        assert sorted(session.exec(select(Feed.url))) == sorted(urls)
    engine.dispose()
