"""Publishers that cannot be forged (issue 17): an article counts for the publisher whose server
it was fetched from, never for the domain a feed merely names in its links.

Three publishers on loopback, each its own server on its own address (a publisher is a
registered domain, and an IP address is its own): a forger (or an aggregator) on 127.0.0.1,
"Reuters" on 127.0.0.3 and "AP" on 127.0.0.4.  Real poller, real page fetcher, real matching and
policy, on SQLite and PostgreSQL.  Nothing leaves the machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.feedserver import FeedServer, Static, rss
from tests.pagesite import article_page, page_route, paragraphs
from tracker import ingest, resolution
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.errors import FeedSettingError
from tracker.ingest import AddressGuard, FetchLimits, PagePolicy
from tracker.ingest._pages import verified_publisher
from tracker.models import Article, ArticleFeed, Evidence, Feed, Proposal
from tracker.settings import Settings

FORECASTS = """\
source:
  title: Test op-ed
  author: Test Author
forecasts:
  - id: treaty-signed
    question: Will the treaty be signed by 2022-06-30?
    quote: The treaty will be signed.
    estimate: likely
    probability: 0.7
    opens: 2022-01-01
    closes: 2022-06-30
    resolution:
      yes_when: {all: [treaty], any: [signed the treaty]}
      min_sources: 2
      default_at_close: no
