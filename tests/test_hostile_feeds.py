"""The hostile-feed corpus: each case is served by a real HTTP server on 127.0.0.1 and polled
next to a healthy feed.  Each asserts what is recorded on the hostile feed (error kind, or the
safe result for cases that are tolerated) and that polling goes on: the healthy feed is stored
and the poller keeps working afterwards."""

from __future__ import annotations

import ipaddress
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.feedserver import FeedServer, Static, news_items, rss
from tracker import db
from tracker.clock import utcnow
from tracker.db import session_scope
from tracker.ingest import AddressGuard, Fetcher, FetchLimits, Poller, add_feed
from tracker.models import Article, Feed

MiB = 1024 * 1024
LIMITS = FetchLimits(read_timeout=1.0, total_timeout=1.5)  # short, so the trickle test is quick


def _stream(chunks, headers: dict[str, str], status: int = 200):
    def handler(h):
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Connection", "close")
        h.end_headers()
        try:
            for chunk in chunks():
                h.wfile.write(chunk)
                h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        h.close_connection = True

    return handler


def _redirect(target: Callable[[FeedServer], str]):
    def handler(h):
        h.reply(302, b"", {"Location": target(h.server.owner)})

    return handler


def _gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * MiB
    return b"".join(compressor.compress(zeros) for _ in range(64)) + compressor.flush()


def _trickle():
    yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>'
    for _ in range(100):
        time.sleep(0.1)
        yield b" "


def _reset(h):
    h.send_response(200)
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b"<rss><channel>")
    h.wfile.flush()
    h.close_connection = True
    h.connection.shutdown(2)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item>'
    b"</channel></rss>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<rss version="2.0"><channel><title>x</title>'
    b"<item><title>&xxe;</title><guid>1</guid></item></channel></rss>"
)
XXE_PARAMETER = (
    b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "file:///etc/passwd" [<!ENTITY % p SYSTEM '
    b'"file:///etc/hostname"> %p;]><rss version="2.0"><channel><title>x</title></channel></rss>'
)
LATIN1_DECLARED_UTF8 = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Zürich</title>'
    "<item><title>Genève talks</title><guid>lat1</guid></item></channel></rss>"
).encode("latin-1")
INVALID_UTF8 = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>bad \xff\xfe bytes</title><guid>u1</guid></item></channel></rss>"
)
DUPLICATE_GUIDS = rss(
    [
        {"title": "A", "guid": "same", "link": "https://d.example/a"},
        {"title": "B", "guid": "same", "link": "https://d.example/b"},
        {"title": "C", "guid": "same", "link": "https://d.example/c"},
    ]
)
MISSING_GUIDS = rss(
    [
        {"title": "No guid 1", "link": "https://m.example/1"},
        {"title": "No guid 2", "link": "https://m.example/2"},
        {"title": "Neither guid nor link", "description": "just text"},
    ]
)
DATES = rss(
    [
        {"title": "undated", "guid": "d1"},
        {"title": "far future", "guid": "d2", "pubDate": "Sat, 01 Jan 2101 00:00:00 +0000"},
        {"title": "garbage date", "guid": "d3", "pubDate": "yesterday-ish"},
    ]
)
HUGE_TITLE = rss([{"title": "T" * 100_000, "guid": "h1"}])
SCRIPTS = rss(
    [
        {
            "title": "&lt;script&gt;alert('t')&lt;/script&gt;Headline",
            "guid": "s1",
            "description": "&lt;p&gt;Text&lt;script&gt;steal(document.cookie)&lt;/script&gt;"
            "&lt;img src=x onerror=alert(1)&gt;&lt;/p&gt;",
        }
    ]
)
MALFORMED_LINKS = rss(
    [
        {"title": "port out of range", "guid": "l1", "link": "https://l.example:99999/a"},
        {"title": "broken IPv6 host", "guid": "l2", "link": "http://[::1/b"},
        {"title": "fine", "guid": "l3", "link": "https://l.example/c?utm_source=x"},
    ]
)
JSON_WRONG_TYPES = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [{"id": {"no": "object ids"}, "title": ["a", "list"], "url": 42}],
    }
).encode()
JSON_ITEMS_NOT_LIST = json.dumps(
    {"version": "https://jsonfeed.org/version/1", "title": "J", "items": "nope"}
).encode()


