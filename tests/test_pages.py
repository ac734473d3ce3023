"""Article pages, with real parts: a feed of teasers and its pages on a real HTTP server on
127.0.0.1, the real poller, the guarded client, protego and trafilatura, a real database.

What a user checks: the page's main text becomes the article's body and is matched; every kind of
bad page (huge, binary, a redirect loop, a login wall, no article, a broken or forbidding
robots.txt, 404, a timeout) is recorded on the article with a kind and a time and retried with
backoff, and the feed's polling never notices."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import update
from sqlmodel import select

from tests.feedserver import FeedServer, Static, rss
from tests.pagesite import article_page, login_wall, no_article, page_route, paragraphs
from tracker import db, ingest
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.errors import PageError
from tracker.ingest import AddressGuard, FetchLimits, PagePolicy
from tracker.ingest._pages import PAGE_ACCEPT, RobotsCache
from tracker.models import Article, Feed
from tracker.settings import Settings

DECIDING = "The Madrid declaration reaffirmed the Bucharest promise, diplomats said."
LIMITS = FetchLimits(read_timeout=1.0, total_timeout=3.0, max_body_bytes=300_000)
POLICY = PagePolicy(min_chars=300, max_attempts=3, retry_after=timedelta(minutes=10))


@pytest.fixture
def server():
    with FeedServer() as server:
        yield server


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path, allow_private_feeds=True, page_min_chars=300, robots_ttl_s=3600
    )


@pytest.fixture
def pages(tmp_path):
    fetcher = ingest.make_page_fetcher(settings(tmp_path), limits=LIMITS)
    yield fetcher
    fetcher.close()


def teaser_items(server: FeedServer, paths: list[str]) -> list[dict]:
    return [
        {
            "title": f"Story {i}",
            "link": server.url(path),
            "guid": f"story-{i}",
            "description": "Our correspondent reports from the summit.",
            "pubDate": "Wed, 29 Jun 2022 18:00:00 +0000",
        }
        for i, path in enumerate(paths)
    ]


def poll_full_text_feed(engine, server: FeedServer, paths: list[str], *, full_text: bool = True):
    """Adds a feed of teasers linking to ``paths`` and polls it once; returns its poll result."""
    url = server.add("/teasers.xml", Static(rss(teaser_items(server, paths))))
    with session_scope(engine) as session:
        feed_id = ingest.add_feed(
            session, url, interval=timedelta(hours=1), fetch_articles=full_text
        ).id
    with ingest.Fetcher(LIMITS, AddressGuard(allow_private=True)) as fetcher:
        return ingest.Poller(engine, fetcher).poll_feed(feed_id)


def article(engine, article_id: int) -> Article:
    with session_scope(engine) as session:
        found = session.get(Article, article_id)
        session.expunge(found)
        return found


def good_page(title: str = "Madrid summit ends") -> bytes:
    return article_page(title, [*paragraphs(4, seed=1), DECIDING, *paragraphs(2, seed=2)])


# --- the happy path ------------------------------------------------------------------------


def test_a_full_text_feed_stores_each_new_articles_page_text_as_its_body(engine, server, pages):
    server.add(
        "/robots.txt", Static(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    )
    server.add("/news/madrid", page_route(good_page()))
    result = poll_full_text_feed(engine, server, ["/news/madrid"])
    assert result.page_ids == result.new_article_ids and len(result.page_ids) == 1
    article_id = result.page_ids[0]
    assert article(engine, article_id).page_state == "pending"
    with session_scope(engine) as session:
        assert ingest.due_page_ids(session) == [article_id]
        session.execute(update(Article).values(matched_at=utcnow()))  # as if matched already

    outcome = ingest.fetch_article_page(engine, pages, article_id, POLICY)

    assert (outcome.state, outcome.rematch, outcome.error_kind) == ("fetched", True, None)
    stored = article(engine, article_id)
    assert DECIDING in stored.body and "Related story number" not in stored.body
    assert "All rights reserved" not in stored.body  # the site's furniture is left out
    assert (stored.body_source, stored.text_truncated, stored.page_state) == (
        "page",
        False,
        "fetched",
    )
    assert stored.summary == "Our correspondent reports from the summit."  # the teaser stays
    assert stored.matched_at is None  # the new text will be matched
    assert (stored.page_attempts, stored.page_next_try_at, stored.page_error_kind) == (
        1,
        None,
        None,
    )
    assert server.request_headers["/news/madrid"]["Accept"] == PAGE_ACCEPT
    assert server.hits["/robots.txt"] == 1
    # idempotent: a second delivery of the task finds nothing to do
    assert ingest.fetch_article_page(engine, pages, article_id, POLICY).state is None
    assert server.hits["/news/madrid"] == 1


def test_a_feed_without_the_option_fetches_no_page(sqlite_engine, server, pages):
    server.add("/news/madrid", page_route(good_page()))
    result = poll_full_text_feed(sqlite_engine, server, ["/news/madrid"], full_text=False)
    assert result.page_ids == [] and len(result.new_article_ids) == 1
    assert article(sqlite_engine, result.new_article_ids[0]).page_state is None
    assert (
        ingest.fetch_article_page(sqlite_engine, pages, result.new_article_ids[0], POLICY).state
        is None
    )
    assert server.hits["/news/madrid"] == 0


def test_the_pages_own_date_corrects_an_estimated_one(sqlite_engine, server, pages):
    server.add("/news/undated", page_route(good_page()))
    items = teaser_items(server, ["/news/undated"])
    del items[0]["pubDate"]
    url = server.add("/undated.xml", Static(rss(items)))
    with session_scope(sqlite_engine) as session:
        feed_id = ingest.add_feed(session, url, interval="1h", fetch_articles=True).id
    with ingest.Fetcher(LIMITS, AddressGuard(allow_private=True)) as fetcher:
        [article_id] = ingest.Poller(sqlite_engine, fetcher).poll_feed(feed_id).page_ids
    assert article(sqlite_engine, article_id).published_estimated

    assert ingest.fetch_article_page(sqlite_engine, pages, article_id, POLICY).rematch
    stored = article(sqlite_engine, article_id)
    assert (stored.published_at, stored.published_estimated) == (
        datetime(2022, 6, 29, tzinfo=UTC),
        False,
    )


def test_a_page_shorter_than_what_the_feed_gave_leaves_the_body(sqlite_engine, server, pages):
    server.add("/news/short", page_route(article_page("Short", paragraphs(2, seed=3))))
    result = poll_full_text_feed(sqlite_engine, server, ["/news/short"])
    [article_id] = result.page_ids
    long_feed_text = "A long body the feed itself gave. " * 100
    with session_scope(sqlite_engine) as session:
        session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(body=long_feed_text, body_source="feed", matched_at=utcnow())
        )
    outcome = ingest.fetch_article_page(sqlite_engine, pages, article_id, POLICY)
    assert (outcome.state, outcome.rematch) == ("fetched", False)
    stored = article(sqlite_engine, article_id)
    assert (stored.body, stored.body_source) == (long_feed_text, "feed")
    assert stored.matched_at is not None


def test_a_long_article_text_is_cut_at_the_limit_and_flagged(sqlite_engine, server, tmp_path):
    from tracker.ingest._parse import MAX_BODY

    body = paragraphs(MAX_BODY // 300, seed=4, words=60)
    server.add("/news/long", page_route(article_page("Long read", body)))
    [article_id] = poll_full_text_feed(sqlite_engine, server, ["/news/long"]).page_ids
    big = FetchLimits(max_body_bytes=10 * 1024 * 1024)
    with ingest.make_page_fetcher(settings(tmp_path), limits=big) as pages:
        assert ingest.fetch_article_page(sqlite_engine, pages, article_id, POLICY).rematch
    stored = article(sqlite_engine, article_id)
    assert len(stored.body) == MAX_BODY and stored.text_truncated


# --- bad input ---------------------------------------------------------------------------------


def redirect_loop(handler: BaseHTTPRequestHandler) -> None:
    target = "/loop/b" if handler.path.endswith("/a") else "/loop/a"
    handler.reply(302, b"", {"Location": target})


def slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(2.5)  # longer than the read timeout (1 s)
    handler.reply(200, good_page(), {"Content-Type": "text/html"})


BAD_PAGES = {
    # name: (route, robots.txt route or None, expected kind, retried)
    "404": (Static(b"gone", status=404, content_type="text/html"), None, "not_found", True),
    "server error": (Static(b"oops", status=500, content_type="text/html"), None, "http", True),
    "huge": (page_route(b"<p>" + b"x" * 400_000 + b"</p>"), None, "too_large", False),
    "pdf": (
        Static(b"%PDF-1.7 \x00\x01\x02", content_type="application/pdf"),
        None,
        "binary",
        False,
    ),
    "bytes as html": (page_route(b"\x89PNG\x00\x00\x00\rIHDR" * 50), None, "binary", False),
    "redirect loop": (redirect_loop, None, "redirect", True),
    "login wall": (page_route(login_wall("Madrid summit ends")), None, "too_little_text", True),
    "no article": (page_route(no_article()), None, "no_article", True),
    "timeout": (slow, None, "timeout", True),
    "robots.txt 503": (
        page_route(good_page()),
        Static(b"busy", status=503, content_type="text/plain"),
        "robots_broken",
        True,
    ),
    "robots.txt binary": (
        page_route(good_page()),
        Static(b"\x00\x01\x02\xff" * 100, content_type="text/plain"),
        "robots_broken",
        True,
    ),
    "robots.txt redirect loop": (page_route(good_page()), redirect_loop, "robots_broken", True),
}


@pytest.mark.parametrize("case", list(BAD_PAGES))
def test_a_bad_page_is_recorded_with_its_kind_and_time_and_the_feed_is_untouched(
    case, sqlite_engine, server, pages
):
    route, robots, kind, retried = BAD_PAGES[case]
    path = "/loop/a" if route is redirect_loop else "/news/bad"
    if route is redirect_loop:
        server.add("/loop/b", route)
    server.add(path, route)
    if robots is not None:
        server.add("/robots.txt", robots)
        if robots is redirect_loop:
            server.routes["/robots.txt"] = lambda h: h.reply(302, b"", {"Location": "/robots.txt"})
    server.add("/news/fine", page_route(good_page("Another story")))
    result = poll_full_text_feed(sqlite_engine, server, [path, "/news/fine"])
    bad_id, fine_id = result.page_ids
    before = utcnow()

    outcome = ingest.fetch_article_page(sqlite_engine, pages, bad_id, POLICY)

    stored = article(sqlite_engine, bad_id)
    assert (outcome.state, outcome.error_kind) == ("failed", kind), outcome.message
    assert (stored.page_state, stored.page_error_kind, stored.page_attempts) == ("failed", kind, 1)
    assert stored.page_error and "\n" not in stored.page_error
    assert stored.page_error_at is not None and stored.page_error_at >= before
    assert stored.body_source != "page" and stored.title == "Story 0"  # the article is kept
    if retried:
        assert stored.page_next_try_at is not None
        assert stored.page_next_try_at - stored.page_error_at == POLICY.retry_after
    else:  # permanent: never tried again
        assert stored.page_next_try_at is None
    if robots is not None:
        assert server.hits["/news/bad"] == 0  # the page itself was not requested
    # the worker goes on: the next page of the feed is fetched
    if robots is None:
        assert ingest.fetch_article_page(sqlite_engine, pages, fine_id, POLICY).state == "fetched"
    # and the feed's polling never noticed
    with session_scope(sqlite_engine) as session:
        feed = session.exec(select(Feed)).one()
    assert (feed.consecutive_failures, feed.error_kind, feed.disabled_at) == (0, None, None)
    with ingest.Fetcher(LIMITS, AddressGuard(allow_private=True)) as fetcher:
        again = ingest.Poller(sqlite_engine, fetcher).poll_feed(feed.id, force=True)
    assert again.outcome.value in ("new", "not_modified") and again.error_kind is None


def test_a_page_robots_txt_disallows_is_refused_not_fetched(sqlite_engine, server, pages):
    server.add(
        "/robots.txt",
        Static(
            b"User-agent: *\nAllow: /\n\nUser-agent: forecast-tracker\nDisallow: /private/\n",
            content_type="text/plain",
        ),
    )
    server.add("/private/story", page_route(good_page()))
    server.add("/news/open", page_route(good_page("Open")))
    result = poll_full_text_feed(sqlite_engine, server, ["/private/story", "/news/open"])
    refused_id, open_id = result.page_ids

    outcome = ingest.fetch_article_page(sqlite_engine, pages, refused_id, POLICY)

    stored = article(sqlite_engine, refused_id)
    assert (outcome.state, stored.page_state, stored.page_error_kind) == (
        "refused",
        "refused",
        "disallowed",
    )
    assert stored.page_next_try_at is None and stored.page_error_at is not None
    assert server.hits["/private/story"] == 0
    assert ingest.fetch_article_page(sqlite_engine, pages, open_id, POLICY).state == "fetched"
    assert server.hits["/robots.txt"] == 1  # read once for the host
    with session_scope(sqlite_engine) as session:
        assert ingest.due_page_ids(session) == []


def test_no_robots_txt_means_every_page_may_be_fetched(sqlite_engine, server, pages):
    server.add("/news/madrid", page_route(good_page()))  # /robots.txt answers 404
    [article_id] = poll_full_text_feed(sqlite_engine, server, ["/news/madrid"]).page_ids
    assert ingest.fetch_article_page(sqlite_engine, pages, article_id, POLICY).state == "fetched"
    assert server.hits["/robots.txt"] == 1


def test_robots_txt_is_cached_per_host_and_read_again_after_it_expires(server):
    server.add("/robots.txt", Static(b"User-agent: *\nDisallow: /no/\n", content_type="text/plain"))
    now = [1000.0]
    with ingest.Fetcher(LIMITS, AddressGuard(allow_private=True), accept=PAGE_ACCEPT) as fetcher:
        cache = RobotsCache(fetcher, 60.0, clock=lambda: now[0])
        cache.check(server.url("/a"))
        cache.check(server.url("/b"))
        assert server.hits["/robots.txt"] == 1
        with pytest.raises(PageError, match="disallows"):
            cache.check(server.url("/no/c"))
        now[0] += 61
        cache.check(server.url("/a"))
        assert server.hits["/robots.txt"] == 2
        other = FeedServer("127.0.0.1")  # another host:port has robots of its own
        try:
            cache.check(other.url("/a"))
            assert other.hits["/robots.txt"] == 1 and server.hits["/robots.txt"] == 2
        finally:
            other.close()


# --- retries -----------------------------------------------------------------------------------


def make_due(engine, article_id: int) -> None:
    """As if the retry time had come."""
    with session_scope(engine) as session:
        session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(page_next_try_at=utcnow() - timedelta(seconds=1))
        )


def test_a_failed_page_is_retried_with_exponential_backoff_until_it_gives_up(
    sqlite_engine, server, pages
):
    server.add("/news/flaky", Static(b"busy", status=503, content_type="text/html"))
    [article_id] = poll_full_text_feed(sqlite_engine, server, ["/news/flaky"]).page_ids
    waits = []
    for attempt in (1, 2):
        outcome = ingest.fetch_article_page(sqlite_engine, pages, article_id, POLICY)
        stored = article(sqlite_engine, article_id)
        assert (outcome.state, stored.page_attempts) == ("failed", attempt)
        waits.append(stored.page_next_try_at - stored.page_error_at)
        # not due yet: a fetch now is skipped, and it is not among the due pages
        assert ingest.fetch_article_page(sqlite_engine, pages, article_id, POLICY).state is None
        with session_scope(sqlite_engine) as session:
            assert article_id not in ingest.due_page_ids(session)
        make_due(sqlite_engine, article_id)
        with session_scope(sqlite_engine) as session:
            assert ingest.due_page_ids(session) == [article_id]
    assert waits == [POLICY.retry_after, 2 * POLICY.retry_after]

    server.add("/news/flaky", page_route(good_page()))  # the site is back
    outcome = ingest.fetch_article_page(sqlite_engine, pages, article_id, POLICY)
    assert (outcome.state, outcome.rematch) == ("fetched", True)
    stored = article(sqlite_engine, article_id)
    assert (stored.page_attempts, stored.page_error_kind, stored.page_error) == (3, None, None)
    assert DECIDING in stored.body

    server.add("/news/down", Static(b"busy", status=503, content_type="text/html"))
    server.add("/teasers.xml", Static(rss(teaser_items(server, ["/news/flaky", "/news/down"]))))
    with session_scope(sqlite_engine) as session:
        feed_id = session.exec(select(Feed.id)).one()
    with ingest.Fetcher(LIMITS, AddressGuard(allow_private=True)) as fetcher:
        [down_id] = ingest.Poller(sqlite_engine, fetcher).poll_feed(feed_id, force=True).page_ids
    for _ in range(POLICY.max_attempts):
        make_due(sqlite_engine, down_id)
        ingest.fetch_article_page(sqlite_engine, pages, down_id, POLICY)
    stored = article(sqlite_engine, down_id)
    assert (stored.page_state, stored.page_attempts, stored.page_next_try_at) == (
        "failed",
        POLICY.max_attempts,
        None,
    )  # given up, but recorded: never dropped
    with session_scope(sqlite_engine) as session:
        assert ingest.due_page_ids(session) == []
        assert ingest.page_state_counts(session) == {"fetched": 1, "failed": 1}


def test_a_page_that_cannot_be_fetched_because_the_guard_refuses_its_address(
    sqlite_engine, server, tmp_path
):
    server.add("/news/madrid", page_route(good_page()))
    [article_id] = poll_full_text_feed(sqlite_engine, server, ["/news/madrid"]).page_ids
    strict = Settings(data_dir=tmp_path, allow_private_feeds=False)
    with ingest.make_page_fetcher(strict, limits=LIMITS) as pages:
        outcome = ingest.fetch_article_page(sqlite_engine, pages, article_id, POLICY)
    assert (outcome.state, outcome.error_kind) == ("failed", "blocked")
    assert article(sqlite_engine, article_id).page_next_try_at is None  # permanent
    assert server.hits["/news/madrid"] == 0 and server.hits["/robots.txt"] == 0


# --- new text is matched, and a proposal made from a teaser is re-evaluated ------------------


def test_a_proposal_made_from_a_teaser_is_re_evaluated_when_the_page_arrives(
    sqlite_engine, server, pages, tmp_path
):
    from tests.test_resolution import FORECAST_FILE
    from tracker import resolution
    from tracker.domain import registry
    from tracker.domain.scale import EstimativeScale
    from tracker.models import Evidence, Proposal

    path = tmp_path / "test-oped.yaml"
    path.write_text(FORECAST_FILE, encoding="utf-8")
    with session_scope(sqlite_engine) as session:
        files = registry.load_files([path], EstimativeScale.builtin())
        registry.import_files(session, files, today=datetime(2022, 1, 10).date(), actor="tester")
    other = {
        "title": "Geneva treaty",
        "link": "https://www.alpha.example/geneva",
        "guid": "a1",
        "description": "Ministers signed the treaty on Monday.",
        "pubDate": "Tue, 01 Feb 2022 10:00:00 +0000",
    }
    teaser = {
        "title": "Geneva treaty: what happened",
        "link": server.url("/news/geneva"),
        "guid": "k1",
        "description": "Ministers signed the treaty on Monday, officials said.",
        "pubDate": "Tue, 01 Feb 2022 12:00:00 +0000",
    }
    later = "Days later, the treaty talks collapsed when one parliament refused to ratify it."
    server.add(
        "/news/geneva",
        page_route(article_page("Geneva", [*paragraphs(3, seed=5), later], published=None)),
    )
    with session_scope(sqlite_engine) as session:
        plain = ingest.add_feed(  # on loopback too: the operator vouches for its publisher
            session,
            server.add("/a.xml", Static(rss([other]))),
            interval="1h",
            publisher="alpha.example",
        )
        full = ingest.add_feed(
            session,
            server.add("/k.xml", Static(rss([teaser]))),
            interval="1h",
            fetch_articles=True,
        )
        plain_id, full_id = plain.id, full.id
    with ingest.Fetcher(LIMITS, AddressGuard(allow_private=True)) as fetcher:
        poller = ingest.Poller(sqlite_engine, fetcher)
        ids = poller.poll_feed(plain_id).new_article_ids + poller.poll_feed(full_id).page_ids
    rules = resolution.RuleSet()
    with session_scope(sqlite_engine) as session:
        made = resolution.match_articles(session, ids, rules).proposals
        assert [(p.question_id, p.kind, p.outcome) for p in made] == [
            ("treaty-signed", "evidence", "yes")
        ]

    outcome = ingest.fetch_article_page(sqlite_engine, pages, ids[1], POLICY)
    assert outcome.rematch
    with session_scope(sqlite_engine) as session:
        report = resolution.match_articles(session, [ids[1]], rules)  # what the hand-off runs
        proposals = session.exec(select(Proposal).order_by(Proposal.id)).all()
        evidence = session.exec(select(Evidence).where(Evidence.article_id == ids[1])).all()
    assert report.forecasts == ["treaty-signed"]
    assert sorted((e.side, e.field) for e in evidence) == [("no", "body"), ("yes", "summary")]
    assert [(p.kind, p.outcome, p.status) for p in proposals] == [
        ("evidence", "yes", "superseded"),
        ("disputed", None, "pending"),
    ]
