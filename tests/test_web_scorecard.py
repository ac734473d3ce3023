"""The scorecard page, its JSON API and the report downloads, as an analyst uses them."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from tests.report_files import csv_files
from tests.web_fixtures import (
    OUTCOMES,
    make_token,
    resolve_some,
)
from tracker.db import session_scope
from tracker.scoring import ScorecardFilter, compute_scorecard


def expected_brier(client, ids: list[str]) -> float:
    """The Brier score computed by hand from the forecasts' probabilities (the API's detail)."""
    pairs = [
        (client.get(f"/api/forecasts/{i}").json()["probability"], OUTCOMES[i].value == "yes")
        for i in ids
    ]
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs)


def stat(page: str, key: str) -> int:
    return int(re.search(rf'id="count-{key}">(\d+)<', page).group(1))


def table_rows(page: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def plain(cell: str) -> str:
    """A cell's text without its markup (a link, the interval under a mean)."""
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def test_scorecard_page_shows_scores_counts_diagrams_and_breakdowns(seeded, client):
    empty = client.get("/scorecard").text
    assert stat(empty, "scored") == 0 and "nothing to score" in empty
    resolve_some(seeded.engine)
    page = client.get("/scorecard")
    assert page.status_code == 200
    text = page.text
    assert stat(text, "scored") == len(OUTCOMES) and stat(text, "unresolved") == 21 - len(OUTCOMES)
    brier = float(
        re.search(r"Brier \(0–1\)</td><td class=\"num\"><strong>([\d.]+)<", text).group(1)
    )
    assert brier == pytest.approx(expected_brier(client, list(OUTCOMES)), abs=5e-4)
    # the report's own SVG diagrams, inline: reliability with Wilson bars per non-empty bin,
    # sharpness bars
    reliability = re.search(r'<svg class="diagram reliability".*?</svg>', text, re.S).group(0)
    assert (
        reliability.count('class="wilson"') == len(re.findall(r'<g class="bin">', reliability)) >= 2
    )
    sharpness = re.search(r'<svg class="diagram sharpness".*?</svg>', text, re.S).group(0)
    assert sharpness.count('class="bar"') == 10
    assert sum(int(n) for n in re.findall(r"<title>(\d+) forecast\(s\)</title>", sharpness)) == len(
        OUTCOMES
    )
    authors = table_rows(text, "breakdown-author")
    assert [plain(r[0]) for r in authors] == ["Dmitri Trenin"]
    assert authors[0][1] == str(len(OUTCOMES))
    assert 'href="/authors/Dmitri%20Trenin"' in authors[0][0]  # the author's page
    # under the mean Brier, its 95% interval
    low, high = map(float, re.search(r"([\d.]+)–([\d.]+)</div>", authors[0][4]).groups())
    assert low <= float(plain(authors[0][4]).split()[0]) <= high
    tags = {r[0]: int(r[1]) for r in table_rows(text, "breakdown-tag")}
    assert tags["nato"] == 3 and tags["military"] == 2  # nato: demands, moratorium, bucharest
    assert "<script" not in text.split("<main>")[1]


def test_breakdowns_sort_on_the_server_by_header_links(seeded, client):
    resolve_some(seeded.engine)
    page = client.get("/scorecard", params={"sort_tag": "-brier"}).text
    rows = table_rows(page, "breakdown-tag")
    briers = [float(plain(r[4]).split()[0]) for r in rows]
    assert briers == sorted(briers, reverse=True) and len(rows) > 3
    header = re.search(r'<table[^>]*id="breakdown-tag".*?</thead>', page, re.S).group(0)
    # the sorted column says so and its link reverses it; other links keep this sort of the tag
    # table
    assert re.search(r'aria-sort="descending"><a href="\?sort_tag=brier#by-tag">Brier', header)
    assert 'href="?sort_tag=name#by-tag"' in header
    ascending = [
        r[0] for r in table_rows(client.get("/scorecard?sort_tag=name").text, "breakdown-tag")
    ]
    assert ascending == sorted(ascending)
    # filters survive in the sort links
    filtered = client.get("/scorecard", params={"tag": "nato", "sort_author": "brier"}).text
    assert 'href="?tag=nato&amp;sort_author=-brier#by-author"' in filtered
    assert client.get("/scorecard?sort_tag=bogus").status_code == 422


