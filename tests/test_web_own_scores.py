"""Where they were wrong, on the web (issue 15, item 4): each forecast's own scores on its page,
in the list and in the API; the scorecard's costliest forecasts; every calibration bin opening the
list of its forecasts, under the same filters, as a page and as JSON."""

from __future__ import annotations

import html
import math
import re

import pytest

from tests.web_fixtures import OUTCOMES, resolve_some

#: a forecast of the seed left unresolved by :func:`resolve_some`
UNRESOLVED = "senate-ratifies-russia-agreement"


def probabilities(client) -> dict[str, float]:
    items = client.get("/api/forecasts", params={"per_page": 200}).json()["items"]
    return {item["id"]: item["probability"] for item in items}


def by_hand(p: float, outcome: str) -> tuple[float, float]:
    """(Brier, log loss) of one forecast (none of the seed's is clipped)."""
    y = 1.0 if outcome == "yes" else 0.0
    return (p - y) ** 2, -math.log(p if y else 1.0 - p)


def bin_of(p: float, n_bins: int = 10) -> int:
    """The scorecard's rule, by hand: bins closed on the right, the first one holding 0."""
    return max(0, math.ceil(round(p * n_bins, 9)) - 1)


def ids_in(page: str, table_id: str) -> list[str]:
    """The forecasts a table links to (none when the page has no such table)."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    return re.findall(r'href="/forecasts/([^"]+)"', table.group(0)) if table else []


def rows_of(page: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


@pytest.fixture
def resolved(seeded, client):
    resolve_some(seeded.engine)
    return probabilities(client)


def test_a_forecast_page_shows_its_own_scores_and_an_unresolved_one_none(client, resolved):
    fid = "nato-moratorium"  # resolved no
    brier, loss = by_hand(resolved[fid], "no")
    page = client.get(f"/forecasts/{fid}").text
    assert re.search(r'id="own-brier"><strong>([\d.]+)<', page).group(1) == f"{brier:.4f}"
    assert re.search(r'id="own-log-loss">([\d.]+)<', page).group(1) == f"{loss:.4f}"
    assert "Lower is better" in page and 'href="/scorecard/scores#own-scores"' in page
    assert client.get("/scorecard/scores").status_code == 200
    blank = client.get(f"/forecasts/{UNRESOLVED}").text
    assert 'id="own-score"' not in blank and "own-brier" not in blank


def test_the_list_has_a_brier_column_empty_for_unresolved_forecasts(client, resolved):
    page = client.get("/forecasts", params={"per_page": 200}).text
    cells = dict(
        re.findall(r'href="/forecasts/([^"]+)">.*?<td class="num own-brier">(.*?)</td>', page, re.S)
    )
    assert len(cells) == 21
    for fid, cell in cells.items():
        if fid in OUTCOMES:
            brier, loss = by_hand(resolved[fid], OUTCOMES[fid].value)
            assert f">{brier:.4f}<" in cell and f"log loss {loss:.4f}" in cell
        else:
            assert cell == ""  # nothing, not 0


def test_the_api_list_and_detail_carry_the_scores(client, resolved):
    items = client.get("/api/forecasts", params={"per_page": 200}).json()["items"]
    for item in items:
        if item["id"] not in OUTCOMES:
            assert item["score"] is None
            continue
        outcome = OUTCOMES[item["id"]].value
        brier, loss = by_hand(item["probability"], outcome)
        score = item["score"]
        assert score["outcome"] == outcome and score["peer"] is None
        assert (score["brier"], score["log_loss"]) == pytest.approx((brier, loss))
        assert score["time_weighted_brier"] == pytest.approx(brier)  # no dated updates here
    detail = client.get("/api/forecasts/russia-military-measures").json()
    assert detail["score"]["brier"] == pytest.approx(
        by_hand(resolved["russia-military-measures"], "yes")[0]
    )
    assert client.get(f"/api/forecasts/{UNRESOLVED}").json()["score"] is None


def test_the_scorecard_lists_its_costliest_forecasts(client, resolved):
    page = client.get("/scorecard").text
    expected = sorted(OUTCOMES, key=lambda f: (-by_hand(resolved[f], OUTCOMES[f].value)[0], f))
    assert ids_in(page, "costliest-forecasts") == expected
    top = rows_of(page, "costliest-forecasts")[0]
    brier, loss = by_hand(resolved[expected[0]], OUTCOMES[expected[0]].value)
    assert top[4:6] == [f"{brier:.4f}", f"{loss:.4f}"]
    body = client.get("/api/scorecard", params={"resamples": 0}).json()
    assert [w["id"] for w in body["worst"]] == expected
    assert body["worst"][0]["log_loss"] == pytest.approx(loss)


def test_each_bin_lists_exactly_its_forecasts_with_the_scorecards_row(client, resolved):
    page = client.get("/scorecard").text
    table = rows_of(page, "calibration")
    links = re.findall(r'<a class="bin-link" href="(/scorecard/bins/\d+)"', page)
    # the table's non-empty rows and the diagram's points lead to the same bins
    assert len(links) == 2 * sum(1 for row in table if row[1] != "0") >= 4
    for k in range(10):
        members = sorted(f for f in OUTCOMES if bin_of(resolved[f]) == k)
        assert int(table[k][1]) == len(members)
        found = client.get(f"/scorecard/bins/{k}")
        assert found.status_code == 200
        assert sorted(ids_in(found.text, "bin-forecasts")) == members
        assert re.search(r'id="bin-count">(\d+)<', found.text).group(1) == table[k][1]
        assert re.search(r'id="bin-mean">([^<]+)<', found.text).group(1) == table[k][2]
        assert re.search(r'id="bin-observed">([^<]+)<', found.text).group(1) == table[k][3]
        body = client.get(f"/api/scorecard/bins/{k}").json()
        assert sorted(item["id"] for item in body["items"]) == members
        assert body["count"] == body["total"] == len(members) and body["bin"] == k
        if members:
            assert body["mean_forecast"] == pytest.approx(
                sum(resolved[f] for f in members) / len(members)
            )


def test_a_bin_carries_the_scorecards_filters(client, resolved):
    params = {"tag": "nato", "n_bins": "5"}
    page = client.get("/scorecard", params=params).text
    links = {html.unescape(h) for h in re.findall(r'class="bin-link" href="([^"]+)"', page)}
    assert links and all(h.endswith("?tag=nato&n_bins=5") for h in links)
    nato = [
        f
        for f in OUTCOMES
        if f in {"us-implements-russian-demands", "nato-moratorium", "bucharest-retraction-madrid"}
    ]
    table = rows_of(page, "calibration")
    assert len(table) == 5 and sum(int(r[1]) for r in table) == len(nato)
    for link in links:
        k = int(re.search(r"/bins/(\d+)", link).group(1))
        members = sorted(f for f in nato if bin_of(resolved[f], 5) == k)
        found = client.get(link).text
        assert sorted(ids_in(found, "bin-forecasts")) == members
        assert 'href="/scorecard?tag=nato&amp;n_bins=5"' in found  # back to the same scorecard
        body = client.get(f"/api/scorecard/bins/{k}", params=params).json()
        assert sorted(i["id"] for i in body["items"]) == members
        assert body["filters"]["tag"] == "nato" and body["filters"]["n_bins"] == 5
        assert body["label"] == table[k][0]


def test_a_bin_out_of_range_is_a_clear_404(client, resolved):
    page = client.get("/scorecard/bins/10")
    assert page.status_code == 404
    assert "no calibration bin 10; the 10 bins are numbered 0 to 9" in page.text
    api = client.get("/api/scorecard/bins/5", params={"n_bins": 5})
    assert api.status_code == 404
    assert api.json() == {
        "error": "not_found",
        "detail": "no calibration bin 5; the 5 bins are numbered 0 to 4",
    }
    assert client.get("/api/scorecard/bins/-1").status_code == 422
    # a filter given twice, or a day that is not YYYY-MM-DD, is refused rather than guessed at
    twice = client.get("/api/scorecard/bins/0", params=[("tag", "nato"), ("tag", "military")])
    assert twice.status_code == 422 and twice.json()["detail"][0]["loc"] == ["query", "tag"]
    assert client.get("/api/scorecard/bins/0", params={"resolved_to": "0.0"}).status_code == 422
    assert client.get("/scorecard/bins/lowest").status_code == 422
