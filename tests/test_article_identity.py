"""Identity without loss: distinct items are kept, a syndicated story is stored once.

Each of the first three tests stores fewer articles on the code before full-text articles
(the canonical URL was unique across the table and dropped the fragment).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.feedserver import FeedServer, Static, rss
from tracker.db import session_scope
from tracker.ingest import AddressGuard, Fetcher, Poller, add_feed
from tracker.models import Article, ArticleFeed


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def poller(engine):
    with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
        yield Poller(engine, fetcher)


def _feed(engine, server, path, items, **kw):
    url = server.add(path, Static(rss(items, **kw)))
    with session_scope(engine) as session:
        return add_feed(session, url, interval=timedelta(hours=1)).id


def _stored(engine, feed_id):
    with session_scope(engine) as session:
        return list(
            session.exec(select(Article).where(Article.feed_id == feed_id).order_by(Article.id))
        )


def test_a_comments_feed_keeps_every_comment_on_one_page(engine, server, poller):
    items = [
        {
            "title": f"Comment on The talks by reader {i}",
            "link": f"https://blog.example/talks#comment-{i}",
            "guid": f"https://blog.example/?comment={i}",
        }
        for i in range(10)
    ]
    feed_id = _feed(engine, server, "/comments.xml", items)
    result = poller.poll_feed(feed_id)
    stored = _stored(engine, feed_id)
    assert len(result.new_article_ids) == len(stored) == 10
    # the canonical link drops the anchor; the link as the feed gave it is kept beside it
    assert {article.url for article in stored} == {"https://blog.example/talks"}
    assert [article.original_url for article in stored] == [item["link"] for item in items]


def test_a_link_blog_whose_items_all_point_at_the_front_page_keeps_them_all(engine, server, poller):
    items = [
        {"title": f"Worth reading #{i}", "link": "https://links.example/", "guid": f"tag:{i}"}
        for i in range(43)
    ]
    feed_id = _feed(engine, server, "/links.xml", items)
    poller.poll_feed(feed_id)
    assert len(_stored(engine, feed_id)) == 43
    poller.poll_feed(feed_id, force=True)  # polling again stores nothing twice
    assert len(_stored(engine, feed_id)) == 43


def test_items_with_different_guids_and_one_link_and_title_are_two_articles(engine, server, poller):
    same = {"title": "Live: the summit", "link": "https://news.example/live"}
    feed_id = _feed(engine, server, "/live.xml", [{**same, "guid": "live-1"}])
    poller.poll_feed(feed_id)
    server.add("/live.xml", Static(rss([{**same, "guid": "live-1"}, {**same, "guid": "live-2"}])))
    assert len(poller.poll_feed(feed_id, force=True).new_article_ids) == 1
    assert len(_stored(engine, feed_id)) == 2


def test_a_syndicated_story_is_stored_once_and_linked_to_both_feeds(engine, server, poller):
    story = {
        "title": "NATO rules out a moratorium",
        "link": "https://wire.example/nato-moratorium?utm_source=partner",
        "description": "The alliance said no.",
    }
    origin = _feed(engine, server, "/wire.xml", [{**story, "guid": "wire-1"}])
    partner = _feed(
        engine,
        server,
        "/partner.xml",
        [{**story, "guid": "partner-99", "link": "https://wire.example/nato-moratorium"}],
        link="https://partner.example/",
    )
    assert len(poller.poll_feed(origin).new_article_ids) == 1
    assert poller.poll_feed(partner).new_article_ids == []
    with session_scope(engine) as session:
        articles = list(session.exec(select(Article)))
        links = list(session.exec(select(ArticleFeed)))
    assert len(articles) == 1 and articles[0].feed_id == origin
    assert [(link.article_id, link.feed_id) for link in links] == [(articles[0].id, partner)]
    poller.poll_feed(partner, force=True)  # seen again: still one link, no second article
    with session_scope(engine) as session:
        assert len(list(session.exec(select(ArticleFeed)))) == 1


def test_entries_without_guid_are_told_apart_by_link_and_title(engine, server, poller):
    items = [
        {"title": "Morning briefing", "link": "https://news.example/briefing"},
        {"title": "Evening briefing", "link": "https://news.example/briefing"},
        {"title": "Evening briefing", "link": "https://news.example/briefing"},  # a repeat
    ]
    feed_id = _feed(engine, server, "/briefing.xml", items)
    poller.poll_feed(feed_id)
    assert [article.title for article in _stored(engine, feed_id)] == [
        "Morning briefing",
        "Evening briefing",
    ]


def test_a_feeds_articles_include_the_stories_it_carried_second(engine, server, poller):
    from tracker.ingest import list_articles

    story = {"title": "Talks resume", "link": "https://wire.example/talks", "guid": "t-1"}
    first = _feed(engine, server, "/first.xml", [story])
    second = _feed(engine, server, "/second.xml", [story, {**story, "guid": "t-2", "title": "Own"}])
    poller.poll_feed(first)
    poller.poll_feed(second)
    with session_scope(engine) as session:
        titles = [a.title for a in list_articles(session, feed_id=second)]
    assert sorted(titles) == ["Own", "Talks resume"]
