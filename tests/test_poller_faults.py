"""One hostile feed never stops polling (issue 17): header values and redirect targets that the
HTTP stack or the scheduler could not take, slow headers against the request's one deadline,
and what `tracker poll` and the Celery task make of them.  Real loopback server; nothing else is
contacted (forbidden addresses are checked in test_ingest_guard.py without any traffic)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.feedserver import FeedServer, Static, news_items, rss
from tracker import db, service
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.ingest import (
    AddressGuard,
    Fetcher,
    FetchLimits,
    LocalHostLimiter,
    Poller,
    _schedule,
    add_feed,
)
from tracker.ingest._schedule import JITTER, MAX_DELAY
from tracker.models import Article, Feed
from tracker.settings import Settings

#: the latest a failing feed may be due again: the longest backoff, jitter included
LATEST = MAX_DELAY * (1 + JITTER) + timedelta(minutes=1)


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


def _raw(status: int, headers: list[tuple[str, str]], body: bytes = b""):
    """A handler answering with exactly these headers (a value may hold any latin-1 text)."""

    def handler(h):
        h.send_response(status)
        for name, value in headers:
            h.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handler


def _redirect(location: str):
    return _raw(302, [("Location", location)])


GOOD_BODY = rss(news_items("good", 3))
#: NUL in every field (JSON can carry it; PostgreSQL's text cannot)
NUL_JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "T\u0000itle",
        "home_page_url": "https://x.example/\u0000",
        "items": [
            {
                "id": "a\u0000b",
                "title": "x\u0000y",
                "url": "https://x.example/a\u0000",
                "content_text": "b\u0000ody \ud800 lone surrogate",
                "summary": "s\u0000",
                "authors": [{"name": "A\u0000"}],
                "tags": ["t\u0000"],
                "date_published": "2022-01-01T00:00:00Z",
            }
        ],
    }
).encode()
#: name -> (route, error kinds accepted, None: the feed is read and stored)
HOSTILE: dict[str, tuple[Callable, set[str] | None]] = {
    "redirect-backslashes": (_redirect("http:\\\\127.0.0.1\\x.xml"), {"redirect", "http_status"}),
    "redirect-bad-idna-label": (_redirect("http://xn--/feed.xml"), {"redirect"}),
    "redirect-unbalanced-bracket": (_redirect("http://[::1/feed.xml"), {"redirect", "connection"}),
    # a label over 63 characters: the IDNA encoding fails before any name is looked up
    "redirect-host-label-too-long": (
        _redirect("http://" + "a" * 64 + ".example/feed.xml"),
        {"dns", "redirect"},
    ),
    "redirect-port-out-of-range": (_redirect("http://127.0.0.1:99999/x"), {"redirect", "ssrf"}),
    "retry-after-30-digits": (_raw(503, [("Retry-After", "9" * 30)]), {"http_status"}),
    "retry-after-superscript-digit": (_raw(429, [("Retry-After", "\u00b2")]), {"http_status"}),
    "content-length-superscript-digit": (
        _raw(200, [("Content-Length", "\u00b2"), ("Connection", "close")], GOOD_BODY),
        {"connection", "parse", "too_large"},
    ),
    "max-age-14-digits": (
        _raw(200, [("Cache-Control", "max-age=99999999999999")], GOOD_BODY),
        None,
    ),
    "expires-year-9999": (
        _raw(200, [("Expires", "Fri, 31 Dec 9999 23:59:59 GMT")], GOOD_BODY),
        None,
    ),
    "etag-too-long-for-its-column": (_raw(200, [("ETag", '"' + "e" * 600 + '"')], GOOD_BODY), None),
    "json-feed-with-nul-characters": (
        _raw(200, [("Content-Type", "application/feed+json")], NUL_JSON_FEED),
        None,
    ),
    "charset-undefined": (
        _raw(
            200,
            [("Content-Type", "application/rss+xml; charset=undefined")],
            rss(news_items("latin", 2), title="Caf\u00e9").replace(b"\xc3\xa9", b"\xe9"),
        ),
        None,
    ),
    "json-nested-100000-deep": (
        _raw(200, [("Content-Type", "application/feed+json")], b'{"items": ' + b"[" * 100_000),
        {"parse"},
    ),
    "site-link-too-long-for-its-column": (
        _raw(200, [], rss(news_items("long", 2), link="https://x.example/" + "a" * 2100)),
        None,
    ),
}


def _add(engine, url: str) -> int:
    with session_scope(engine) as session:
        feed_id = add_feed(session, url, interval=timedelta(minutes=15)).id
        assert feed_id is not None
        return feed_id


def _feed(engine, feed_id: int) -> Feed:
    with session_scope(engine) as session:
        feed = session.get(Feed, feed_id)
        assert feed is not None
        session.expunge(feed)
        return feed


def _stored(engine, feed_id: int) -> int:
    with session_scope(engine) as session:
        return len(list(session.exec(select(Article.id).where(Article.feed_id == feed_id))))


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_header_or_redirect_is_the_feeds_error_and_the_others_are_polled(
    name, server, engine
):
    route, kinds = HOSTILE[name]
    hostile = _add(engine, server.add(f"/{name}.xml", route))
    good = _add(engine, server.add("/good.xml", Static(rss(news_items("g", 4)))))
    with Fetcher(FetchLimits(total_timeout=10), AddressGuard(allow_private=True)) as fetcher:
        poller = Poller(engine, fetcher)
        results = {r.feed_id: r for r in poller.poll_due(feed_ids=[hostile, good])}
        assert results[good].outcome.value == "new" and _stored(engine, good) == 4
        feed = _feed(engine, hostile)
        assert feed.last_polled_at is not None and feed.lease_until is None
        assert feed.next_check_at <= utcnow() + LATEST
        if kinds is None:
            assert results[hostile].outcome.value == "new", results[hostile].message
            assert feed.consecutive_failures == 0 and _stored(engine, hostile) > 0
        else:
            assert results[hostile].error_kind in kinds, results[hostile].message
            assert feed.error_kind in kinds and feed.consecutive_failures == 1
            assert feed.last_error and "\n" not in feed.last_error
        # the next poll of the same feed (due or not) goes the same way: nothing was left behind
        again = poller.poll_due(feed_ids=[hostile], force=True)
        assert again[0].outcome.value in ("new", "not_modified", "failed")


def test_an_etag_that_cannot_be_sent_back_is_not_kept(server, engine):
    """A non-ASCII ETag (sent back as If-None-Match, httpx cannot encode it) used to fail every
    later poll of the feed with a UnicodeEncodeError out of the poller."""
    url = server.add("/etag.xml", _raw(200, [("ETag", '"caf\u00e9"')], GOOD_BODY))
    feed_id = _add(engine, url)
    with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
        poller = Poller(engine, fetcher)
        assert poller.poll_due(feed_ids=[feed_id])[0].outcome.value == "new"
        assert _feed(engine, feed_id).etag is None
        assert poller.poll_due(feed_ids=[feed_id], force=True)[0].outcome.value == "new"


def test_retry_after_and_max_age_are_clamped_to_the_longest_backoff(server, engine):
    busy = _add(engine, server.add("/busy.xml", _raw(503, [("Retry-After", "1" * 30)])))
    fresh = _add(
        engine,
        server.add(
            "/fresh.xml", _raw(200, [("Cache-Control", "max-age=99999999999999")], GOOD_BODY)
        ),
    )
    with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
        results = {r.feed_id: r for r in Poller(engine, fetcher).poll_due(feed_ids=[busy, fresh])}
    now = utcnow()
    assert "wait 86400 s" in results[busy].message
    for feed_id in (busy, fresh):
        next_check = _feed(engine, feed_id).next_check_at
        assert now + MAX_DELAY - timedelta(minutes=5) <= next_check <= now + LATEST


# --- tracker poll, feeds list, and the Celery task -------------------------------------------


def test_tracker_poll_prints_one_line_per_failed_feed_and_polls_the_rest(cli, server):
    cli("init")
    cli.env.update(TRACKER_ALLOW_PRIVATE_FEEDS="1", COLUMNS="200")
    good = server.add("/good.xml", Static(rss(news_items("cli", 5))))
    bad_redirect = server.add("/bad-redirect.xml", _redirect("http://xn--/feed.xml"))
    bad_retry = server.add("/bad-retry.xml", _raw(503, [("Retry-After", "9" * 30)]))
    for url in (bad_redirect, good, bad_retry):
        cli("feeds", "add", url)
    for _ in range(2):  # the second poll finds the same feeds failing: still no traceback
        result = cli("poll", "--all")
        assert "Traceback" not in result.output
        failed = [line for line in result.output.splitlines() if line.startswith("  feed ")]
        assert [line.split()[1] for line in failed] == ["1", "3"], result.output
        assert "redirect" in failed[0] and "http_status" in failed[1]
    listed = {f["id"]: f for f in json.loads(cli("feeds", "list", "--format", "json").output)}
    assert listed[1]["state"] == "failing" and listed[1]["error_kind"] == "redirect"
    assert listed[3]["state"] == "failing" and listed[3]["error_kind"] == "http_status"
    assert listed[2]["state"] == "ok" and listed[2]["articles"] == 5


def test_the_celery_poll_task_succeeds_and_records_the_feeds_error(tmp_path, server):
    from workers.app import make_celery

    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'w.db'}",
        allow_private_feeds=True,
    )
    engine = db.engine_for(settings)
    db.upgrade(engine)
    feed_id = _add(engine, server.add("/bad.xml", _raw(503, [("Retry-After", "9" * 30)])))
    app = make_celery(settings)
    try:
        outcome = app.tasks["tracker.poll_feed"].apply(args=(feed_id,))
        assert outcome.state == "SUCCESS", outcome.traceback
        assert outcome.result["outcome"] == "failed"
        assert _feed(engine, feed_id).error_kind == "http_status"
    finally:
        app.tracker_state.close()
        engine.dispose()


# --- one deadline per request ------------------------------------------------------------------


def _slow_headers(h):
    """Headers one byte a second (each read of the client gets something, so a per-read timeout
    never fires), then a valid feed."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nX-Slow: " + b"s" * 12
    try:
        for byte in head:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(1)
        h.wfile.write(b"\r\nContent-Length: %d\r\n\r\n" % len(GOOD_BODY) + GOOD_BODY)
    except (BrokenPipeError, ConnectionResetError):
        pass
    h.close_connection = True