@dataclass
class Case:
    route: object
    kind: str | None  # the recorded error kind; None: tolerated, see check
    check: Callable[[Feed, list[Article]], None] | None = None


def _no_articles(feed, articles):
    assert articles == []


def _titles(*expected):
    def check(feed, articles):
        assert sorted(a.title for a in articles) == sorted(expected)

    return check


def _estimated(feed, articles):
    assert len(articles) == 3 and all(a.published_estimated for a in articles)
    assert all(a.published_at == a.fetched_at for a in articles)


def _huge(feed, articles):
    assert len(articles) == 1 and len(articles[0].title) <= 500


def _scripts(feed, articles):
    (article,) = articles
    stored = article.title + article.summary
    assert (
        "<" not in stored
        and "alert" not in stored
        and "steal" not in stored
        and "onerror" not in stored
    )
    assert article.title == "Headline" and article.summary == "Text"


def _invalid_utf8(feed, articles):
    (article,) = articles
    assert article.title.startswith("bad") and article.title.endswith("bytes")
    article.title.encode("utf-8")  # whatever was kept is valid text


def _latin1(feed, articles):
    (article,) = articles
    assert article.title.endswith("talks") and "Gen" in article.title


def _malformed_links(feed, articles):
    """An unusable link is dropped (the entry keeps its guid); the other entries are unaffected."""
    assert {a.title: a.url for a in articles} == {
        "port out of range": None,
        "broken IPv6 host": None,
        "fine": "https://l.example/c",
    }


def _retry_after(feed, articles):
    assert feed.next_check_at - utcnow() >= timedelta(hours=1, minutes=59)
    assert "7200" in feed.last_error


def _gone(feed, articles):
    assert feed.disabled_at is not None and "410" in feed.disabled_reason


