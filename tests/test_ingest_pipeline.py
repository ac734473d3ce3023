"""`poll_due` as `tracker poll` runs it: parse worker processes, grouped stores, batch claims,
leases given back when interrupted; and the newest-first article list over the per-feed index."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.feedserver import FeedServer, Static, news_items, rss
from tracker import db
from tracker.db import session_scope
from tracker.errors import BlockedAddressError, FeedParseError, FetchError, StorageError
from tracker.ingest import (
    AddressGuard,
    Fetcher,
    FetchLimits,
    Poller,
    add_feed,
    disable_feed,
    list_articles,
    remove_feed,
)
from tracker.ingest._parsepool import ParsePool, prepare
from tracker.ingest.feeds import MIN_FEEDS_FOR_PROCESSES
from tracker.models import Article, Feed

FEEDS = MIN_FEEDS_FOR_PROCESSES + 2  # enough for poll_due to start parse processes


@pytest.fixture
def server():
    with FeedServer() as srv:
        for i in range(FEEDS - 2):
            srv.add(
                f"/f{i}.xml",
                Static(
                    rss(news_items(f"f{i}", 25, site=f"https://site{i}.example"), title=f"Feed {i}")
                ),
            )
        srv.add(
            "/html.xml",
            Static(
                b"<!doctype html><html><body>not a feed</body></html>", content_type="text/html"
            ),
        )
        srv.add("/missing.xml", Static(b"gone", status=404))
        yield srv


def _feeds(engine, server) -> list[int]:
    paths = [f"/f{i}.xml" for i in range(FEEDS - 2)] + ["/html.xml", "/missing.xml"]
    with session_scope(engine) as session:
        return [
            add_feed(session, server.url(path), interval=timedelta(minutes=30)).id for path in paths
        ]


def _stored(engine) -> list[tuple]:
    with session_scope(engine) as session:
        return sorted(
            (a.feed_id, a.url, a.title, a.summary, a.published_at)
            for a in session.exec(select(Article))
        )


def _feed_states(engine) -> dict[str, tuple]:
    with session_scope(engine) as session:
        return {
            f.url.rsplit("/", 1)[1]: (f.consecutive_failures, f.error_kind, f.title, f.lease_until)
            for f in session.exec(select(Feed))
        }


@pytest.mark.parametrize("processes", [0, 2])
def test_poll_due_stores_the_same_with_and_without_parse_processes(server, engine, processes):
    feed_ids = _feeds(engine, server)
    with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
        poller = Poller(engine, fetcher, parse_processes=processes)
        results = poller.poll_due(concurrency=3)
        assert [r.feed_id for r in results] == feed_ids  # in the order asked for
        outcomes = {
            r.feed_id: (r.outcome.value, len(r.new_article_ids), r.error_kind) for r in results
        }
        assert (
            "an HTML page, not a feed" in results[-2].message
        )  # the parser's own reason, not a crash
        again = poller.poll_due(feed_ids=feed_ids, force=True, concurrency=3)
    assert list(outcomes.values()) == [("new", 25, None)] * (FEEDS - 2) + [
        ("failed", 0, "parse"),
        ("failed", 0, "http_status"),
    ]
    assert [r.outcome.value for r in again] == ["not_modified"] * (FEEDS - 2) + ["failed", "failed"]
    stored = _stored(engine)
    assert len(stored) == 25 * (FEEDS - 2) and len({row[1] for row in stored}) == len(stored)
    assert stored[0][1:3] == ("https://site0.example/f0/0", "f0 story 0: NATO and Russia talks")
    states = _feed_states(engine)
    # the parse error crossed back from the worker process with its fields, and was recorded
    assert states["html.xml"][:2] == (2, "parse") and states["missing.xml"][:2] == (
        2,
        "http_status",
    )
    assert states["f3.xml"] == (0, None, "Feed 3", None)  # stored, lease given back
    assert all(state[3] is None for state in states.values())


def test_poll_due_reports_feeds_it_may_not_poll_as_skipped_in_order(server, engine):
    feed_ids = _feeds(engine, server)
    with session_scope(engine) as session:
        disable_feed(session, feed_ids[1])
    asked = [feed_ids[0], feed_ids[1], 10_000, feed_ids[2]]  # disabled, and one that does not exist
    with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
        results = Poller(engine, fetcher).poll_due(feed_ids=asked, concurrency=1)
    assert [(r.feed_id, r.outcome.value) for r in results] == [
        (feed_ids[0], "new"),
        (feed_ids[1], "skipped"),
        (10_000, "skipped"),
        (feed_ids[2], "new"),
    ]


@pytest.mark.parametrize(("lease_s", "per_thread"), [(180, 3), (300, 4), (3600, 4)])
def test_a_run_claims_no_more_feeds_ahead_than_its_lease_covers(engine, lease_s, per_thread):
    """A run keeps up to four feeds per fetch thread claimed ahead, so the parse workers are
    never short of work, but the last one claimed must still be fetched within its lease: it
    waits for its thread's earlier fetches and takes as long itself, each at most the whole
    fetch's time limit and the wait for a per-host slot."""
    limits = FetchLimits()
    with Fetcher(limits, guard=AddressGuard(allow_private=True)) as fetcher:
        poller = Poller(engine, fetcher, lease=timedelta(seconds=lease_s))
        for concurrency in (1, 4):
            assert poller.claims_ahead(concurrency) == concurrency * per_thread
        longest = limits.total_timeout + limits.host_wait
        assert per_thread * longest <= poller.lease.total_seconds()


