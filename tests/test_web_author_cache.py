"""The authors' list and an author's record are cached by the web app (per day, with the
database's scores and the baselines' points as fingerprint): a page read after a change shows
the change.  The database is test_web_authors's (the seed, Ann, Joanna, a hostile name and a
Manifold price history); the numbers are hand computations."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.marketserver import FakeMarket, MarketServer, utc
from tests.test_baselines import pull
from tests.test_web_authors import MARKET, OTHERS, Site, brier, fmt, rows_of, seed_authors
from tests.web_fixtures import settings_for
from tracker import service
from tracker.db import session_scope
from tracker.web import create_app


@pytest.fixture
def site(engine, tmp_path: Path):
    seed_authors(engine, tmp_path)
    with TestClient(create_app(settings_for(engine, tmp_path))) as client:
        yield Site(engine, client)


def ann_row(site: Site) -> list[str]:
    return next(r for r in rows_of(site.get("/authors"), "authors") if r[0] == "Ann")


def duels(site: Site) -> dict[str, list[str]]:
    """Ann's head-to-head rows by rival."""
    return {r[0]: r[1:] for r in rows_of(site.get("/authors/Ann"), "head-to-head")}


def market_row(site: Site) -> list[str]:
    return duels(site)[MARKET]


def compared(site: Site) -> tuple[list[str], float]:
    """Ann and the market's Brier on the compare page, and the market's in the API."""
    page = site.get("/compare", a="Ann", b=MARKET)
    rows = {r[0]: r[1:] for r in rows_of(page, "duel")}
    api = site.client.get("/api/compare", params={"a": "Ann", "b": MARKET}).json()
    return rows["Brier"][:2], api["brier"]["b"]


def moratorium_row(site: Site) -> list[str]:
    """Ann's forecast on the moratorium in her page's forecasts: p, closes, status, Brier ..."""
    page = site.get("/authors/Ann")
    return next(r[1:] for r in rows_of(page, "author-forecasts") if "ann-moratorium" in r[0])


def test_a_new_resolution_shows_on_the_authors_list_the_authors_page_and_compare(site):
    ann = {q: brier(p, q) for _, q, p in OTHERS["Ann"]}
    before = sum(ann.values()) / 3
    # Ann and the market at her date (Feb 1) on the moratorium (NO: 15 % and 10 %) and the
    # measures (YES: 80 % and 70 %)
    assert ann_row(site)[3] == fmt(before)
    assert market_row(site)[1] == f"{fmt((0.15**2 + 0.2**2) / 2)} vs {fmt((0.1**2 + 0.3**2) / 2)}"
    assert site.client.get("/api/authors/Ann").json()["brier"] == pytest.approx(before)
    assert moratorium_row(site)[2:4] == ["resolved (no)", fmt(0.15**2, 4)]
    page, api = compared(site)
    assert page == [fmt((0.15**2 + 0.2**2) / 2), fmt((0.1**2 + 0.3**2) / 2)]
    assert api == pytest.approx((0.1**2 + 0.3**2) / 2)
    with session_scope(site.engine) as session:  # the moratorium is reopened and resolved YES
        service.reopen_forecast(session, "nato-moratorium", actor="t", note="misread")
        service.resolve_forecast(session, "nato-moratorium", "yes", actor="t")
    after = before + (0.85**2 - ann["nato-moratorium"]) / 3
    assert ann_row(site)[3] == fmt(after) != fmt(before)
    assert market_row(site)[1] == f"{fmt((0.85**2 + 0.2**2) / 2)} vs {fmt((0.9**2 + 0.3**2) / 2)}"
    assert site.client.get("/api/authors/Ann").json()["brier"] == pytest.approx(after)
    assert moratorium_row(site)[2:4] == ["resolved (yes)", fmt(0.85**2, 4)]
    page, api = compared(site)
    assert page == [fmt((0.85**2 + 0.2**2) / 2), fmt((0.9**2 + 0.3**2) / 2)]
    assert api == pytest.approx((0.9**2 + 0.3**2) / 2)


def test_new_market_prices_show_on_the_authors_page(site, tmp_path: Path):
    # the market at Ann's date (Feb 1): 10 % on the moratorium (NO), 70 % on the measures (YES)
    assert market_row(site)[1].endswith(f" vs {fmt((0.1**2 + 0.3**2) / 2)}")
    prices = tmp_path / "later.csv"
    prices.write_text(
        "question,date,probability,source,kind\nnato-moratorium,2022-02-01,0.4,Manifold,market\n",
        encoding="utf-8",
    )
    with session_scope(site.engine) as session:
        service.import_baseline_file(session, prices, actor="t")
    assert market_row(site)[1].endswith(f" vs {fmt((0.4**2 + 0.3**2) / 2)}")
    duels = site.client.get("/api/authors/Ann").json()["head_to_head"]
    market = next(d for d in duels if d["b"] == MARKET)
    assert market["brier"]["b"] == pytest.approx((0.4**2 + 0.3**2) / 2)


def test_a_pulls_prices_show_on_the_authors_page(site, tmp_path: Path):
    """A pull writes points without an audit entry: the baselines' points are in the cache's
    fingerprint."""
    with MarketServer() as api:
        api.add(
            FakeMarket(
                id="mkt9",
                slug="russian-military-measures",
                created=utc(2022, 1, 20),
                probability=0.6,
                trades=[(utc(2022, 1, 25, 10), 0.5, 0.6)],
            )
        )
        with session_scope(site.engine) as session:
            added = service.add_market_baseline(
                session, "russia-military-measures", "russian-military-measures",
                name="Pulled", actor="t", now=utc(2022, 1, 21),
            )  # fmt: skip
        assert "market:Pulled" not in duels(site)  # no price yet
        pull(site.engine, api, tmp_path, added.baseline.id, utc(2022, 2, 2, 12))
    # on Feb 1, Ann's day: Ann 80 % and the market 60 % on the measures, which happened
    assert duels(site)["market:Pulled"][:2] == ["1", f"{fmt(0.2**2)} vs {fmt(0.4**2)}"]