"""
SIGNED = "The two governments signed the treaty in Geneva on Monday."
PUBDATE = "Tue, 01 Feb 2022 12:00:00 +0000"
LIMITS = FetchLimits(read_timeout=2.0, total_timeout=5.0, max_body_bytes=300_000)
POLICY = PagePolicy(min_chars=300, max_attempts=2, retry_after=timedelta(minutes=10))


@pytest.fixture
def servers() -> Iterator[tuple[FeedServer, FeedServer, FeedServer]]:
    with (
        FeedServer("127.0.0.1") as forger,
        FeedServer("127.0.0.3") as reuters,
        FeedServer("127.0.0.4") as ap,
    ):
        yield forger, reuters, ap


@pytest.fixture
def tracked(engine, tmp_path: Path):
    path = tmp_path / "test-oped.yaml"
    path.write_text(FORECASTS, encoding="utf-8")
    with session_scope(engine) as session:
        registry.import_files(
            session,
            registry.load_files([path], EstimativeScale.builtin()),
            today=date(2022, 1, 10),
            actor="tester",
        )
    return engine


def item(link: str, title: str, text: str = SIGNED, guid: str | None = None) -> dict:
    return {
        "title": title,
        "link": link,
        "guid": guid or link,
        "description": text,
        "pubDate": PUBDATE,
    }


def poll(engine, url: str, **options: object) -> ingest.PollResult:
    """Adds the feed at ``url`` (if new) and polls it once."""
    with session_scope(engine) as session:
        feed = session.exec(select(Feed).where(Feed.url == url)).first()
        feed_id = feed.id if feed else ingest.add_feed(session, url, interval="1h", **options).id
    with ingest.Fetcher(LIMITS, AddressGuard(allow_private=True)) as fetcher:
        return ingest.Poller(engine, fetcher).poll_feed(feed_id, force=True)


def match(engine) -> None:
    resolution.catch_up(engine, resolution.RuleSet())


def evidence_publishers(engine) -> list[str]:
    with session_scope(engine) as session:
        return sorted(session.exec(select(Evidence.publisher)))


def pending(engine) -> Proposal | None:
    with session_scope(engine) as session:
        found = session.exec(select(Proposal).where(Proposal.status == "pending")).first()
        if found is not None:
            session.expunge(found)
        return found


def test_a_forged_feed_naming_two_publishers_urls_yields_evidence_from_one_publisher(
    tracked, servers
):
    forger, reuters, ap = servers
    feed = forger.add(
        "/wire.xml",
        Static(
            rss(
                [
                    item(reuters.url("/world/geneva"), "Treaty signed in Geneva"),
                    item(ap.url("/news/geneva-treaty"), "Geneva: treaty signed"),
                ]
            )
        ),
    )
    assert len(poll(tracked, feed).new_article_ids) == 2
    match(tracked)

    # before: "YES reported by 2 publishers (127.0.0.3, 127.0.0.4)" from this one feed
    assert evidence_publishers(tracked) == ["127.0.0.1", "127.0.0.1"]
    proposal = pending(tracked)
    assert proposal is None or proposal.kind != "evidence", proposal
    with session_scope(tracked) as session:
        assert set(session.exec(select(Article.publisher))) == {"127.0.0.1"}


def test_the_real_publishers_own_article_at_a_forged_url_is_stored_and_counted(tracked, servers):
    forger, reuters, ap = servers
    link = reuters.url("/world/geneva")
    forged = forger.add(
        "/wire.xml", Static(rss([item(link, "Treaty signed in Geneva", "Forged words.")]))
    )
    poll(tracked, forged)
    own_text = "Reuters reports: " + SIGNED
    own = reuters.add("/world.xml", Static(rss([item(link, "Treaty signed in Geneva", own_text)])))

    result = poll(tracked, own)

    # before: dropped as a duplicate of the forger's item (linked to it, never stored)
    assert len(result.new_article_ids) == 1
    with session_scope(tracked) as session:
        stored = session.get(Article, result.new_article_ids[0])
        assert (stored.publisher, stored.summary) == ("127.0.0.3", own_text)
        assert session.exec(select(ArticleFeed)).all() == []
    match(tracked)
    assert evidence_publishers(tracked) == ["127.0.0.3"]  # the forger's words say nothing
    # Reuters' second feed carrying the same story: still one article (linked), counted once
    europe = reuters.add("/europe.xml", Static(rss([item(link, "Treaty signed in Geneva")])))
    assert poll(tracked, europe).new_article_ids == []
    with session_scope(tracked) as session:
        assert [(link.article_id) for link in session.exec(select(ArticleFeed))] == [stored.id]
    # a second real publisher makes the proposal, counted once per publisher
    ap_feed = ap.add("/top.xml", Static(rss([item(ap.url("/news/1"), "Geneva treaty")])))
    poll(tracked, ap_feed)
    match(tracked)
    proposal = pending(tracked)
    assert proposal is not None
    assert (proposal.kind, proposal.outcome, proposal.publishers) == (
        "evidence",
        "yes",
        ["127.0.0.3", "127.0.0.4"],
    )


def test_an_item_named_after_another_publishers_story_never_displaces_it(tracked, servers):
    forger, reuters, _ = servers
    link = reuters.url("/world/geneva")
    own = reuters.add("/world.xml", Static(rss([item(link, "Treaty signed in Geneva")])))
    first = poll(tracked, own).new_article_ids
    forged = forger.add(
        "/wire.xml", Static(rss([item(link, "Treaty signed in Geneva", "Forged words.")]))
    )
    second = poll(tracked, forged).new_article_ids
    assert len(first) == len(second) == 1  # the forger's copy is its own article
    with session_scope(tracked) as session:
        rows = {a.id: (a.publisher, a.summary) for a in session.exec(select(Article))}
    assert rows == {first[0]: ("127.0.0.3", SIGNED), second[0]: ("127.0.0.1", "Forged words.")}


def test_a_feed_counts_for_the_server_it_was_fetched_from_after_redirects(tracked, servers):
    forger, reuters, _ = servers
    target = reuters.add(
        "/world.xml", Static(rss([item(forger.url("/claims/1"), "Treaty signed in Geneva")]))
    )
    moved = forger.add("/old.xml", Static(b"", status=301, headers={"Location": target}))
    assert len(poll(tracked, moved).new_article_ids) == 1
    with session_scope(tracked) as session:
        assert list(session.exec(select(Article.publisher))) == ["127.0.0.3"]


def test_an_aggregator_item_becomes_its_publishers_after_its_page_was_fetched_from_it(
    tracked, servers, tmp_path
):
    aggregator, reuters, _ = servers
    page = article_page("Geneva treaty", [*paragraphs(3, seed=1), SIGNED, *paragraphs(2, seed=2)])
    reuters.add("/world/geneva", page_route(page))
    feed = aggregator.add(
        "/top.xml",
        Static(rss([item(reuters.url("/world/geneva"), "Geneva", "Aggregated: " + SIGNED)])),
    )
    [article_id] = poll(tracked, feed, fetch_articles=True).new_article_ids
    match(tracked)
    # until its page is fetched from Reuters, the item is the aggregator's word only
    assert evidence_publishers(tracked) == ["127.0.0.1"]  # before: 127.0.0.3 at once

    settings = Settings(data_dir=tmp_path, allow_private_feeds=True, page_min_chars=300)
    with ingest.make_page_fetcher(settings, limits=LIMITS) as pages:
        outcome = ingest.fetch_article_page(tracked, pages, article_id, POLICY)
    assert (outcome.state, outcome.rematch) == ("fetched", True)
    with session_scope(tracked) as session:
        stored = session.get(Article, article_id)
        assert (stored.publisher, stored.summary, stored.body_source) == ("127.0.0.3", "", "page")
        assert SIGNED in stored.body
    match(tracked)
    with session_scope(tracked) as session:
        evidence = session.exec(select(Evidence)).one()
    assert (evidence.publisher, evidence.field) == ("127.0.0.3", "body")


def test_a_page_fetched_from_elsewhere_verifies_nothing():
    assert verified_publisher(
        "https://www.reuters.example/a", "https://reuters.example/a?amp", "agg.example"
    ) == ("reuters.example")
    # redirected to another domain: the link's publisher did not serve it
    assert (
        verified_publisher("https://reuters.example/a", "https://evil.example/a", "agg.example")
        is None
    )
    # already its own publisher's: nothing changes
    assert (
        verified_publisher(
            "https://reuters.example/a", "https://reuters.example/a", "reuters.example"
        )
        is None
    )


def test_the_operator_vouches_for_a_feeds_publisher(tracked, servers):
    forger, _, _ = servers
    url = forger.add("/hosted.xml", Static(rss([item(forger.url("/a"), "Treaty signed")])))
    poll(tracked, url, publisher="https://www.Northwire.example/")
    with session_scope(tracked) as session:
        assert session.exec(select(Feed.publisher)).one() == "northwire.example"
        assert session.exec(select(Article.publisher)).one() == "northwire.example"
        with pytest.raises(FeedSettingError, match="publisher"):
            ingest.add_feed(session, forger.url("/b.xml"), interval="1h", publisher="not a domain")


def test_the_evidence_page_shows_whom_an_item_counts_for_and_the_publisher_it_only_names(
    tracked, servers
):
    from tracker.web.schemas import EvidenceOut
    from tracker.web.templating import make_templates

    forger, reuters, _ = servers
    feed = forger.add("/wire.xml", Static(rss([item(reuters.url("/a"), "Treaty signed")])))
    poll(tracked, feed)
    match(tracked)
    with session_scope(tracked) as session:
        [view] = resolution.evidence_for(session, "treaty-signed")
    assert (view.publisher, view.link_publisher) == ("127.0.0.1", "127.0.0.3")
    shown = EvidenceOut.of(view)
    assert (shown.publisher, shown.link_publisher) == ("127.0.0.1", "127.0.0.3")
    macros = make_templates().env.get_template("_evidence.html").module
    html = str(macros.evidence_list([shown]))  # type: ignore[attr-defined]
    assert '<span class="publisher"' in html and ">127.0.0.1</span>" in html
    assert "(link on 127.0.0.3, not verified)" in html


def test_the_feeds_form_and_the_api_take_the_publisher_an_analyst_vouches_for(seeded, client):
    from tests.web_fixtures import csrf_token_of, make_token, sign_in

    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    created = client.post(
        "/api/feeds",
        json={"url": "https://feeds.host.example/bbc.xml", "publisher": "https://www.bbc.co.uk/"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    refused = client.post(
        "/api/feeds",
        json={"url": "https://feeds.host.example/x.xml", "publisher": "not a domain"},
        headers=headers,
    )
    assert refused.status_code == 400 and "publisher" in refused.json()["detail"]
    sign_in(client)
    form = {"url": "https://feeds.host.example/ft.xml", "publisher": "ft.com"}
    token = csrf_token_of(client, "/feeds")
    added = client.post("/feeds", data={**form, "csrf_token": token}, follow_redirects=True)
    assert added.status_code == 200 and "The feed is added" in added.text
    again = {**form, "url": form["url"] + "?2", "publisher": "-", "csrf_token": token}
    bad = client.post("/feeds", data=again)
    assert bad.status_code == 400 and "publisher" in bad.text
    with session_scope(seeded.engine) as session:
        vouched = session.exec(select(Feed.url, Feed.publisher).where(Feed.publisher.is_not(None)))
        assert sorted(vouched) == [
            ("https://feeds.host.example/bbc.xml", "bbc.co.uk"),
            ("https://feeds.host.example/ft.xml", "ft.com"),
        ]


def test_the_review_card_says_which_items_are_not_verified(tracked, servers, cli):
    forger, reuters, ap = servers
    poll(tracked, forger.add("/wire.xml", Static(rss([item(reuters.url("/a"), "Treaty signed")]))))
    poll(tracked, ap.add("/top.xml", Static(rss([item(ap.url("/b"), "Geneva treaty")]))))
    match(tracked)
    assert pending(tracked).publishers == ["127.0.0.1", "127.0.0.4"]  # the forger as itself
    card = " ".join(cli("review").output.split())
    assert "(link on 127.0.0.3, not verified: counts for 127.0.0.1)" in card
    assert "link on 127.0.0.4" not in card  # AP's own article
