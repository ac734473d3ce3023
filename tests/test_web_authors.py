"""Author, comparison and question pages (issue 15, item 5): the authors' list, an author's record
(calibration bins opening that author's forecasts only, scores over time, by topic, head to head
with the other authors and a market), ``/compare`` with its Murphy diagram, the question pages
with every forecaster on one chart; the same numbers as the use-case layer, in the pages and the
JSON API; hostile author names escaped everywhere.

The database: the seed article (Dmitri Trenin, 20 forecasts, every question resolved), three more
authors who forecast some of its questions (``question: <id>``): "Ann", "Joanna" (whose name
contains "ann") and an author named ``<script>alert(1)</script>``; and a Manifold price history
on two questions.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import yaml
from fastapi.testclient import TestClient
from scipy import stats
from sqlalchemy import Engine

from tests.conftest import ARTICLE_FILE
from tests.web_fixtures import settings_for
from tracker import service
from tracker.db import session_scope
from tracker.domain.scale import EstimativeScale
from tracker.web import create_app

TRENIN = "Dmitri Trenin"
HOSTILE = "<script>alert(1)</script>"
MARKET = "market:Manifold"
#: every seed question's outcome, as history went
OUTCOMES = {
    "us-implements-russian-demands": "no",
    "nonexpansion-nondeployment-agreement": "no",
    "senate-ratifies-russia-agreement": "no",
    "ukraine-georgia-stay-outside-nato": "yes",
    "bucharest-retraction-madrid": "no",
    "nato-moratorium": "no",
    "no-us-missiles-in-ukraine-agreement": "no",
    "no-nato-bases-in-ukraine-agreement": "no",
    "western-advisers-leave-ukraine": "yes",
    "end-ukraine-western-military-cooperation": "no",
    "nato-withdraws-eastern-infrastructure": "no",
    "intermediate-range-missile-agreement": "no",
    "new-inf-agreement-missile-defense": "no",
    "eastern-flank-confidence-building": "no",
    "russia-military-measures": "yes",
    "new-weapons-to-sensitive-regions": "yes",
    "closer-military-cooperation-belarus": "yes",
    "closer-cooperation-china": "yes",
    "us-nato-written-counterproposals": "yes",
    "congress-new-russia-sanctions": "yes",
}
#: the other authors' forecasts: author -> [(forecast id, seed question, probability)]
OTHERS = {
    "Ann": [
        ("ann-moratorium", "nato-moratorium", 0.15),
        ("ann-measures", "russia-military-measures", 0.8),
        ("ann-sanctions", "congress-new-russia-sanctions", 0.6),
    ],
    "Joanna": [
        ("joanna-moratorium", "nato-moratorium", 0.12),  # Ann's calibration bin, another author
        ("joanna-belarus", "closer-military-cooperation-belarus", 0.4),
    ],
    HOSTILE: [("hostile-china", "closer-cooperation-china", 0.5)],
}
#: the day each of them spoke
SPOKE = {"Ann": date(2022, 2, 1), "Joanna": date(2022, 3, 1), HOSTILE: date(2022, 3, 1)}
#: Manifold's daily prices on two of the seed's questions (CSV rows)
PRICES = [
    ("nato-moratorium", "2022-01-21", 0.2),
    ("nato-moratorium", "2022-02-01", 0.1),
    ("nato-moratorium", "2022-03-01", 0.05),
    ("russia-military-measures", "2022-01-21", 0.6),
    ("russia-military-measures", "2022-02-01", 0.7),
]


def other_file(author: str) -> str:
    day = SPOKE[author].isoformat()
    items = "".join(
        f"""
  - id: {fid}
    question: {question}
    quote: "I put it at {p:.0%}."
    estimate: "{p:.0%}"
    probability: {p}
    opens: {day}
    tags: [second-opinion]