def test_breakdown_tables_come_a_page_at_a_time_in_their_sort_order(seeded, client, monkeypatch):
    """With a thousand authors the whole tables were most of the page; each shows a page of
    rows, with links that keep the filters, sorts and the other tables' pages."""
    from tracker.web.pages import scorecard

    resolve_some(seeded.engine)
    everything = [plain(r[0]) for r in table_rows(client.get("/scorecard").text, "breakdown-tag")]
    monkeypatch.setattr(scorecard, "BREAKDOWN_PER_PAGE", 3)
    seen, path = [], "/scorecard?tag=&sort_author=brier"
    for _ in range(len(everything)):
        page = client.get(path.replace("&amp;", "&")).text
        seen += [plain(r[0]) for r in table_rows(page, "breakdown-tag")]
        nav = re.search(r'aria-label="Pages of the tag table">(.*?)</nav>', page, re.S).group(1)
        following = re.search(r'<a rel="next" href="([^"]+)"', nav)
        if not following:
            break
        path = "/scorecard" + following.group(1).split("#")[0]
        assert "sort_author=brier" in path  # the author table's order is kept
    assert seen == everything and len(everything) > 3
    assert f"of {len(everything)} (tags), page" in nav
    # a new order starts on page 1; a page past the end shows the last one
    later = client.get("/scorecard?page_tag=2").text
    header = re.search(r'<table[^>]*id="breakdown-tag".*?</thead>', later, re.S).group(0)
    assert "page_tag" not in header
    last = client.get("/scorecard?page_tag=999").text
    assert [plain(r[0]) for r in table_rows(last, "breakdown-tag")] == everything[
        -len(table_rows(last, "breakdown-tag")) :
    ]
    assert client.get("/scorecard?page_tag=0").status_code == 422


def test_filters_by_date_author_and_tag(seeded, client):
    resolve_some(seeded.engine)
    today = date.today().isoformat()
    assert stat(
        client.get("/scorecard", params={"resolved_from": today, "resolved_to": today}).text,
        "scored",
    ) == len(OUTCOMES)
    assert stat(client.get("/scorecard", params={"resolved_to": "2022-12-31"}).text, "scored") == 0
    assert stat(client.get("/scorecard", params={"author": "mallory"}).text, "scored") == 0
    nato = client.get("/scorecard", params={"tag": "nato", "resolved_from": "", "author": ""}).text
    assert stat(nato, "scored") == 3
    backwards = client.get(
        "/scorecard", params={"resolved_from": "2024-01-02", "resolved_to": "2024-01-01"}
    )
    assert backwards.status_code == 400 and "give the earlier date first" in backwards.text
    api = client.get(
        "/api/scorecard", params={"resolved_from": "2024-01-02", "resolved_to": "2024-01-01"}
    )
    assert api.status_code == 400 and api.json()["error"] == "bad_request"


def test_api_scorecard_is_the_scorecard_json(seeded, client):
    resolve_some(seeded.engine)
    body = client.get("/api/scorecard", params={"tag": "nato", "resamples": "300"}).json()
    with session_scope(seeded.engine) as session:
        card = compute_scorecard(
            session, ScorecardFilter(tag="nato", as_of=date.today(), resamples=300)
        )
    assert body == {**card.to_json(), "generated_at": body["generated_at"]}
    assert body["schema_version"] == 1 and body["scores"]["bootstrap"]["resamples"] == 300
    assert client.get("/api/scorecard").json()["scores"]["bootstrap"]["resamples"] == 1000