CASES = {
    "billion-laughs": Case(Static(BILLION_LAUGHS), "parse", _no_articles),
    "external-entity-file": Case(Static(XXE), "parse", _no_articles),
    "external-dtd-parameter-entity": Case(Static(XXE_PARAMETER), "parse", _no_articles),
    "50-MiB-body-streamed": Case(
        _stream(lambda: (b"<rss>" + b" " * MiB for _ in range(50)), {}), "too_large"
    ),
    "50-MiB-body-declared": Case(
        Static(b"x" * 10, headers={"Content-Length": str(50 * MiB)}, etag=False), "too_large"
    ),
    "gzip-bomb": Case(Static(_gzip_bomb(), headers={"Content-Encoding": "gzip"}), "too_large"),
    "trickle-past-timeout": Case(
        _stream(_trickle, {"Content-Type": "application/rss+xml"}), "timeout"
    ),
    "redirect-loop": Case(_redirect(lambda s: s.url("/hostile/redirect-loop")), "redirect"),
    "too-many-redirects": Case(
        _redirect(lambda s: s.url(f"/hop/{time.monotonic_ns()}")), "redirect"
    ),
    "redirect-to-forbidden-address": Case(
        _redirect(lambda s: f"http://127.0.0.2:{s.port}/feed.xml"), "ssrf"
    ),
    "redirect-to-file-scheme": Case(_redirect(lambda s: "file:///etc/passwd"), "ssrf"),
    "404": Case(Static(b"gone fishing", status=404), "http_status"),
    "500": Case(Static(b"oops", status=500), "http_status"),
    "429-retry-after": Case(
        Static(b"slow down", status=429, headers={"Retry-After": "7200"}),
        "http_status",
        _retry_after,
    ),
    "403-bot-challenge": Case(
        Static(b"<html>Just a moment...</html>", status=403, headers={"cf-mitigated": "challenge"}),
        "bot_challenge",
    ),
    "410-gone": Case(Static(b"", status=410), "http_status", _gone),
    "html-instead-of-feed": Case(
        Static(
            b"<!DOCTYPE html><html><head><title>Home</title></head>"
            b"<body><p>Welcome</p></body></html>",
            content_type="text/html",
        ),
        "parse",
    ),
    "empty-body": Case(Static(b""), "parse"),
    "not-a-feed-xml": Case(
        Static(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'), "parse"
    ),
    "unsupported-content-encoding": Case(
        Static(b"\x00\x01", headers={"Content-Encoding": "br"}), "parse"
    ),
    "connection-reset-mid-body": Case(_reset, "connection"),
    "json-feed-wrong-types": Case(
        Static(JSON_WRONG_TYPES, content_type="application/feed+json"), "parse"
    ),
    "json-feed-items-not-a-list": Case(
        Static(JSON_ITEMS_NOT_LIST, content_type="application/feed+json"), "parse"
    ),
    "wrong-declared-encoding": Case(Static(LATIN1_DECLARED_UTF8), None, _latin1),
    "invalid-utf8": Case(Static(INVALID_UTF8), None, _invalid_utf8),
    "duplicate-guids": Case(Static(DUPLICATE_GUIDS), None, _titles("A", "B", "C")),
    "missing-guids": Case(
        Static(MISSING_GUIDS), None, _titles("No guid 1", "No guid 2", "Neither guid nor link")
    ),
    "missing-and-future-dates": Case(Static(DATES), None, _estimated),
    "huge-titles": Case(Static(HUGE_TITLE), None, _huge),
    "script-tags": Case(Static(SCRIPTS), None, _scripts),
    "malformed-entry-links": Case(Static(MALFORMED_LINKS), None, _malformed_links),
}


@pytest.fixture(scope="module")
def server():
    with FeedServer() as srv:
        srv.add("/healthy.xml", Static(rss(news_items("healthy", 5))))
        for name, case in CASES.items():
            srv.add(f"/hostile/{name}", case.route)
        # the "too many redirects" chain: every hop redirects to a new hop
        original = srv.routes["/hostile/too-many-redirects"]

        class Hops(dict):
            def get(self, path, default=None):
                return original if path.startswith("/hop/") else dict.get(self, path, default)

        srv.routes = Hops(srv.routes)
        yield srv


@pytest.fixture
def poller(sqlite_url):
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    guard = AddressGuard(allow_private=True, denied=(ipaddress.ip_network("127.0.0.2/32"),))
    with Fetcher(LIMITS, guard) as fetcher:
        yield Poller(engine, fetcher)
    engine.dispose()


def _add(engine, url):
    with session_scope(engine) as session:
        return add_feed(session, url, interval=timedelta(minutes=15)).id


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_feed_is_recorded_and_polling_goes_on(name, server, poller):
    case = CASES[name]
    hostile = _add(poller.engine, server.url(f"/hostile/{name}"))
    healthy = _add(poller.engine, server.url("/healthy.xml"))
    results = {r.feed_id: r for r in poller.poll_due(concurrency=2)}
    with session_scope(poller.engine) as session:
        feed = session.get(Feed, hostile)
        articles = list(session.exec(select(Article).where(Article.feed_id == hostile)))
        healthy_count = len(
            list(session.exec(select(Article.id).where(Article.feed_id == healthy)))
        )
    if case.kind:
        assert feed.error_kind == case.kind, (
            f"{name}: recorded {feed.error_kind}: {feed.last_error}"
        )
        assert feed.consecutive_failures == 1 and feed.error_since and feed.last_error
        assert results[hostile].error_kind == case.kind
        assert feed.next_check_at > utcnow() or feed.disabled_at  # backed off, not dropped
    else:
        assert feed.error_kind is None, f"{name}: unexpected {feed.error_kind}: {feed.last_error}"
    if case.check:
        case.check(feed, articles)
    assert "root:" not in "".join(
        a.title + a.summary for a in articles
    )  # no /etc/passwd content, ever
    assert healthy_count == 5 and results[healthy].error_kind is None
    # the poller is still healthy: a forced re-poll works (a 304 from our server)
    assert poller.poll_feed(healthy, force=True).outcome.value == "not_modified"


def test_the_corpus_has_at_least_twenty_cases():
    assert len(CASES) >= 20
