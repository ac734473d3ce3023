"""The articles pages and their API: search with filters, cursor pages, a bad query as one line
(400), hostile article text inert, an article's page with the forecasts it is evidence for, and
"Propose as evidence for..." from it (a GET search, a POST form per candidate), undone from the
forecast's page.  Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.web_fixtures import csrf_token_of, make_token, sign_in
from tracker.db import session_scope
from tracker.models import Article, Feed
from tracker.search import index_articles

SENATE = "senate-ratifies-russia-agreement"
HOSTILE_TITLE = "<script>alert('t')</script> Moratorium <img src=x onerror=alert(1)>"
HOSTILE_BODY = "Officials said the moratorium <b onmouseover=alert(2)>holds</b> for now."
NOTE = "reports the Senate vote on the treaty"
#: (publisher, title, summary, day) of the stored articles, oldest first
ARTICLES = [
    ("wire-a.example", "Moratorium on enlargement debated", "NATO ministers met.", "2022-03-01"),
    ("wire-b.example", "Senate treaty vote", "The Senate voted on the treaty.", "2022-03-02"),
    ("wire-a.example", "Weather report", "Rain in Brussels.", "2022-03-03"),
    ("wire-c.example", "Sanctions widen", "New sanctions on Moscow.", "2022-03-04"),
    ("wire-b.example", "A quiet week", "Nothing to report.", "2022-03-05"),
]


def store(engine, rows=ARTICLES, *, url: str | None = None, body: str = "") -> dict[str, int]:
    """The articles, each of its publisher's feed, indexed for search; their ids by title."""
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        feeds: dict[str, int] = {}
        for n, (publisher, title, summary, day) in enumerate(rows):
            if publisher not in feeds:
                feed = Feed(
                    url=f"https://{publisher}/rss.xml",
                    site_url=f"https://{publisher}/",
                    title=f"{publisher} feed",
                    interval_s=3600,
                )
                session.add(feed)
                session.flush()
                feeds[publisher] = feed.id
            article = Article(
                feed_id=feeds[publisher],
                identity=f"web-{n}",
                url=url or f"https://{publisher}/{n}",
                title=title,
                summary=summary,
                body=body,
                published_at=datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC),
                content_hash=f"web-{n}",
                publisher=publisher,
            )
            session.add(article)
            session.flush()
            ids[title] = article.id
        index_articles(session, list(ids.values()))
    return ids