def test_slow_headers_hit_the_requests_one_deadline_and_the_feed_records_a_timeout(
    tmp_path, server
):
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 't.db'}",
        allow_private_feeds=True,
        fetch_timeout_s=2,
        parse_processes=0,
    )
    engine = db.engine_for(settings)
    db.upgrade(engine)
    slow = _add(engine, server.add("/slow.xml", _slow_headers))
    good = _add(engine, server.add("/good.xml", Static(rss(news_items("t", 2)))))
    started = time.monotonic()
    run = service.poll_feeds(settings, engine, [slow, good], force=True)
    elapsed = time.monotonic() - started
    results = {r.feed_id: r for r in run.results}
    assert results[slow].error_kind == "timeout", results[slow]
    assert "time limit of 2 s" in results[slow].message
    assert elapsed < 30  # the server dribbles for 60 s: the deadline cut it short
    feed = _feed(engine, slow)
    assert feed.error_kind == "timeout" and feed.consecutive_failures == 1
    assert results[good].outcome.value == "new"
    engine.dispose()


def test_a_hung_name_lookup_is_cut_by_the_requests_deadline(tmp_path, server, monkeypatch):
    """The system resolver has no timeout of its own: a dead name server held a poll far past
    its time limit.  A resolver that hangs cannot exist on loopback, so the test's one stand-in
    is ``getaddrinfo`` for one made-up name, which sleeps and then answers 127.0.0.1 (so nothing
    could leave loopback even if the deadline failed)."""
    import socket

    real_getaddrinfo = socket.getaddrinfo

    def hanging_getaddrinfo(host, port, *args, **kwargs):
        if host == "hung-dns.test":
            time.sleep(20)
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging_getaddrinfo)
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'd.db'}",
        allow_private_feeds=True,
        fetch_timeout_s=2,
        parse_processes=0,
    )
    engine = db.engine_for(settings)
    db.upgrade(engine)
    url = server.add("/hung.xml", Static(rss(news_items("h", 1))))
    hung = _add(engine, url.replace("127.0.0.1", "hung-dns.test"))
    good = _add(engine, server.add("/fine.xml", Static(rss(news_items("f", 2)))))
    started = time.monotonic()
    run = service.poll_feeds(settings, engine, [hung, good], force=True)
    elapsed = time.monotonic() - started
    results = {r.feed_id: r for r in run.results}
    assert results[hung].error_kind == "timeout", results[hung]
    assert elapsed < 15  # the lookup hangs for 20 s: the deadline cut it short
    assert _feed(engine, hung).error_kind == "timeout"
    assert results[good].outcome.value == "new"
    engine.dispose()