def test_scorecard_is_cached_until_the_data_changes(seeded, client, web_app):
    resolve_some(seeded.engine)
    cache = web_app.state.scorecards
    first = stat(client.get("/scorecard").text, "scored")
    computed = cache.computed
    for _ in range(3):
        assert stat(client.get("/scorecard").text, "scored") == first
    assert cache.computed == computed  # served from the cache
    token = make_token(seeded.engine)
    resolved = client.post(
        "/api/forecasts/closer-cooperation-china/resolve",
        json={"outcome": "no"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resolved.status_code == 200
    assert stat(client.get("/scorecard").text, "scored") == first + 1  # a resolution shows at once
    assert cache.computed == computed + 1
    client.post(
        "/api/forecasts/closer-cooperation-china/reopen",
        json={"note": "too early"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert stat(client.get("/scorecard").text, "scored") == first


def test_the_api_scorecard_json_is_kept_with_its_card_until_the_data_changes(
    seeded, client, web_app
):
    """The JSON is written once per card (770 KB at 100,000 forecasts) and sent again while the
    data holds; a resolution changes it at once, as it changes the card."""
    resolve_some(seeded.engine)
    cache = web_app.state.scorecards
    first = client.get("/api/scorecard")
    assert first.headers["content-type"] == "application/json"
    written = cache._json.computed
    for _ in range(3):
        assert client.get("/api/scorecard").content == first.content
    assert cache._json.computed == written
    token = make_token(seeded.engine)
    client.post(
        "/api/forecasts/closer-cooperation-china/resolve",
        json={"outcome": "no"},
        headers={"Authorization": f"Bearer {token}"},
    )
    after = client.get("/api/scorecard").json()
    assert after["counts"] != first.json()["counts"]
    assert cache._json.computed == written + 1


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("html", "text/html; charset=utf-8"),
        ("csv", "application/zip"),
        ("json", "application/json"),
        ("png", "image/png"),
        ("md", "text/markdown; charset=utf-8"),
        ("pdf", "application/pdf"),
    ],
)
def test_report_downloads_have_type_name_and_content(seeded, client, fmt, media_type):
    resolve_some(seeded.engine)
    response = client.get("/api/reports/calibration", params={"format": fmt, "tag": "nato"})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == (
        f'attachment; filename="calibration-nato-{date.today().isoformat()}.'
        f'{"zip" if fmt == "csv" else fmt}"'
    )
    body = response.content
    if fmt == "png":
        assert body[:8] == b"\x89PNG\r\n\x1a\n" and len(body) > 20_000
    elif fmt == "json":
        assert (
            json.loads(body)["counts"]["scored"] == 3
            and json.loads(body)["filters"]["tag"] == "nato"
        )
    elif fmt == "csv":
        rows = csv_files(body)["summary"]
        assert (
            rows[0][0] == "measure"
            and ["Forecasts scored", "3", "", "", "resolved yes/no, close date passed"] in rows
        )
    elif fmt == "pdf":
        assert body.startswith(b"%PDF-") and b"<script" not in body
    elif fmt == "html":
        assert b'<svg class="diagram reliability"' in body and b"<script" not in body
    else:
        assert body.startswith(b"# Calibration report: tag nato")


def test_exports_page_links_every_format_for_the_filter(seeded, client):
    resolve_some(seeded.engine)
    page = client.get("/exports", params={"tag": "nato", "author": ""}).text
    links = re.findall(r'<a href="([^"]+)" download="([^"]+)" class="download"', page)
    assert [name.rsplit(".", 1)[1] for _, name in links] == [
        "html",
        "zip",
        "json",
        "png",
        "md",
        "pdf",
    ]
    for href, _ in links:
        assert href.startswith("/api/reports/calibration?tag=nato&amp;format=")
        assert client.get(href.replace("&amp;", "&")).status_code == 200
    assert "3 forecast(s) scored" in page


def test_untrusted_filter_text_stays_out_of_the_file_name(seeded, client):
    response = client.get(
        "/api/reports/calibration", params={"format": "md", "author": '"; x=<script>/../'}
    )
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(
        r'attachment; filename="calibration-x-script-\d{4}-\d{2}-\d{2}\.md"', disposition
    )