"""
        for fid, question, p in OTHERS[author]
    )
    name = author.replace('"', '\\"')
    head = f'source:\n  title: "{name} on the talks"\n  author: "{name}"\n  published: {day}\n'
    return head + "forecasts:" + items


def seed_authors(engine: Engine, tmp_path: Path) -> None:
    """The database described in the module's docstring."""
    files = [ARTICLE_FILE]
    for n, author in enumerate(OTHERS):
        path = tmp_path / f"author-{n}.yaml"
        path.write_text(other_file(author), encoding="utf-8")
        files.append(path)
    prices = tmp_path / "manifold.csv"
    prices.write_text(
        "question,date,probability,source,kind\n"
        + "".join(f"{q},{d},{p},Manifold,market\n" for q, d, p in PRICES),
        encoding="utf-8",
    )
    scale = EstimativeScale.builtin()
    with session_scope(engine) as session:
        service.import_forecasts(session, files, scale, actor="t", today=date(2022, 3, 2))
        service.import_baseline_file(session, prices, actor="t")
        for question, outcome in OUTCOMES.items():
            service.resolve_forecast(session, question, outcome, actor="t", today=date(2025, 1, 15))


# --- hand computations ------------------------------------------------------------------------


def trenin_p() -> dict[str, float]:
    """Trenin's probability on each seed question, read from the article's file."""
    forecasts = yaml.safe_load(ARTICLE_FILE.read_text(encoding="utf-8"))["forecasts"]
    return {f["id"]: float(f["probability"]) for f in forecasts}


def brier(p: float, question: str) -> float:
    return (p - (1.0 if OUTCOMES[question] == "yes" else 0.0)) ** 2