class _HeldLimiter(LocalHostLimiter):
    """The local per-host limiter whose one slot another request holds for ``held`` seconds."""

    def __init__(self, held: float) -> None:
        super().__init__(1)
        self.held = held

    @contextmanager
    def hold(self, host: str):
        entered = threading.Event()

        def holder() -> None:
            with self.slot(host):
                entered.set()
                time.sleep(self.held)

        thread = threading.Thread(target=holder)
        thread.start()
        entered.wait(5)
        try:
            yield
        finally:
            thread.join(10)


def test_waiting_for_a_host_slot_does_not_count_against_the_deadline(server, engine):
    url = server.add("/healthy.xml", Static(GOOD_BODY))
    feed_id = _add(engine, url)
    limiter = _HeldLimiter(held=2.0)
    limits = FetchLimits(total_timeout=1.0)
    with (
        Fetcher(limits, AddressGuard(allow_private=True), limiter) as fetcher,
        limiter.hold("127.0.0.1"),
    ):
        result = Poller(engine, fetcher).poll_due(feed_ids=[feed_id])[0]
    assert result.outcome.value == "new", result.message
    assert _stored(engine, feed_id) == 3


# --- tracker poll matches what it stored -------------------------------------------------------

FORECAST_FILE = """\
source:
  title: Poll and review
  author: Test Author
forecasts:
  - id: talks-held
    question: Will NATO and Russia hold talks by 2022-06-30?
    quote: Talks will happen.
    estimate: likely
    probability: 0.7
    opens: 2022-01-01
    closes: 2022-06-30
    resolution:
      yes_when: {all: [nato, russia, talks]}
      min_sources: 1
      default_at_close: no
"""


