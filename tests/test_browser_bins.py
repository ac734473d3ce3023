"""Where they were wrong, in real headless Chromium (issue 15, item 4): on the scorecard an
analyst opens a calibration bin (a row of the table, a point of the reliability diagram) and lands
on the list of that bin's forecasts under the same filters, then opens one of them and reads its
own score."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import expect

from tests.browser import serve_in_thread
from tests.test_browser import sign_in_at
from tests.web_fixtures import OUTCOMES, resolve_some, seed, settings_for
from tracker import db
from tracker.db import session_scope
from tracker.models import Forecast
from tracker.web import create_app

#: the seed's forecasts tagged nato among those resolve_some resolves
NATO = {"us-implements-russian-demands", "nato-moratorium", "bucharest-retraction-madrid"}


@pytest.fixture
def scored_app(sqlite_url, tmp_path):
    """The app with outcomes recorded; yields (base URL, probability of each resolved forecast)."""
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    seed(engine, tmp_path)
    resolve_some(engine)
    with session_scope(engine) as session:
        p = {fid: session.get(Forecast, fid).probability for fid in OUTCOMES}
    with serve_in_thread(create_app(settings_for(engine, tmp_path))) as base_url:
        yield base_url, p
    engine.dispose()


def bin_of(p: float, n_bins: int = 10) -> int:
    """The scorecard's bins, by hand: closed on the right, the first one holding 0."""
    return max(0, math.ceil(round(p * n_bins, 9)) - 1)


def listed(page) -> set[str]:
    hrefs = page.locator("#bin-forecasts a").evaluate_all("links => links.map(a => a.pathname)")
    return {h.removeprefix("/forecasts/") for h in hrefs}


def test_open_a_calibration_bin_from_the_scorecard_and_land_on_its_forecasts(
    browser_page, scored_app, tmp_path
):
    base_url, p = scored_app
    page = browser_page
    sign_in_at(page, base_url, "/scorecard")
    page.get_by_label("Tag").select_option("nato")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/scorecard\?.*tag=nato"))

    shot = tmp_path / "scorecard.png"
    page.locator("#calibration").screenshot(path=str(shot))
    page.locator("#costliest-forecasts").screenshot(path=str(tmp_path / "costliest.png"))
    print(f"screenshots: {shot}, {tmp_path / 'costliest.png'}")

    # a row of the calibration table
    link = page.locator("#calibration a.bin-link").first
    label = link.inner_text()
    count = int(link.locator("xpath=ancestor::tr/td[2]").inner_text())
    link.click()
    expect(page).to_have_url(re.compile(r"/scorecard/bins/\d+\?.*tag=nato"))
    k = int(re.search(r"/bins/(\d+)", page.url).group(1))
    expect(page.locator("h1")).to_have_text(f"Forecasts of {label}")
    expect(page.locator("#bin-count")).to_have_text(str(count))
    members = {f for f in NATO if bin_of(p[f]) == k}
    assert listed(page) == members and len(members) == count
    shot = tmp_path / "bin.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")

    # back on the scorecard, a point of the reliability diagram leads to the same kind of list
    page.locator("p.crumbs").get_by_role("link", name="Scorecard").click()
    expect(page).to_have_url(re.compile(r"/scorecard\?tag=nato"))
    point = page.locator("#reliability-diagram a.bin-link").last
    point.locator("circle").click()
    expect(page).to_have_url(re.compile(r"/scorecard/bins/\d+\?tag=nato"))
    k = int(re.search(r"/bins/(\d+)", page.url).group(1))
    assert listed(page) == {f for f in NATO if bin_of(p[f]) == k} != set()

    # a forecast of the bin shows its own score on its page
    first = page.locator("#bin-forecasts a").first
    fid = first.evaluate("a => a.pathname").removeprefix("/forecasts/")
    first.click()
    expect(page).to_have_url(f"{base_url}/forecasts/{fid}")
    y = 1.0 if OUTCOMES[fid].value == "yes" else 0.0
    expect(page.locator("#own-brier")).to_have_text(f"{(p[fid] - y) ** 2:.4f}")