def mean_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean with its 95 % Student-t interval, clipped to [0, 1] (the Brier's range)."""
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def days(first: date, last: date) -> int:
    return (last - first).days + 1


#: Ann's peer scores, as Metaculus defines them: 100 x (her log score - the mean of the others'),
#: each day of the question (open to close) that she stands, divided by the question's days
ANN_PEER = {
    # Trenin 50 % from Jan 21, Ann 60 % from Feb 1; it happened
    "ann-sanctions": 100
    * math.log(0.6 / 0.5)
    * days(date(2022, 2, 1), date(2022, 12, 31))
    / days(date(2022, 1, 21), date(2022, 12, 31)),
    # Trenin 90 % from Jan 21, Ann 80 % from Feb 1; it happened
    "ann-measures": 100
    * math.log(0.8 / 0.9)
    * days(date(2022, 2, 1), date(2022, 12, 31))
    / days(date(2022, 1, 21), date(2022, 12, 31)),
    # it did not happen: Trenin 30 %, Ann 15 % from Feb 1, Joanna 12 % from Mar 1
    "ann-moratorium": 100
    * (
        math.log(0.85 / 0.7) * days(date(2022, 2, 1), date(2022, 2, 28))
        + (math.log(0.85) - (math.log(0.7) + math.log(0.88)) / 2)
        * days(date(2022, 3, 1), date(2023, 12, 31))
    )
    / days(date(2022, 1, 21), date(2023, 12, 31)),
}


# --- reading pages ------------------------------------------------------------------------------


def text_of(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def table(page: str, table_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert found, f"no table {table_id!r} on the page"
    return found.group(0)


def rows_of(page: str, table_id: str) -> list[list[str]]:
    """The text of each body row's cells (header cells included)."""
    body = re.search(r"<tbody>(.*?)</tbody>", table(page, table_id), re.S).group(1)
    return [
        [text_of(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def links_in(fragment: str, pattern: str = r'href="([^"]+)"') -> list[str]:
    return [html.unescape(h) for h in re.findall(pattern, fragment)]


def figure(page: str, figure_id: str) -> str:
    found = re.search(rf'<figure id="{figure_id}">(.*?)</figure>', page, re.S)
    assert found, f"no figure {figure_id!r} on the page"
    return found.group(1)


def author_path(name: str) -> str:
    return "/authors/" + quote(name, safe="")


def fmt(value: float | None, digits: int = 3) -> str:
    """A number as the pages write it."""
    return "—" if value is None else f"{value:.{digits}f}"


def shows(cell: str, value: float, digits: int = 3) -> bool:
    """Whether ``cell`` is ``value`` rounded to ``digits`` decimals (either way at an exact
    half, where the page's sum and the hand's differ in the last bit)."""
    return (
        len(cell.split(".")[-1]) == digits and abs(float(cell) - value) <= 0.5 * 10**-digits + 1e-12
    )


# --- fixtures -----------------------------------------------------------------------------------


@dataclass
class Site:
    engine: Engine
    client: TestClient

    def get(self, path: str, **params: str) -> str:
        response = self.client.get(path, params=params or None)  # {} would drop path's query
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
        return response.text


@pytest.fixture
def site(engine: Engine, tmp_path: Path):
    seed_authors(engine, tmp_path)
    with TestClient(create_app(settings_for(engine, tmp_path))) as client:
        yield Site(engine, client)


# --- the authors' list --------------------------------------------------------------------------


def test_the_authors_list_shows_each_authors_n_brier_interval_and_marks_too_few(site):
    page = site.get("/authors")
    rows = {r[0]: r for r in rows_of(page, "authors")}
    assert list(rows) == [TRENIN, "Ann", "Joanna", HOSTILE]  # most scored first
    p = trenin_p()
    mean, low, high = mean_interval([brier(p[q], q) for q in OUTCOMES])
    assert rows[TRENIN][1:5] == ["20", "20", fmt(mean), f"{fmt(low)}–{fmt(high)}"]
    ann = [brier(p, q) for _, q, p in OTHERS["Ann"]]
    mean, low, high = mean_interval(ann)
    assert rows["Ann"][1:5] == ["3", "3", fmt(mean), f"{fmt(low)}–{fmt(high)}"]
    assert rows[HOSTILE][1:5] == ["1", "1", "0.250", ""]  # one forecast: no interval
    # fewer than 20 scored forecasts: marked, Trenin's 20 are not
    assert rows[TRENIN][-1] == "" and "too few to judge" not in rows[TRENIN]
    assert all(rows[a][-1] == "too few to judge" for a in ("Ann", "Joanna", HOSTILE))
    assert page.count('<tr class="too-few">') == 3
    # each name opens its page
    assert links_in(table(page, "authors"), r'<td><a href="([^"]+)"') == [
        author_path(a) for a in rows
    ]
    assert site.get(author_path(HOSTILE)).count("too few to judge") >= 1


# --- an author's page ---------------------------------------------------------------------------


def bin_of(p: float, n_bins: int = 10) -> int:
    """The scorecard's bins, by hand: closed on the right, the first one holding 0."""
    return max(0, math.ceil(round(p * n_bins, 9)) - 1)


def test_an_authors_page_shows_the_record_and_scores_with_their_intervals(site):
    page = site.get("/authors/Ann")
    assert re.search(r"<h1>Ann</h1>", page)
    record = text_of(re.search(r'<p id="record">(.*?)</p>', page, re.S).group(1))
    assert (
        record
        == "3 forecasts in 1 source; 3 resolved, 3 scored (resolved and past their close date)."
    )
    assert 'id="too-few"' in page and "fewer than 20" in page
    mean, low, high = mean_interval([brier(p, q) for _, q, p in OTHERS["Ann"]])
    scores = rows_of(page, "author-scores")
    assert scores[0] == ["Brier (lower is better)", fmt(mean), f"95%: {fmt(low)}–{fmt(high)}"]
    with session_scope(site.engine) as session:
        row = next(r for r in service.list_authors(session) if r.name == "Ann")
    assert scores[1][1] == fmt(row.comparison.peer, 1)
    assert scores[2][1] == fmt(row.comparison.relative_brier)
    # Trenin's page has no too-few notice: 20 scored forecasts
    assert 'id="too-few"' not in site.get(author_path(TRENIN))


def test_an_authors_calibration_bins_link_to_that_authors_forecasts_only(site):
    """Ann's and Joanna's forecasts on nato-moratorium share a bin; Joanna's name contains
    "ann", so only the whole-name filter keeps her out of Ann's bin."""
    page = site.get("/authors/Ann")
    ann = {fid: p for fid, _, p in OTHERS["Ann"]}
    bins = {bin_of(p) for p in ann.values()}
    calibration = table(page, "author-calibration")
    table_links = links_in(calibration, r'class="bin-link" href="([^"]+)"')
    diagram_links = links_in(
        figure(page, "reliability-diagram"), r'class="bin-link" href="([^"]+)"'
    )
    expected = [f"/scorecard/bins/{k}?author=Ann&exact_author=true" for k in sorted(bins)]
    assert table_links == expected and sorted(diagram_links) == expected
    counts = [int(r[1]) for r in rows_of(page, "author-calibration")]
    assert counts == [sum(1 for p in ann.values() if bin_of(p) == k) for k in range(10)]
    for link in table_links:
        k = int(re.search(r"/bins/(\d+)", link).group(1))
        found = site.get(link)
        assert sorted(
            links_in(table(found, "bin-forecasts"), r'href="/forecasts/([^"]+)"')
        ) == sorted(fid for fid, p in ann.items() if bin_of(p) == k)
        assert [r[1] for r in rows_of(found, "bin-forecasts")] == ["Ann"]
    shared = bin_of(0.15)
    assert shared == bin_of(0.12)  # Joanna's forecast is in Ann's bin
    by_part_of_name = site.get(f"/scorecard/bins/{shared}", author="Ann")
    assert {r[1] for r in rows_of(by_part_of_name, "bin-forecasts")} == {"Ann", "Joanna"}
    body = site.client.get(
        f"/api/scorecard/bins/{shared}", params={"author": "Ann", "exact_author": "true"}
    ).json()
    assert [item["id"] for item in body["items"]] == ["ann-moratorium"]


def test_an_authors_scores_over_time_and_by_topic(site):
    page = site.get("/authors/Ann")
    # by the quarter each question closed: sanctions and measures in 2022-Q4, the moratorium
    # question in 2023-Q4
    q4_2022 = [brier(0.8, "russia-military-measures"), brier(0.6, "congress-new-russia-sanctions")]
    moratorium = brier(0.15, "nato-moratorium")
    with session_scope(site.engine) as session:
        peers = service.author_record(session, "Ann", resamples=0).peer_by_forecast
    assert peers == pytest.approx(ANN_PEER)
    q4_peer = (ANN_PEER["ann-sanctions"] + ANN_PEER["ann-measures"]) / 2
    assert rows_of(page, "over-time-table") == [
        ["2022-Q4", "2", fmt(sum(q4_2022) / 2), fmt(sum(q4_2022) / 2), fmt(q4_peer, 1)],
        [
            "2023-Q4",
            "1",
            fmt(moratorium),
            fmt((sum(q4_2022) + moratorium) / 3),
            fmt(ANN_PEER["ann-moratorium"], 1),
        ],
    ]
    assert "<svg" in page.split('id="over-time"')[1].split("</figure>")[0]
    mean, low, high = mean_interval([brier(p, q) for _, q, p in OTHERS["Ann"]])
    assert rows_of(page, "author-by-tag") == [
        ["second-opinion", "3", fmt(mean), f"{fmt(low)}–{fmt(high)}", "too few to judge"]
    ]
    # one forecast: no interval, and no stray dashes
    hostile = rows_of(site.get(author_path(HOSTILE)), "author-by-tag")
    assert hostile == [["second-opinion", "1", "0.250", "", "too few to judge"]]


def test_an_authors_head_to_head_rows_against_the_other_authors_and_the_market(site):
    page = site.get("/authors/Ann")
    rows = {r[0]: r[1:] for r in rows_of(page, "head-to-head")}
    assert list(rows) == [TRENIN, "Joanna", MARKET]
    # against Trenin on their three common questions: Ann wins nato-moratorium and the sanctions
    ann = {q: brier(p, q) for _, q, p in OTHERS["Ann"]}
    trenin = {q: brier(trenin_p()[q], q) for q in ann}
    a, b = sum(ann.values()) / 3, sum(trenin.values()) / 3
    assert rows[TRENIN][:2] == ["3", f"{fmt(a)} vs {fmt(b)}"] and shows(rows[TRENIN][2], a - b)
    assert rows[TRENIN][4] == "2–1–0"
    # against Joanna on nato-moratorium: 15 % against 12 % on a NO, Joanna better under every rule
    a, b = brier(0.15, "nato-moratorium"), brier(0.12, "nato-moratorium")
    assert rows["Joanna"][:2] == ["1", f"{fmt(a)} vs {fmt(b)}"] and shows(rows["Joanna"][2], a - b)
    assert rows["Joanna"][4:] == ["0–1–0", "dominated"]
    # against the market at Ann's date (Feb 1): 10 % on the moratorium, 70 % on the measures
    market = (brier(0.1, "nato-moratorium") + brier(0.7, "russia-military-measures")) / 2
    mine = (ann["nato-moratorium"] + ann["russia-military-measures"]) / 2
    assert rows[MARKET][:2] == ["2", f"{fmt(mine)} vs {fmt(market)}"]
    assert shows(rows[MARKET][2], mine - market)
    assert rows[MARKET][4] == "1–1–0"
    with session_scope(site.engine) as session:
        duels = service.author_record(session, "Ann", resamples=200).head_to_head
    for duel in duels:
        low, high = duel.brier_interval.low, duel.brier_interval.high
        assert rows[duel.b][3] == f"{fmt(low)} to {fmt(high)}"
    assert links_in(table(page, "head-to-head"), r'<td><a href="([^"]+)"') == [
        "/compare?" + urlencode({"a": "Ann", "b": b}) for b in rows
    ]
    # the compare form offers every other author and the market
    options = re.findall(r'<option value="([^"]*)"', page)
    assert [html.unescape(o) for o in options] == [TRENIN, "Joanna", HOSTILE, MARKET]


def test_an_authors_forecasts_with_their_own_scores(site):
    page = site.get("/authors/Ann")
    body = re.search(r"<tbody>(.*?)</tbody>", table(page, "author-forecasts"), re.S).group(1)
    found = {
        re.search(r'href="/forecasts/([^"]+)"', row).group(1): row
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    }
    assert sorted(found) == sorted(fid for fid, _, _ in OTHERS["Ann"])
    for fid, question, p in OTHERS["Ann"]:
        y = OUTCOMES[question] == "yes"
        cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", found[fid], re.S)]
        assert cells[1] == f"{p:.0%}" and cells[3] == f"resolved ({OUTCOMES[question]})"
        assert cells[4] == fmt(brier(p, question), 4)
        assert cells[5] == fmt(-math.log(p if y else 1 - p), 4)
        assert f'href="/questions/{question}"' in found[fid]
        assert cells[6] == fmt(ANN_PEER[fid], 1)


# --- head to head -------------------------------------------------------------------------------


def duel_of(engine: Engine, a: str, b: str, resamples: int = 200):
    with session_scope(engine) as session:
        return service.compare_forecasters(session, a, b, resamples=resamples)


def murphy_lines(page: str) -> dict[str, int]:
    """The Murphy diagram's curves: label -> number of points."""
    svg = figure(page, "murphy-diagram")
    assert svg.lstrip().startswith("<svg")
    return {
        html.unescape(title): d.count("L") + 1
        for d, title in re.findall(r'<path d="([^"]+)"[^>]*><title>([^<]*)</title>', svg)
    }


def test_compare_shows_the_services_differences_and_a_murphy_diagram(site):
    page = site.get("/compare", a="Ann", b=TRENIN)
    duel = duel_of(site.engine, "Ann", TRENIN)
    rows = {r[0]: r[1:] for r in rows_of(page, "duel")}
    by_brier, log = duel.brier_interval, duel.log_loss_interval
    assert rows["Brier"] == [
        fmt(duel.brier_a),
        fmt(duel.brier_b),
        fmt(duel.brier_difference),
        f"{fmt(by_brier.low)} to {fmt(by_brier.high)}",
    ]
    assert rows["Log loss"] == [
        fmt(duel.log_loss_a),
        fmt(duel.log_loss_b),
        fmt(duel.log_loss_difference),
        f"{fmt(log.low)} to {fmt(log.high)}",
    ]
    assert duel.brier_difference == pytest.approx(
        sum(brier(p, q) - brier(trenin_p()[q], q) for _, q, p in OTHERS["Ann"]) / 3
    )
    assert "On 3 common questions: Ann won 2, lost 1, tied 0" in page
    # one curve per forecaster, a point per threshold; they cross here
    assert murphy_lines(page) == {"Ann": len(duel.thresholds), TRENIN: len(duel.thresholds)}
    assert duel.dominance == "neither" and "The curves cross" in page
    # 12 % beats 15 % on a NO under every proper scoring rule
    page = site.get("/compare", a="Ann", b="Joanna")
    assert "Joanna dominates" in figure(page, "murphy-diagram")


def test_compare_with_the_market_at_the_authors_dates(site):
    page = site.get("/compare", a="Ann", b=MARKET)
    rows = {r[0]: r[1:] for r in rows_of(page, "duel")}
    ann = (brier(0.15, "nato-moratorium") + brier(0.8, "russia-military-measures")) / 2
    market = (brier(0.1, "nato-moratorium") + brier(0.7, "russia-military-measures")) / 2
    assert rows["Brier"][:2] == [fmt(ann), fmt(market)] and shows(rows["Brier"][2], ann - market)
    assert set(murphy_lines(page)) == {"Ann", MARKET}
    # either way round
    flipped = {r[0]: r[1:] for r in rows_of(site.get("/compare", a=MARKET, b="Ann"), "duel")}
    assert flipped["Brier"][:2] == [fmt(market), fmt(ann)]


# --- questions ----------------------------------------------------------------------------------


def test_the_questions_list_names_every_forecaster(site):
    page = site.get("/questions")
    rows = {
        re.search(r'href="/questions/([^"]+)"', row).group(1): row
        for row in re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)
    }
    assert sorted(rows) == sorted(OUTCOMES)
    moratorium = rows["nato-moratorium"]
    assert links_in(moratorium, r'href="(/authors/[^"]+)"') == [
        author_path(a) for a in ("Ann", TRENIN, "Joanna")
    ]
    cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", moratorium, re.S)]
    assert cells[2:4] == ["resolved (no)", "3"]


def x_of(day: date, start: date, end: date) -> float:
    """Where a day falls on a question chart (line_charts: 48 px left margin, 576 px plot)."""
    return 48 + (day - start).days / (end - start).days * 576


def y_of(p: float) -> float:
    return 260 - p * 244


def test_a_question_page_charts_every_forecaster_the_market_and_the_resolution(site):
    page = site.get("/questions/russia-military-measures")
    svg = figure(page, "question-chart")
    assert svg.lstrip().startswith("<svg")
    paths = re.findall(r'<path d="([^"]+)"[^>]*><title>([^<]*)</title>', svg)
    lines = {title: d for d, title in paths}
    assert list(lines) == [TRENIN, "Ann", "Manifold (market)"]
    start, end = date(2022, 1, 21), date(2022, 12, 31)
    # each held from the day it was said to the close; the market steps from 60 % to 70 %
    assert lines[TRENIN] == f"M48.0,{y_of(0.9):.1f} L624.0,{y_of(0.9):.1f}"
    x = x_of(date(2022, 2, 1), start, end)
    assert lines["Ann"] == f"M{x:.1f},{y_of(0.8):.1f} L624.0,{y_of(0.8):.1f}"
    assert lines["Manifold (market)"] == (
        f"M48.0,{y_of(0.6):.1f} L{x:.1f},{y_of(0.6):.1f} L{x:.1f},{y_of(0.7):.1f} "
        f"L624.0,{y_of(0.7):.1f}"
    )
    # the resolution: recorded after the close, so marked on the close date
    marker = re.search(r'<line x1="([\d.]+)"[^>]*stroke-dasharray="3 3"><title>([^<]+)<', svg)
    assert marker.groups() == ("624.0", "resolved yes")
    rows = {r[0]: r[1:] for r in rows_of(page, "question-forecasts")}
    assert rows[TRENIN][:3] == ["russia-military-measures", "2022-01-21: 90%", "0.0100"]
    assert rows["Ann"][:3] == ["ann-measures", "2022-02-01: 80%", "0.0400"]
    assert rows["Ann"][3] == fmt(ANN_PEER["ann-measures"], 1)
    assert rows_of(page, "question-baselines") == [["Manifold", "market", "2", "2022-02-01: 70%"]]
    assert re.search(r'<p id="resolution">Resolved <strong>yes</strong>', page)


# --- hostile names, unknown names ---------------------------------------------------------------


def test_a_hostile_author_name_is_escaped_on_every_page_and_in_the_svg(site):
    escaped = html.escape(HOSTILE, quote=False)
    pages = {
        "/authors": {},
        author_path(HOSTILE): {},
        "/compare": {"a": HOSTILE, "b": TRENIN},
        "/questions": {},
        "/questions/closer-cooperation-china": {},
        "/forecasts/hostile-china": {},
        "/scorecard": {},
    }
    for path, params in pages.items():
        page = site.get(path, **params)
        assert HOSTILE not in page, path
        assert escaped in page, path
    chart = figure(site.get("/questions/closer-cooperation-china"), "question-chart")
    assert f"<title>{escaped}</title>" in chart and f">{escaped}</text>" in chart  # line, legend
    murphy = figure(site.get("/compare", a=HOSTILE, b=TRENIN), "murphy-diagram")
    assert f"<title>{escaped}</title>" in murphy
    over_time = site.get(author_path(HOSTILE)).split('id="over-time"')[1]
    assert f'aria-label="{escaped}: Brier by quarter"' in over_time
    # the JSON is JSON: the name as it is
    assert site.client.get("/api/authors/" + quote(HOSTILE, safe="")).json()["name"] == HOSTILE


def test_an_unknown_author_or_question_is_a_clear_404(site):
    for path, params, message in [
        ("/authors/Nobody", {}, "no author 'Nobody'; see `tracker authors list`"),
        ("/authors/ann", {}, "no author 'ann'; did you mean 'Ann'?"),
        ("/compare", {"a": "Ann", "b": "Nobody"}, "no author 'Nobody'"),
        ("/compare", {"a": "Ann", "b": "market:Nope"}, "no baseline 'Nope'"),
        ("/questions/no-such-question", {}, "no question 'no-such-question'"),
    ]:
        page = site.client.get(path, params=params)
        assert page.status_code == 404, path
        assert message in html.unescape(page.text) and "<nav" in page.text
        api = site.client.get("/api" + path, params=params)
        assert api.status_code == 404
        assert api.json()["error"] == "not_found" and api.json()["detail"].startswith(message)


# --- the JSON API -------------------------------------------------------------------------------


def as_json(value: object) -> object:
    return json.loads(json.dumps(value))


def test_the_api_gives_the_services_numbers(site):
    api = site.client.get
    with session_scope(site.engine) as session:
        authors = [r.to_json() for r in service.list_authors(session)]
        record = service.author_record(session, "Ann", resamples=200).to_json()
        duel = service.compare_forecasters(session, "Ann", MARKET, resamples=50).to_json()
        view = service.question_view(session, "nato-moratorium").to_json()
        questions = service.list_questions(session, per_page=5)
    assert api("/api/authors").json() == as_json(authors)
    ann = api("/api/authors/Ann").json()
    card = ann.pop("scorecard")
    assert ann == as_json(record)
    assert card["filters"]["author"] == "Ann" and card["filters"]["exact_author"] is True
    assert card["counts"]["scored"] == 3  # Joanna's forecasts are not Ann's
    assert [b["count"] for b in card["calibration"]] == [0, 1, 0, 0, 0, 1, 0, 1, 0, 0]
    assert api("/api/compare", params={"a": "Ann", "b": MARKET, "resamples": 50}).json() == (
        as_json(duel)
    )
    found = api("/api/questions/nato-moratorium").json()
    scores = {f["forecast_id"]: f.pop("score") for f in found["forecasts"]}
    assert found == as_json(view)
    assert scores["ann-moratorium"]["brier"] == pytest.approx(brier(0.15, "nato-moratorium"))
    assert scores["ann-moratorium"]["peer"] == pytest.approx(ANN_PEER["ann-moratorium"])
    listed = api("/api/questions", params={"per_page": 5}).json()
    assert listed["total"] == 20 and listed["items"] == as_json(
        [q.to_json() for q in questions.items]
    )
    # and the hand computations, as a script reads them
    assert ann["brier"] == pytest.approx(
        mean_interval([brier(p, q) for _, q, p in OTHERS["Ann"]])[0]
    )
    assert ann["over_time"][1]["peer"] == pytest.approx(ANN_PEER["ann-moratorium"])


def test_an_authors_page_reads_the_baselines_fingerprint_once_per_request(site, monkeypatch):
    """The record, the forecasts and the authors' list share one reading of the fingerprint per
    request (each is a scan of the baselines' points); the next request reads it again."""
    from tracker.web import scorecards

    calls: dict[str, int] = {}

    def counting(name):
        real = getattr(service, name)

        def counted(session):
            calls[name] = calls.get(name, 0) + 1
            return real(session)

        monkeypatch.setattr(scorecards.service, name, counted)

    counting("baseline_points_fingerprint")
    counting("scores_fingerprint")
    site.get("/authors/Ann")
    assert calls == {"baseline_points_fingerprint": 1, "scores_fingerprint": 1}
    site.get("/authors/Ann")
    assert calls == {"baseline_points_fingerprint": 2, "scores_fingerprint": 2}


def test_with_more_rivals_than_a_pick_list_holds_the_other_name_is_typed(site, monkeypatch):
    """A thousand authors were a thousand options on every author's page."""
    from tracker.domain import registry

    assert '<select name="b">' in site.get("/authors/Ann")
    monkeypatch.setattr(registry, "PICK_LIST_MAX", 1)
    page = site.get("/authors/Ann")
    assert '<select name="b">' not in page and '<input name="b" required' in page
    assert 'action="/compare"' in page