def test_tracker_poll_matches_the_new_articles_so_review_shows_their_evidence(
    cli, server, tmp_path: Path
):
    path = tmp_path / "poll-review.yaml"
    path.write_text(FORECAST_FILE, encoding="utf-8")
    cli("init")
    cli("forecasts", "import", path)
    cli.env.update(TRACKER_ALLOW_PRIVATE_FEEDS="1", COLUMNS="200")
    cli("feeds", "add", server.add("/talks.xml", Static(rss(news_items("talks", 2)))))
    out = cli("poll").output
    assert "Matched 2 new article(s)" in out
    queue = json.loads(cli("review", "--format", "json").output)
    assert [q["forecast"]["id"] for q in queue] == ["talks-held"]
    assert len(queue[0]["evidence"]) >= 1
    listed = {f["id"]: f for f in json.loads(cli("forecasts", "list", "--format", "json").output)}
    assert listed["talks-held"]["evidence"] == 2


def test_articles_whose_matching_was_lost_are_matched_by_the_straggler_task(
    cli, server, tmp_path: Path
):
    """A worker SIGKILLed holding its ``match_articles`` task (Redis gives it back only after the
    hour's visibility timeout), or a broker away at the hand-off, leaves a poll's articles
    unmatched: ``match_stragglers`` (on the beat every 5 minutes) matches those older than its
    age and leaves the fresh ones to their own task."""
    path = tmp_path / "stragglers.yaml"
    path.write_text(FORECAST_FILE, encoding="utf-8")
    cli("init")
    cli("forecasts", "import", path)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=cli.env["TRACKER_DATABASE_URL"],
        allow_private_feeds=True,
    )
    engine = db.engine_for(settings)
    lost = _add(engine, server.add("/lost.xml", Static(rss(news_items("lost", 2)))))
    fresh = _add(engine, server.add("/fresh.xml", Static(rss(news_items("fresh", 1)))))
    resources = service.WorkerResources(settings)
    try:
        # polled as a worker polls, with nobody to hand the new articles to (the lost task)
        assert len(service.poll_feed(resources, lost).new_article_ids) == 2
        assert len(service.poll_feed(resources, fresh).new_article_ids) == 1
        with session_scope(engine) as session:
            for article in session.exec(select(Article).where(Article.feed_id == lost)):
                article.fetched_at = utcnow() - timedelta(minutes=11)
        report = service.match_stragglers(resources)
    finally:
        resources.close()
    assert report.articles == 2
    with session_scope(engine) as session:
        unmatched = session.exec(select(Article.feed_id).where(Article.matched_at.is_(None)))
        assert list(unmatched) == [fresh]
    listed = {f["id"]: f for f in json.loads(cli("forecasts", "list", "--format", "json").output)}
    assert listed["talks-held"]["evidence"] == 2
    engine.dispose()


