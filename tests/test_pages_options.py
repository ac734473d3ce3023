"""The full-text option of a feed (fetch each new article's page) in every front end: `tracker
feeds add --full-text` and `tracker feeds full-text ID on|off`, the feeds page's checkbox and
button, the API, and OPML export and import (``tracker:fetchArticles="true"``, still valid OPML);
and the suggestion to turn it on for a feed whose entries are teasers."""

from __future__ import annotations

import json
from datetime import timedelta

import defusedxml.ElementTree as SafeET
from sqlalchemy import update

from tests.web_fixtures import csrf_token_of, make_token, sign_in
from tracker import db, ingest
from tracker.db import session_scope
from tracker.models import Article

URL = "https://teasers.example/rss.xml"
WHOLE = "https://whole.example/rss.xml"


def feeds_json(cli) -> dict[str, dict]:
    return {f["url"]: f for f in json.loads(cli("feeds", "list", "--format", "json").output)}


def test_the_cli_turns_the_option_on_and_off_and_opml_keeps_it(cli, tmp_path):
    cli("init")
    out = " ".join(cli("feeds", "add", URL, "--full-text").output.split())
    assert "each new article's page will be fetched" in out
    cli("feeds", "add", "https://plain.example/rss.xml")
    listed = feeds_json(cli)
    assert listed[URL]["fetch_articles"] is True
    assert listed["https://plain.example/rss.xml"]["fetch_articles"] is False

    exported = tmp_path / "feeds.opml"
    cli("feeds", "export-opml", "--output", exported)
    document = exported.read_text(encoding="utf-8")
    root = SafeET.fromstring(document.encode())  # well-formed, no DTD: still plain OPML 2.0
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert 'xmlns:tracker="urn:forecast-tracker:opml"' in document
    outlines = {o.get("xmlUrl"): o for o in root.iter("outline")}
    assert outlines[URL].get("{urn:forecast-tracker:opml}fetchArticles") == "true"
    assert (
        outlines["https://plain.example/rss.xml"].get("{urn:forecast-tracker:opml}fetchArticles")
        is None
    )

    feed_id = listed[URL]["id"]
    assert "no longer fetched" in " ".join(cli("feeds", "full-text", feed_id, "off").output.split())
    assert feeds_json(cli)[URL]["fetch_articles"] is False
    cli("feeds", "full-text", feed_id, "on")
    assert feeds_json(cli)[URL]["fetch_articles"] is True
    refused = cli("feeds", "full-text", 999, "on", ok=False)
    assert refused.exit_code != 0 and "feed" in refused.output and "999" in refused.output

    # a fresh tracker imports the export with the option
    from tests.conftest import Cli

    other = Cli(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other")
    other("init")
    other("feeds", "import-opml", exported)
    imported = feeds_json(other)
    assert imported[URL]["fetch_articles"] is True
    assert imported["https://plain.example/rss.xml"]["fetch_articles"] is False


def test_feeds_list_suggests_the_option_for_a_feed_of_teasers(cli, database_url):
    cli("init")
    cli("feeds", "add", URL)
    cli("feeds", "add", WHOLE)
    engine = db.make_engine(database_url)
    with session_scope(engine) as session:
        ids = {feed.url: feed.id for feed in ingest.list_feeds(session)}
        for i in range(12):  # each feed's newest are its own: teasers on one, whole on the other
            session.add(
                Article(
                    feed_id=ids[URL] if i % 2 else ids[WHOLE],
                    identity=f"i{i}",
                    title=f"Story {i}",
                    summary="A teaser. Read more on our site.",
                    body="" if i % 2 else "The whole story. " * 100,
                    content_hash=f"h{i}",
                )
            )
    listed = feeds_json(cli)[URL]
    assert listed["suggest_full_text"] is True
    assert feeds_json(cli)[WHOLE]["suggest_full_text"] is False
    assert "give only teasers" in " ".join(cli("feeds", "list").output.split())
    with session_scope(engine) as session:  # once the feed gives whole articles: no suggestion
        session.execute(update(Article).values(body="The whole story. " * 100))
    assert feeds_json(cli)[URL]["suggest_full_text"] is False
    cli("feeds", "full-text", listed["id"], "on")
    assert feeds_json(cli)[URL]["suggest_full_text"] is False
    engine.dispose()


def test_the_feeds_page_and_the_api_set_the_option(seeded, client):
    sign_in(client)
    token = csrf_token_of(client, "/feeds")
    added = client.post(
        "/feeds",
        data={"url": URL, "full_text": "true", "csrf_token": token},
        follow_redirects=True,
    )
    assert added.status_code == 200 and "Fetch pages" not in added.text.split(URL)[1][:2000]
    feed = next(f for f in client.get("/api/feeds").json()["items"] if f["url"] == URL)
    assert feed["fetch_articles"] is True and feed["suggest_full_text"] is False
    off = client.post(
        f"/feeds/{feed['id']}/full-text", data={"csrf_token": token}, follow_redirects=True
    )
    assert "no longer fetched" in off.text
    assert (
        next(f for f in client.get("/api/feeds").json()["items"] if f["url"] == URL)[
            "fetch_articles"
        ]
        is False
    )

    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    on = client.post(
        f"/api/feeds/{feed['id']}/full-text", json={"full_text": True}, headers=headers
    )
    assert on.status_code == 200 and on.json()["fetch_articles"] is True
    created = client.post(
        "/api/feeds",
        json={"url": "https://other.example/rss", "full_text": True, "interval": "1h"},
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["fetch_articles"] is True
    assert (
        client.post(
            "/api/feeds/999999/full-text", json={"full_text": True}, headers=headers
        ).status_code
        == 404
    )
    with session_scope(seeded.engine) as session:
        assert ingest.get_feed(session, feed["id"]).interval_s == int(
            timedelta(minutes=30).total_seconds()
        )
