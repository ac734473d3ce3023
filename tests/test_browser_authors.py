"""Author pages in real headless Chromium (issue 15, item 5, and its "done when"): an analyst
opens the authors' list, an author, clicks a calibration bin (a row of the table, a point of the
reliability diagram) and lands on that author's forecasts of the bin (not those of "Joanna",
whose name contains "Ann"); then opens a head to head and reads its Murphy diagram.  The
database is tests/test_web_authors.py's."""

from __future__ import annotations

import math
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser import serve_in_thread
from tests.test_web_authors import HOSTILE, OTHERS, TRENIN, seed_authors
from tests.web_fixtures import settings_for
from tracker import db
from tracker.web import create_app

#: Ann's forecasts and their probabilities
ANN = {fid: p for fid, _, p in OTHERS["Ann"]}


@pytest.fixture
def authors_app(sqlite_url, tmp_path):
    """The app on tests/test_web_authors.py's database; yields its base URL."""
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    seed_authors(engine, tmp_path)
    with serve_in_thread(create_app(settings_for(engine, tmp_path))) as base_url:
        yield base_url
    engine.dispose()


def bin_of(p: float, n_bins: int = 10) -> int:
    """The scorecard's bins, by hand: closed on the right, the first one holding 0."""
    return max(0, math.ceil(round(p * n_bins, 9)) - 1)


def listed(page) -> tuple[set[str], set[str]]:
    """(forecast ids, authors) of the bin page's table."""
    table = page.locator("#bin-forecasts")
    hrefs = table.locator("a").evaluate_all("links => links.map(a => a.pathname)")
    authors = table.locator("tbody tr td:nth-child(2)").all_inner_texts()
    return {h.removeprefix("/forecasts/") for h in hrefs}, set(authors)


def test_open_an_authors_calibration_bin_and_land_on_their_forecasts(
    browser_page, authors_app, tmp_path
):
    base_url, page = authors_app, browser_page
    page.goto(f"{base_url}/authors")
    page.locator("#authors").get_by_role("link", name="Ann", exact=True).click()
    expect(page).to_have_url(f"{base_url}/authors/Ann")
    expect(page.locator("h1")).to_have_text("Ann")
    page.screenshot(path=str(tmp_path / "author.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'author.png'}")

    # a row of the calibration table: the bin Ann shares with Joanna
    shared = bin_of(ANN["ann-moratorium"])
    link = page.locator("#author-calibration a.bin-link").first
    label = link.inner_text()
    link.click()
    expect(page).to_have_url(f"{base_url}/scorecard/bins/{shared}?author=Ann&exact_author=true")
    expect(page.locator("h1")).to_have_text(f"Forecasts of {label}")
    expect(page.locator("#bin-count")).to_have_text("1")
    assert listed(page) == ({"ann-moratorium"}, {"Ann"})

    # a point of the reliability diagram: the highest bin Ann used
    page.go_back()
    expect(page).to_have_url(f"{base_url}/authors/Ann")
    page.locator("#reliability-diagram a.bin-link").last.locator("circle").click()
    top = max(bin_of(p) for p in ANN.values())
    expect(page).to_have_url(f"{base_url}/scorecard/bins/{top}?author=Ann&exact_author=true")
    assert listed(page) == ({f for f, p in ANN.items() if bin_of(p) == top}, {"Ann"})


def test_open_a_head_to_head_from_an_authors_page_and_see_the_murphy_diagram(
    browser_page, authors_app, tmp_path
):
    base_url, page = authors_app, browser_page
    page.goto(f"{base_url}/authors/Ann")
    page.locator("#head-to-head").get_by_role("link", name=TRENIN).click()
    expect(page).to_have_url(re.compile(r"/compare\?a=Ann&b=Dmitri\+Trenin$"))
    expect(page.locator("h1")).to_have_text(f"Ann against {TRENIN}")
    murphy = page.locator("#murphy-diagram svg")
    expect(murphy).to_be_visible()
    expect(murphy.locator("path")).to_have_count(2)
    expect(page.locator("#murphy-diagram figcaption")).to_contain_text("The curves cross")
    page.locator("#murphy-diagram").screenshot(path=str(tmp_path / "murphy.png"))
    print(f"screenshot: {tmp_path / 'murphy.png'}")

    # the form beside the table: Ann against the market, at her dates
    page.go_back()
    page.get_by_label("Compare with").select_option("market:Manifold")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/compare\?a=Ann&b=market%3AManifold$"))
    expect(page.locator("#duel tbody tr").first).to_contain_text("Brier")
    expect(page.locator("#murphy-diagram svg path")).to_have_count(2)


def test_a_hostile_authors_page_opens_from_the_list_and_runs_nothing(browser_page, authors_app):
    """A name with markup and a slash: the link leads to its page, the name shows as text (a
    dialog would fail the test, see tests/browser.py)."""
    base_url, page = authors_app, browser_page
    page.goto(f"{base_url}/authors")
    page.locator("#authors").get_by_role("link", name=HOSTILE).click()
    expect(page).to_have_url(f"{base_url}/authors/{quote(HOSTILE, safe='')}")
    expect(page.locator("h1")).to_have_text(HOSTILE)
    page.locator("#head-to-head").get_by_role("link", name=TRENIN).click()
    expect(page.locator("h1")).to_have_text(f"{HOSTILE} against {TRENIN}")
    expect(page.locator("#murphy-diagram svg")).to_be_visible()