def hit_ids(page_html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="article-hit" id="article-(\d+)"', page_html)]


def next_link(page_html: str, rel: str = "next") -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', page_html)
    return html.unescape(found.group(1)) if found else None


# --- the list and the search ------------------------------------------------------------------


def test_articles_page_lists_the_newest_first_and_is_in_the_navigation(client, seeded):
    ids = store(seeded.engine)
    page = client.get("/articles")
    assert page.status_code == 200
    assert '<a href="/articles"' in page.text  # the site navigation
    assert hit_ids(page.text) == [ids[row[1]] for row in reversed(ARTICLES)]
    assert f'href="/articles/{ids["Weather report"]}"' in page.text


def test_search_marks_the_hits_and_filters_narrow_it(client, seeded):
    ids = store(seeded.engine)
    found = client.get("/articles", params={"q": "treaty"})
    assert found.status_code == 200
    assert hit_ids(found.text) == [ids["Senate treaty vote"]]
    assert "<mark>treaty</mark>" in found.text
    both = client.get("/articles", params={"q": "moratorium OR sanctions"})
    assert set(hit_ids(both.text)) == {
        ids["Moratorium on enlargement debated"],
        ids["Sanctions widen"],
    }
    by_publisher = client.get("/articles", params={"publisher": "wire-a.example"})
    assert hit_ids(by_publisher.text) == [
        ids["Weather report"],
        ids["Moratorium on enlargement debated"],
    ]
    dated = client.get("/articles", params={"since": "2022-03-02", "until": "2022-03-03"})
    assert hit_ids(dated.text) == [ids["Weather report"], ids["Senate treaty vote"]]
    api = client.get("/api/articles", params={"q": "treaty", "publisher": "wire-b.example"}).json()
    assert [item["article_id"] for item in api["items"]] == [ids["Senate treaty vote"]]
    assert {"text": "treaty", "hit": True} in api["items"][0]["snippet"]


def test_cursor_pages_walk_every_article_once_and_back(client, seeded):
    ids = store(seeded.engine)
    newest_first = [ids[row[1]] for row in reversed(ARTICLES)]
    texts, path = [], "/articles?per_page=2"
    while path:
        page = client.get(path)
        assert page.status_code == 200
        texts.append(page.text)
        path = next_link(page.text)
        path = "/articles" + path if path else None
    pages = [hit_ids(text) for text in texts]
    assert [i for p in pages for i in p] == newest_first and [len(p) for p in pages] == [2, 2, 1]
    back = client.get("/articles" + next_link(texts[-1], "prev"))
    assert hit_ids(back.text) == pages[1]
    first = client.get("/articles" + next_link(back.text, "prev"))
    assert hit_ids(first.text) == pages[0] and next_link(first.text, "prev") is None

    cursor, api_seen = None, []
    while True:
        body = client.get("/api/articles", params={"per_page": 2, "cursor": cursor}).json()
        api_seen += [item["article_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert api_seen == newest_first


@pytest.mark.parametrize(
    "bad", ['"unbalanced', "x" * 10_000, "the", "-only", "a*", "nul\x00here", "OR"]
)
def test_a_bad_query_is_one_line_above_the_box_never_a_500(client, seeded, bad):
    store(seeded.engine)
    page = client.get("/articles", params={"q": bad})
    assert page.status_code == 400, page.text[:300]
    message = re.search(r'<p class="error" role="alert" id="search-error">([^<]*)</p>', page.text)
    assert message and message.group(1).startswith("q: ") and "\n" not in message.group(1)
    assert 'id="article-search"' in page.text  # the box is still there to fix it
    api = client.get("/api/articles", params={"q": bad})
    assert api.status_code == 400 and api.json()["detail"].startswith("q: ")


@pytest.mark.parametrize("odd", ["100%", "snake_case", "'; DROP TABLE article; --", "a AND b"])
def test_sql_and_like_characters_are_just_text(client, seeded, odd):
    store(seeded.engine)
    assert client.get("/articles", params={"q": odd}).status_code in (200, 400)
    assert client.get("/api/articles", params={"q": odd}).status_code in (200, 400)


def test_a_bad_cursor_or_date_names_the_field(client, seeded):
    store(seeded.engine)
    page = client.get("/articles", params={"cursor": "not-a-cursor"})
    assert page.status_code == 400 and "cursor: " in page.text
    api = client.get("/api/articles", params={"cursor": "not-a-cursor"})
    assert api.status_code == 400 and api.json()["detail"].startswith("cursor: ")
    assert client.get("/api/articles", params={"since": "yesterday"}).status_code == 422


def test_hostile_article_text_stays_inert(client, seeded):
    ids = store(
        seeded.engine,
        [("evil.example", HOSTILE_TITLE, HOSTILE_BODY, "2022-03-01")],
        url="javascript:alert('link')",
        body=HOSTILE_BODY,
    )
    article_id = ids[HOSTILE_TITLE]
    for path in ("/articles?q=moratorium", "/articles", f"/articles/{article_id}"):
        page = client.get(path)
        assert page.status_code == 200
        for raw in ("<script>alert", "<img src=x", "<b onmouseover", "javascript:alert"):
            assert raw not in page.text, (path, raw)
        assert "&lt;script&gt;" in page.text
    assert "<mark>moratorium</mark>" in client.get("/articles?q=moratorium").text.lower()
    assert client.get(f"/api/articles/{article_id}").json()["url"] is None


# --- an article's page and "Propose as evidence for..." ------------------------------------


def test_article_page_proposes_it_as_evidence_and_the_forecast_page_can_detach_it(client, seeded):
    ids = store(seeded.engine)
    article_id = ids["Senate treaty vote"]
    anonymous = client.get(f"/articles/{article_id}")
    assert anonymous.status_code == 200 and "Sign in</a> to attach" in anonymous.text
    assert 'rel="noopener noreferrer nofollow"' in anonymous.text

    sign_in(client)
    found = client.get(f"/articles/{article_id}", params={"fq": "senate treaty"})
    assert f'id="candidate-{SENATE}"' in found.text
    token = csrf_token_of(client, f"/articles/{article_id}")
    refused = client.post(
        f"/articles/{article_id}/attach",
        data={"forecast_id": SENATE, "side": "yes", "note": "", "csrf_token": token},
    )
    assert refused.status_code == 400 and "note: " in refused.text
    done = client.post(
        f"/articles/{article_id}/attach",
        data={"forecast_id": SENATE, "side": "yes", "note": NOTE, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"/forecasts/{SENATE}")
    forecast = client.get(done.headers["location"])
    assert "The article is attached as evidence" in forecast.text
    assert 'attached by <strong class="attached-by">ana</strong>' in forecast.text
    assert NOTE in forecast.text and "Senate treaty vote" in forecast.text
    article = client.get(f"/articles/{article_id}")
    assert f'href="/forecasts/{SENATE}#evidence-' in article.text and "attached by" in article.text

    evidence_id = re.search(r'/evidence/(\d+)/detach"', forecast.text).group(1)
    gone = client.post(
        f"/forecasts/{SENATE}/evidence/{evidence_id}/detach",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert 'class="attached-by"' not in client.get(f"/forecasts/{SENATE}").text


def test_attaching_an_article_from_outside_the_window_says_it_does_not_count(client, seeded):
    ids = store(seeded.engine, [("wire-a.example", "Old news", "From before.", "2021-06-01")])
    sign_in(client)
    token = csrf_token_of(client, f"/articles/{ids['Old news']}")
    done = client.post(
        f"/articles/{ids['Old news']}/attach",
        data={"forecast_id": SENATE, "side": "no", "note": NOTE, "csrf_token": token},
    )
    assert done.status_code == 200 and "it does not count" in done.text
    assert "outside window" in done.text


def test_attaching_needs_the_csrf_token_and_a_signed_in_analyst(client, seeded):
    ids = store(seeded.engine)
    form = {"forecast_id": SENATE, "side": "yes", "note": NOTE}
    anonymous = client.post(
        f"/articles/{ids['Weather report']}/attach", data=form, follow_redirects=False
    )
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    sign_in(client)
    assert client.post(f"/articles/{ids['Weather report']}/attach", data=form).status_code == 403


def test_api_article_and_forecast_search(client, seeded):
    ids = store(seeded.engine)
    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    article_id = ids["Senate treaty vote"]
    client.post(
        f"/api/forecasts/{SENATE}/evidence",
        json={"article_id": article_id, "side": "yes", "note": NOTE},
        headers=headers,
    )
    body = client.get(f"/api/articles/{article_id}").json()
    assert body["title"] == "Senate treaty vote" and body["publisher"] == "wire-b.example"
    assert [(e["forecast_id"], e["attached_by"], e["note"]) for e in body["evidence"]] == [
        (SENATE, "ana", NOTE)
    ]
    assert client.get("/api/articles/999999").status_code == 404
    hits = client.get("/api/search/forecasts", params={"q": "senate"}).json()
    assert SENATE in [hit["forecast_id"] for hit in hits["items"]]
    bad = client.get("/api/search/forecasts", params={"q": '"open'})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("q: ")


def test_the_feed_filter_selects_its_feed_and_combines_with_dates(client, seeded):
    ids = store(seeded.engine)
    with session_scope(seeded.engine) as session:
        feed_id = session.get(Article, ids["Sanctions widen"]).feed_id
    page = client.get("/articles", params={"feed": feed_id})
    assert hit_ids(page.text) == [ids["Sanctions widen"]]
    assert f'<option value="{feed_id}" selected>' in page.text
    week = (datetime(2022, 3, 4) + timedelta(days=1)).date().isoformat()
    assert hit_ids(client.get("/articles", params={"feed": feed_id, "since": week}).text) == []


def test_the_forecasts_search_box_uses_the_same_syntax_and_says_what_is_wrong(client, seeded):
    found = client.get("/forecasts", params={"q": '"senate ratifies"'})
    assert found.status_code == 200 and f'href="/forecasts/{SENATE}"' in found.text
    bad = client.get("/forecasts", params={"q": '"senate'})
    assert bad.status_code == 400
    message = re.search(r'<p class="error" role="alert" id="search-error">([^<]*)</p>', bad.text)
    assert message and message.group(1).startswith("q: ") and "\n" not in message.group(1)
    assert 'role="search"' in bad.text and "0 forecasts" in bad.text


def test_with_more_feeds_than_a_pick_list_holds_the_feed_is_typed_and_still_filters(
    client, seeded, monkeypatch
):
    """Thousands of feeds made the page a 2,000-option list; above the limit the filter is the
    feed's number, which each hit's feed link fills in."""
    from tracker.domain import registry

    ids = store(seeded.engine)
    page = client.get("/articles").text
    assert '<select name="feed">' in page
    monkeypatch.setattr(registry, "PICK_LIST_MAX", 1)
    page = client.get("/articles").text
    assert '<select name="feed">' not in page and "<option" not in page.split('role="search"')[1]
    feed_link = re.search(r'href="/articles\?feed=(\d+)"', page)
    assert feed_link is not None
    filtered = client.get("/articles", params={"feed": feed_link.group(1)}).text
    assert f'name="feed" min="1" value="{feed_link.group(1)}"' in filtered
    assert hit_ids(filtered) and set(hit_ids(filtered)) < set(ids.values())
