"""Full text, stored and matched: a feed's body is kept beside its teaser, the matcher reads it,
and the evidence says which field its sentence came from.

On the code before full-text articles the body was only hashed: the deciding sentence below,
which is in the body alone, gave no evidence.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.conftest import FORECASTS
from tests.feedserver import FeedServer, Static
from tracker import resolution
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.ingest import AddressGuard, Fetcher, Poller, add_feed
from tracker.ingest._parse import MAX_BODY
from tracker.models import Article, Evidence

TEASER = "Foreign ministers met in Madrid on Tuesday."
DECIDING = (
    "After a long night, NATO leaders agreed to a moratorium on new members for the next decade."
)


def _feed(site: str, body_html: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Ledger</title><link>https://{site}/</link>"
        "<item><title>Summit ends</title>"
        f"<link>https://{site}/2022/06/summit</link><guid>summit-1</guid>"
        "<pubDate>Wed, 29 Jun 2022 18:00:00 +0000</pubDate>"
        "<dc:creator>Ana Lind</dc:creator><category>NATO</category><category>Summits</category>"
        f"<description>{TEASER}</description>"
        f"<content:encoded><![CDATA[{body_html}]]></content:encoded>"
        "</item></channel></rss>"
    ).encode()


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def poller(engine):
    with Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
        yield Poller(engine, fetcher)


def _poll(engine, server, poller, path, document):
    url = server.add(path, Static(document))
    with session_scope(engine) as session:
        feed_id = add_feed(session, url, interval=timedelta(hours=1)).id
    return poller.poll_feed(feed_id).new_article_ids


def test_the_body_is_stored_beside_the_teaser_and_its_sentence_is_evidence(engine, server, poller):
    files = registry.load_files([FORECASTS / "trenin-2022-01-21.yaml"], EstimativeScale.builtin())
    with session_scope(engine) as session:
        registry.import_files(session, files, today=date(2022, 1, 21), actor="tester")
    body = f"<p>{TEASER}</p><p>Talks went on past midnight.</p><p><b>{DECIDING}</b></p>"
    [article_id] = _poll(engine, server, poller, "/ledger.xml", _feed("ledger.example", body))
    with session_scope(engine) as session:
        article = session.get(Article, article_id)
        assert article.summary == TEASER
        assert DECIDING in article.body and article.body_source == "feed"
        assert (article.author, article.categories) == ("Ana Lind", ["NATO", "Summits"])
        assert not article.text_truncated
    resolution.catch_up(engine, resolution.RuleSet())
    with session_scope(engine) as session:
        [evidence] = session.exec(
            select(Evidence).where(Evidence.question_id == "nato-moratorium")
        ).all()
    assert (evidence.side, evidence.field, evidence.negated) == ("yes", "body", False)
    assert evidence.sentence == DECIDING


def test_a_body_over_the_limit_is_cut_and_says_so(engine, server, poller):
    paragraph = "<p>" + "word " * 199 + "end.</p>"  # 1,000 characters of text
    body = paragraph * (MAX_BODY // 1000 + 20)
    [article_id] = _poll(engine, server, poller, "/long.xml", _feed("long.example", body))
    with session_scope(engine) as session:
        article = session.get(Article, article_id)
    assert article.text_truncated and MAX_BODY - 1000 < len(article.body) <= MAX_BODY