def test_the_beat_runs_the_straggler_task_every_five_minutes(tmp_path: Path):
    from workers.app import make_celery

    app = make_celery(Settings(data_dir=tmp_path))
    entry = app.conf.beat_schedule["match-stragglers"]
    assert entry["task"] == "tracker.match_stragglers" and entry["schedule"] == 300
    assert "tracker.match_stragglers" in app.tasks


# --- entries per feed ----------------------------------------------------------------------------


def test_a_feed_with_too_many_entries_keeps_the_first_ones_and_says_so(cli, server):
    cli("init")
    cli.env.update(
        TRACKER_ALLOW_PRIVATE_FEEDS="1", TRACKER_MAX_ENTRIES_PER_FEED="10", COLUMNS="200"
    )
    cli("feeds", "add", server.add("/many.xml", Static(rss(news_items("many", 25)))))
    out = cli("poll").output
    assert "10 new article(s)" in out
    assert "feed 1: the feed has 25 entries; only its first 10 were read" in out
    titles = [a["title"] for a in json.loads(cli("articles", "list", "--format", "json").output)]
    assert sorted(titles) == sorted(f"many story {i}: NATO and Russia talks" for i in range(10))


# --- the schedule ------------------------------------------------------------------------------


@pytest.mark.parametrize("interval", [timedelta(minutes=1), timedelta(days=1), timedelta(days=30)])
def test_a_feed_failing_for_months_is_still_scheduled_within_the_cap(interval):
    """The backoff doubled per failure up to 2**32 times the interval: a daily feed failing
    31 times in a row made a timedelta overflow, out of every later poll of it."""
    now = utcnow()
    for failures in (1, 31, 100, 10_000):
        next_check = _schedule.after_failure(now, interval, failures)
        assert now + min(interval, MAX_DELAY) <= next_check <= now + LATEST


def test_a_worker_poll_of_slow_headers_records_a_timeout_within_the_settings_deadline(
    tmp_path, server
):
    """The Celery task's use case (``service.poll_feed``) builds its fetcher from the settings:
    the slow feed is the feed's ``timeout``, not a task holding its slot for minutes."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'w.db'}",
        allow_private_feeds=True,
        fetch_timeout_s=2,
    )
    engine = db.engine_for(settings)
    db.upgrade(engine)
    slow = _add(engine, server.add("/slow.xml", _slow_headers))
    resources = service.WorkerResources(settings)
    try:
        result = service.poll_feed(resources, slow)
    finally:
        resources.close()
    assert result.error_kind == "timeout" and "time limit of 2 s" in result.message
    assert _feed(engine, slow).error_kind == "timeout"
    engine.dispose()