def test_an_interrupted_poll_gives_back_the_leases_it_holds(server, engine):
    feed_ids = _feeds(engine, server)
    seen = []

    def interrupt(result):
        seen.append(result.feed_id)
        raise KeyboardInterrupt  # Ctrl-C in `tracker poll` after the first stored feed

    with (
        Fetcher(guard=AddressGuard(allow_private=True)) as fetcher,
        pytest.raises(KeyboardInterrupt),
    ):
        Poller(engine, fetcher, parse_processes=0).poll_due(concurrency=2, progress=interrupt)
    assert len(seen) == 1
    assert all(state[3] is None for state in _feed_states(engine).values())  # no feed stays leased
    with session_scope(
        engine
    ) as session:  # polled: the reported feed, and any stored in the same group
        polled = {f.id for f in session.exec(select(Feed)) if f.last_polled_at is not None}
    assert set(seen) <= polled and polled != set(feed_ids)
    with Fetcher(
        guard=AddressGuard(allow_private=True)
    ) as fetcher:  # the rest is due and polled at once
        rest = Poller(engine, fetcher).poll_due(concurrency=2)
    assert {r.feed_id for r in rest} == set(feed_ids) - polled
    assert {r.outcome.value for r in rest} <= {"new", "failed"}


def test_a_database_error_while_storing_leaves_no_feed_leased(server, sqlite_url):
    """One feed's store fails in the database (a trigger stands in for a full disk): the poll
    raises, the other feeds' work is kept, and no lease is left to block the next poll."""
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    feed_ids = _feeds(engine, server)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON article WHEN NEW.title LIKE 'f2 story%' "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    with (
        Fetcher(guard=AddressGuard(allow_private=True)) as fetcher,
        pytest.raises(StorageError, match="disk full"),
    ):
        Poller(engine, fetcher, parse_processes=0).poll_due(concurrency=2)
    states = _feed_states(engine)
    assert all(state[3] is None for state in states.values())
    assert not any(row[0] == feed_ids[2] for row in _stored(engine))


def test_the_parse_pool_starts_again_after_a_worker_dies():
    body = rss(news_items("crash", 3))
    fetched_at = datetime(2026, 11, 25, tzinfo=UTC)
    with ParsePool(1) as pool:
        first = pool.prepare(1, body, "https://news.example/feed", fetched_at)
        for pid in list(pool._executor._processes):  # the OOM killer, or a crash in a C parser
            os.kill(pid, signal.SIGKILL)
        again = pool.prepare(1, body, "https://news.example/feed", fetched_at)
    assert first == again == prepare(1, body, "https://news.example/feed", fetched_at)
    assert [row["title"] for row in again.rows] == [
        f"crash story {i}: NATO and Russia talks" for i in range(3)
    ]


def test_feed_errors_keep_their_fields_through_pickle():
    for error in (
        FeedParseError("https://a.example/feed", "not a feed"),
        BlockedAddressError("https://b.example/feed", "resolves to 10.0.0.1"),
        FetchError(
            "http_status", "https://c.example/feed", "HTTP 429", status=429, retry_after=60.0
        ),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert (copy.kind, copy.url, copy.message, copy.status, copy.retry_after) == (
            error.kind,
            error.url,
            error.message,
            error.status,
            error.retry_after,
        )


def test_articles_list_newest_first_across_feeds_and_removed_feeds(engine):
    start = datetime(2022, 1, 21, tzinfo=UTC)
    with session_scope(engine) as session:
        feeds = [
            add_feed(session, f"https://feed{i}.example/rss", interval=timedelta(hours=1)).id
            for i in range(3)
        ]
        for n in range(30):  # interleaved dates, some equal across feeds (ties go by id)
            feed_id = feeds[n % 3]
            session.add(
                Article(
                    feed_id=feed_id,
                    identity=f"{n:064d}",
                    title=f"story {n}",
                    url=f"https://s.example/{n}",
                    published_at=start + timedelta(hours=(n * 7) % 11),
                    fetched_at=start,
                    content_hash="0" * 64,
                )
            )
    with session_scope(engine) as session:
        remove_feed(session, feeds[2])  # its articles stay, with no feed
    with session_scope(engine) as session:
        everything = session.exec(select(Article)).all()
        expected = sorted(everything, key=lambda a: (a.published_at, a.id), reverse=True)
        assert [a.id for a in list_articles(session, limit=7)] == [a.id for a in expected[:7]]
        assert [a.id for a in list_articles(session, limit=100)] == [a.id for a in expected]
        of_feed = [a.id for a in expected if a.feed_id == feeds[1]][:4]
        assert [a.id for a in list_articles(session, feed_id=feeds[1], limit=4)] == of_feed
        assert [a.title for a in list_articles(session, text="STORY 2", limit=5)] == [
            a.title for a in expected if "story 2" in a.title
        ][:5]


def test_tracker_poll_parses_in_worker_processes_from_the_console_script(server, tmp_path):
    """The real `tracker` script: its parse processes import the script again (forkserver/spawn),
    which must neither run a command nor fail, and the articles must all be stored."""
    script = Path(sys.executable).with_name("tracker")
    env = {
        **os.environ,
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "TRACKER_ALLOW_PRIVATE_FEEDS": "1",
        "TRACKER_PARSE_PROCESSES": "2",
    }
    engine = db.make_engine(env["TRACKER_DATABASE_URL"])
    db.upgrade(engine)
    _feeds(engine, server)
    done = subprocess.run(
        [str(script), "poll"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (
        f"{FEEDS} feed(s): {25 * (FEEDS - 2)} new article(s); 2 failed, {FEEDS - 2} new"
        in done.stdout
    )
    assert "parse: not a feed: the body is an HTML page" in done.stderr
    assert len(_stored(engine)) == 25 * (FEEDS - 2)
