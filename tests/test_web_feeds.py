"""The feeds page and /api/feeds: health at a glance, hostile text inert, changes by analysts
only."""

from __future__ import annotations

import re

from tests.web_fixtures import (
    HOSTILE_FEED_TITLE,
    HOSTILE_FEED_URL,
    csrf_token_of,
    make_token,
    sign_in,
)


def feed_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="feed state-(\w+)" id="feed-\d+">', page)


def test_feeds_page_shows_health_failing_first_and_escapes_feed_text(client):
    page = client.get("/feeds").text
    main = page.split("<main>")[1]
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Evil feed &lt;img src=x onerror=alert(1)&gt;" in main
    )
    assert (
        "<script" not in main and "<img" not in main and "javascript:" not in main
    )  # site link dropped
    assert (
        "<code>parse</code>" in main
        and "&lt;img src=x onerror=alert(&#39;error&#39;)&gt; bad XML" in main
    )
    assert "failing since" in main and f'href="{HOSTILE_FEED_URL}"' in main
    assert (
        "Sign in</a> to add" in main and "<form" not in main.split("</table>")[0]
    )  # no actions for readers


def test_analyst_adds_disables_enables_and_removes_feeds_through_the_forms(client):
    assert sign_in(client).status_code == 303
    token = csrf_token_of(client, "/feeds")
    added = client.post(
        "/feeds",
        data={
            "url": "https://news.example.org/rss.xml",
            "title": "Example news",
            "interval": "2h",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert added.status_code == 200 and "The feed is added" in added.text
    feeds = client.get("/api/feeds").json()["items"]
    assert [f["state"] for f in feeds] == ["failing", "new"]  # failing first
    new = feeds[1]
    assert (new["url"], new["title"], new["interval_s"]) == (
        "https://news.example.org/rss.xml",
        "Example news",
        7200,
    )

    for url, interval, message in [
        ("ftp://news.example.org/feed", "", "only http and https"),
        ("https://news.example.org/rss.xml", "", "already added as feed"),
        ("https://other.example.org/feed", "5s", "shorter than one minute"),
        ("https://other.example.org/feed", "90d", "longer than 30 days"),
    ]:
        refused = client.post(
            "/feeds", data={"url": url, "interval": interval, "csrf_token": token}
        )
        assert refused.status_code == 400 and message in refused.text, (url, refused.text[-800:])
        assert f'value="{url}"' in refused.text  # the form keeps what was typed
    assert len(client.get("/api/feeds").json()["items"]) == 2

    disabled = client.post(
        f"/feeds/{new['id']}/disable",
        data={"reason": "paywalled <b>now</b>", "csrf_token": token},
        follow_redirects=True,
    )
    assert (
        "The feed is disabled" in disabled.text
        and "paywalled &lt;b&gt;now&lt;/b&gt;" in disabled.text
    )
    feed = next(f for f in client.get("/api/feeds").json()["items"] if f["id"] == new["id"])
    assert feed["state"] == "disabled" and feed["next_check_at"] is None
    client.post(f"/feeds/{new['id']}/enable", data={"csrf_token": token})
    assert (
        next(f for f in client.get("/api/feeds").json()["items"] if f["id"] == new["id"])["state"]
        == "new"
    )
    removed = client.post(
        f"/feeds/{new['id']}/remove", data={"csrf_token": token}, follow_redirects=True
    )
    assert (
        "The feed is removed" in removed.text and len(client.get("/api/feeds").json()["items"]) == 1
    )


def test_feed_changes_need_an_analyst_and_the_csrf_token(client):
    feed_id = client.get("/api/feeds").json()["items"][0]["id"]
    anonymous = client.post(f"/feeds/{feed_id}/disable", data={}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert client.post("/api/feeds", json={"url": "https://x.example.org/"}).status_code == 401
    sign_in(client)
    forged = client.post(f"/feeds/{feed_id}/remove", data={"csrf_token": "not-the-token"})
    assert forged.status_code == 403
    assert client.get("/api/feeds").json()["items"][0]["id"] == feed_id


def test_feeds_api_with_a_token(seeded, client):
    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    created = client.post(
        "/api/feeds",
        json={"url": " https://news.example.org/atom ", "interval": "15m"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    feed = created.json()
    assert (
        feed["url"] == "https://news.example.org/atom"
        and feed["state"] == "new"
        and feed["interval_s"] == 900
    )
    script = client.post("/api/feeds", json={"url": "javascript:alert(1)"}, headers=headers)
    assert script.status_code == 400 and "only http and https" in script.json()["detail"]
    no_host = client.post("/api/feeds", json={"url": "http:///feed.xml"}, headers=headers)
    assert no_host.status_code == 400 and "no host" in no_host.json()["detail"]
    twice = client.post(
        "/api/feeds", json={"url": "https://news.example.org/atom"}, headers=headers
    )
    assert (
        twice.status_code == 400 and f"already added as feed {feed['id']}" in twice.json()["detail"]
    )
    off = client.post(
        f"/api/feeds/{feed['id']}/disable", json={"reason": "noisy"}, headers=headers
    ).json()
    assert (off["state"], off["disabled_reason"]) == ("disabled", "noisy")
    assert client.post(f"/api/feeds/{feed['id']}/enable", headers=headers).json()["state"] == "new"
    hostile = next(
        f for f in client.get("/api/feeds").json()["items"] if f["url"] == HOSTILE_FEED_URL
    )
    assert (
        hostile["title"] == HOSTILE_FEED_TITLE and hostile["site_url"] is None
    )  # data as is, no bad link
    assert client.delete(f"/api/feeds/{feed['id']}", headers=headers).json() == {
        "id": feed["id"],
        "articles_kept": 0,
    }
    assert client.delete(f"/api/feeds/{feed['id']}", headers=headers).status_code == 404


def test_the_feeds_page_is_read_a_page_at_a_time_with_the_tally_of_all(seeded, client):
    """At 2,000 feeds the page drew every one (3 s); it shows 100 a page, failing ones first,
    and counts all of them."""
    from tracker.db import session_scope
    from tracker.models import Feed
    from tracker.service import FEEDS_PER_PAGE

    before = client.get("/api/feeds").json()["items"]
    with session_scope(seeded.engine) as session:
        for n in range(FEEDS_PER_PAGE):
            session.add(Feed(url=f"https://many{n}.example/rss.xml", interval_s=1800))
    total = len(before) + FEEDS_PER_PAGE
    first = client.get("/feeds").text
    rows = feed_rows(first)
    assert len(rows) == FEEDS_PER_PAGE and rows[0] == "failing"
    assert f"{total} feeds: " in first and f"{FEEDS_PER_PAGE} a page" in first
    following = re.search(r'<a rel="next" href="\?cursor=([^"#]+)"', first)
    assert following is not None
    second = client.get("/feeds", params={"cursor": following.group(1)}).text
    assert len(feed_rows(second)) == total - FEEDS_PER_PAGE and 'rel="prev"' in second
    assert client.get("/feeds", params={"cursor": "e30"}).status_code == 400
