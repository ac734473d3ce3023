"""The pages and the JSON API as an analyst reads them: lists, detail, escaping, headers, errors,
nav."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web_fixtures import (
    FORECAST_ID,
    HOSTILE_ID,
    sign_in,
)
from tracker.errors import (
    BadCredentialsError,
    ConfigError,
    ConflictError,
    CsrfError,
    LifecycleError,
    NotFoundError,
    NotSignedInError,
    StorageError,
    TrackerError,
)
from tracker.web import create_app
from tracker.web.app import ROUTERS
from tracker.web.errors import classify
from tracker.web.security import CONTENT_SECURITY_POLICY


def all_ids(client: TestClient, **params: str) -> list[str]:
    body = client.get("/api/forecasts", params={**params, "per_page": "200"}).json()
    return [item["id"] for item in body["items"]]


def test_search_filters_sort_and_pages(client):
    every = all_ids(client)
    assert len(every) == 21 and HOSTILE_ID in every
    # search (the full-text index): question, quote, criteria and its phrases, case-insensitive
    assert all_ids(client, q="MORATORIUM") and all(
        "moratorium" in client.get(f"/api/forecasts/{i}").text.lower()
        for i in all_ids(client, q="MORATORIUM")
    )
    assert all_ids(client, q="non-existent") == [FORECAST_ID]  # a word only in its quote
    assert all_ids(client, q="100%") == []  # LIKE wildcards are taken literally
    nato = client.get("/api/forecasts", params={"tag": "nato", "per_page": "200"}).json()["items"]
    assert nato and all("nato" in f["tags"] for f in nato)
    assert all_ids(client, author="trenin") == [i for i in every if i != HOSTILE_ID]
    assert all_ids(client, author="mallory") == [HOSTILE_ID]
    assert all_ids(client, source="trenin-2022-01-21") == all_ids(client, author="Trenin")
    assert all_ids(client, status="resolved") == []
    probabilities = [
        f["probability"]
        for f in client.get(
            "/api/forecasts", params={"sort": "-probability", "per_page": "200"}
        ).json()["items"]
    ]
    assert probabilities == sorted(probabilities, reverse=True)
    closes = [
        f["closes"]
        for f in client.get("/api/forecasts", params={"per_page": "200"}).json()["items"]
    ]
    assert closes == sorted(closes)
    # pages: disjoint, in order, together the whole list, each read after the last one's cursor
    first = client.get("/api/forecasts", params={"per_page": "8"}).json()
    assert (first["total"], len(first["items"]), first["prev_cursor"]) == (21, 8, None)
    paged, cursor = [], None
    while True:
        params = {"per_page": "8", **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/forecasts", params=params).json()
        paged += [i["id"] for i in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert paged == every
    # an old numbered link past the first page reads the first page, with a note
    old = client.get("/api/forecasts", params={"page": "9", "per_page": "8"}).json()
    assert [i["id"] for i in old["items"]] == every[:8] and "first page" in old["note"]


def test_list_page_filters_and_paginates(client):
    page = client.get("/forecasts", params={"tag": "nato", "per_page": "2", "status": "", "q": ""})
    assert page.status_code == 200
    assert re.search(r"\d+ forecasts</p>", page.text)
    following = re.search(
        r'rel="next" href="\?tag=nato&amp;per_page=2&amp;cursor=([\w-]+)"', page.text
    )
    assert following and 'rel="prev"' not in page.text and 'rel="first"' not in page.text
    assert page.text.count("<tr>") == 1 + 2  # header + two rows
    second = client.get(f"/forecasts?tag=nato&per_page=2&cursor={following[1]}")
    assert (
        'rel="prev"' in second.text and 'rel="first" href="?tag=nato&amp;per_page=2"' in second.text
    )
    old = client.get("/forecasts?tag=nato&per_page=2&page=2")
    assert old.status_code == 200 and 'id="page-note"' in old.text and 'rel="prev"' not in old.text
    assert "No forecast matches" in client.get("/forecasts", params={"q": "zzz-nothing"}).text


def test_with_more_authors_and_sources_than_a_pick_list_holds_they_are_typed(client, monkeypatch):
    """A thousand authors and sources made every forecasts page 117 KB of options; above the
    limit the author field has no list and the source is typed by its key, and both filter."""
    from tracker.domain import registry

    listed = client.get("/forecasts").text
    assert '<datalist id="authors">' in listed and '<select name="source">' in listed
    monkeypatch.setattr(registry, "PICK_LIST_MAX", 1)
    for path in ("/forecasts", "/scorecard", "/exports"):
        page = client.get(path).text
        assert '<datalist id="authors">' not in page and '<select name="source">' not in page, path
        assert '<input name="source" value=""' in page, path
    typed = client.get("/forecasts", params={"source": "trenin-2022-01-21"}).text
    assert '<input name="source" value="trenin-2022-01-21"' in typed
    assert re.search(r"(\d+) forecasts</p>", typed).group(1) == str(
        len(all_ids(client, source="trenin-2022-01-21"))
    )


def test_detail_page_shows_quote_source_history_rules_and_audit(client):
    page = client.get(f"/forecasts/{FORECAST_ID}").text
    assert "are non-existent" in page  # the quote
    assert (
        '<a href="https://www.themoscowtimes.com/2022/01/21/what-a-week-of-talks-between-russia-and-the-west-'
        'revealed-a76108" rel="noopener noreferrer nofollow" target="_blank">'
    ) in page
    assert re.search(
        r'<svg class="chart" role="img"[^>]*aria-label="Probability history: 2022-01-21: 2%"', page
    )
    assert re.search(r'<path class="line" d="M[\d.]+,[\d.]+ H[\d.]+"/>', page)
    assert "formally accepts Russia" in page  # criteria
    assert "<code>accepts Russian demands</code>" in page  # an evidence rule
    assert "<td>importer</td><td>create</td>" in page  # the audit log
    assert "Sign in</a> to resolve" in page  # no forms for anonymous readers
    assert 'id="resolve-form"' not in page


def test_hostile_text_from_a_forecast_file_is_escaped_and_its_link_dropped(client):
    for path in ("/forecasts", f"/forecasts/{HOSTILE_ID}", f"/forecasts?q={HOSTILE_ID}"):
        html = client.get(path).text
        assert (
            "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
        ), path
        assert "javascript:" not in html, path
    detail = client.get(f"/forecasts/{HOSTILE_ID}").text
    assert (
        "&lt;script&gt;alert(&#39;question&#39;)&lt;/script&gt; Will the markup stay inert?"
        in detail
    )
    assert "&lt;img src=x onerror=alert(&#39;quote&#39;)&gt; It is likely." in detail
    assert (
        "&lt;b&gt;Bold&lt;/b&gt; claims" in detail
    )  # the source title, shown as text and not as a link
    api = client.get(f"/api/forecasts/{HOSTILE_ID}").json()
    assert api["source"]["url"] is None and api["question"].startswith(
        "<script>"
    )  # JSON is data, kept as is
    assert client.get(f"/api/forecasts/{HOSTILE_ID}").headers["content-type"] == "application/json"


def test_security_headers_on_every_response(client):
    for path in (
        "/forecasts",
        f"/forecasts/{HOSTILE_ID}",
        "/api/forecasts",
        "/static/style.css",
        "/no-such-page",
        "/login",
        "/api/openapi.json",
    ):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert csp == CONTENT_SECURITY_POLICY, path
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp
            and "frame-ancestors 'none'" in csp
        )
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
        assert (headers.get("cache-control") == "no-store") == (not path.startswith("/static/")), (
            path
        )


def test_errors_are_html_for_pages_and_json_for_the_api(client):
    missing = client.get("/api/forecasts/no-such-forecast")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert "no forecast 'no-such-forecast'" in missing.json()["detail"]
    page = client.get("/forecasts/no-such-forecast")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "no forecast &#39;no-such-forecast&#39;" in page.text and "<nav" in page.text
    assert client.get("/forecasts/%3Cscript%3E").status_code == 404
    bad = client.get("/api/forecasts", params={"page": "0"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "page"]
    bad_page = client.get("/forecasts", params={"status": "maybe"})
    assert bad_page.status_code == 422 and "status" in bad_page.text and "<nav" in bad_page.text
    unknown = client.get("/no-such-page")
    assert unknown.status_code == 404 and "Not found" in unknown.text
    assert client.get("/api/no-such").json() == {"error": "not_found", "detail": "Not Found"}
    assert client.get("/api/forecasts", params={"q": "a\x00b"}).status_code == 422


def test_error_kinds_map_to_statuses():
    cases = {
        NotFoundError("forecast", "x"): 404,
        NotSignedInError(): 401,
        BadCredentialsError("x"): 401,
        CsrfError(): 403,
        LifecycleError("x", "open", "open"): 409,
        ConflictError("user", "x"): 409,
        StorageError("x"): 503,
        ConfigError("x"): 500,
        TrackerError("x"): 400,
    }
    assert {type(e).__name__: classify(e)[0] for e in cases} == {
        type(e).__name__: s for e, s in cases.items()
    }


def test_nav_shows_only_sections_that_exist(client, web_settings):
    html = client.get("/forecasts").text
    nav = re.search(r'<nav aria-label="Sections">(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r">(\w+)</a>", nav) == [
        "Scorecard",
        "Forecasts",
        "Articles",
        "Questions",
        "Authors",
        "Review",
        "Feeds",
        "Exports",
    ]
    assert re.findall(r'aria-current="page">(\w+)<', nav) == ["Forecasts"]
    assert client.get("/", follow_redirects=False).headers["location"] == "/scorecard"
    # a section appears by registering a route under its nav name: without the review router, no
    # Review
    from tracker.web.pages import review as review_pages

    index = ROUTERS.index(review_pages.router)
    ROUTERS.remove(review_pages.router)
    try:
        with TestClient(create_app(web_settings)) as without_review:
            nav = re.search(
                r'<nav aria-label="Sections">(.*?)</nav>',
                without_review.get("/forecasts").text,
                re.S,
            ).group(1)
            assert re.findall(r">(\w+)</a>", nav) == [
                "Scorecard",
                "Forecasts",
                "Articles",
                "Questions",
                "Authors",
                "Feeds",
                "Exports",
            ]
    finally:
        ROUTERS.insert(index, review_pages.router)


def test_signed_in_analyst_sees_the_actions_and_can_reopen(client):
    sign_in(client)
    page = client.get(f"/forecasts/{FORECAST_ID}").text
    assert 'id="resolve-form"' in page and 'id="reopen-form"' not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        f"/forecasts/{FORECAST_ID}/resolve",
        data={"outcome": "yes", "note": "", "csrf_token": token},
    )
    page = client.get(f"/forecasts/{FORECAST_ID}").text
    assert (
        'id="reopen-form"' in page and 'id="resolve-form"' not in page and "resolved (yes)" in page
    )
    empty = client.post(f"/forecasts/{FORECAST_ID}/reopen", data={"note": " ", "csrf_token": token})
    assert empty.status_code == 400 and "note: reopening forecast" in empty.text
    done = client.post(
        f"/forecasts/{FORECAST_ID}/reopen",
        data={"note": "<b>wrong</b> source", "csrf_token": token},
    )
    assert done.status_code == 200 and "The forecast is reopened." in done.text
    assert "&lt;b&gt;wrong&lt;/b&gt; source" in done.text  # the analyst's note is escaped too


def test_openapi_describes_the_api_only(client):
    schema = client.get("/api/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/forecasts",
        "/api/forecasts/{forecast_id}",
        "/api/forecasts/{forecast_id}/resolve",
        "/api/forecasts/{forecast_id}/updates",
        "/api/forecasts/{forecast_id}/reopen",
        "/api/me",
        "/api/health",
        "/api/scorecard",
        "/api/scorecard/bins/{k}",
        "/api/reports/calibration",
        "/api/feeds",
        "/api/feeds/{feed_id}",
        "/api/feeds/{feed_id}/enable",
        "/api/feeds/{feed_id}/disable",
        "/api/feeds/{feed_id}/full-text",
        "/api/forecasts/{forecast_id}/evidence",
        "/api/review",
        "/api/proposals/{proposal_id}/confirm",
        "/api/proposals/{proposal_id}/reject",
        "/api/sources",
        "/api/sources/extract",
        "/api/authors",
        "/api/authors/{name}",
        "/api/compare",
        "/api/questions",
        "/api/questions/{question_id}",
        "/api/forecasts/{forecast_id}/evidence/{evidence_id}",
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/search/forecasts",
        "/api/audit",
    }
    attach = schema["paths"]["/api/forecasts/{forecast_id}/evidence"]["post"]
    assert {"201", "400", "401", "403", "404", "409"} <= set(attach["responses"])
    assert attach["security"] == [{"APIToken": []}]
    save = schema["paths"]["/api/sources"]["post"]
    assert {"201", "400", "401", "403", "409", "422"} <= set(save["responses"])
    assert save["security"] == [{"APIToken": []}]
    report = schema["paths"]["/api/reports/calibration"]["get"]
    assert set(report["responses"]["200"]["content"]) == {
        "text/html",
        "text/csv",
        "application/json",
        "image/png",
        "text/markdown",
        "application/pdf",
        "application/zip",  # the CSV report: one file per table; text/csv is one table
    }
    resolve = schema["paths"]["/api/forecasts/{forecast_id}/resolve"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(resolve["responses"])
    for action in ("confirm", "reject"):
        decide = schema["paths"][f"/api/proposals/{{proposal_id}}/{action}"]["post"]
        assert {"200", "400", "401", "403", "404", "409", "422"} <= set(decide["responses"])
        assert decide["security"] == [{"APIToken": []}]
    assert client.get("/api/health").json() == {"status": "ok", "schema_current": True}


def test_links_are_the_paths_starlette_gives_for_every_route(web_app):
    """The templates' ``path_for`` fills a route's path looked up once; for every named route
    with parameters, and values a convertor writes as they are or might not (a slash, a space,
    a negative number), it gives what Starlette's ``url_path_for`` gives, or raises as it does."""
    from starlette.routing import NoMatchFound

    from tracker.web.templating import fast_path_for

    def every(routes: list) -> list:  # through FastAPI's included routers
        found = []
        for route in routes:
            inner = getattr(route, "original_router", None)
            found += every(inner.routes) if inner is not None else [route]
        return found

    routes = [
        (route.name, route.param_convertors)
        for route in every(web_app.routes)
        if getattr(route, "param_convertors", None)
    ]
    assert len(routes) > 10
    samples = {"int": [0, 7, 123456789, -1], "str": ["nato-moratorium", "a.b_c~d", "two words"]}
    for name, convertors in routes:
        kinds = {p: "int" if type(c).__name__ == "IntegerConvertor" else "str"
                 for p, c in convertors.items()}  # fmt: skip
        for i in range(4):
            params = {p: samples[kind][i % len(samples[kind])] for p, kind in kinds.items()}
            try:
                expected: object = str(web_app.url_path_for(name, **params))
            except (AssertionError, NoMatchFound, ValueError) as exc:
                expected = type(exc)
            for _ in range(2):  # the second time from what the first kept
                try:
                    got: object = fast_path_for(web_app, name, params)
                except (AssertionError, NoMatchFound, ValueError) as exc:
                    got = type(exc)
                assert got == expected, (name, params)
    # the second time, from the route's path looked up once
    assert fast_path_for(web_app, "forecast", {"forecast_id": "x-1"}) == "/forecasts/x-1"
    assert fast_path_for(web_app, "forecast", {"forecast_id": "y-2"}) == "/forecasts/y-2"
    static = str(web_app.url_path_for("static", path="/review.js"))  # a slash: Starlette's, kept
    assert fast_path_for(web_app, "static", {"path": "/review.js"}) == static
    assert ("static", ("path",), ("/review.js",)) in web_app.state.path_cache
    assert fast_path_for(web_app, "static", {"path": "/review.js"}) == static
