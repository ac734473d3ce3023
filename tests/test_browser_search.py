"""Issue 18's done-when, in real headless Chromium: an analyst searches the articles, opens a
hit, attaches it as evidence to a forecast ("Propose as evidence for..."), and sees the
forecast's evidence list change.  No JavaScript is needed for any of it; a hostile article among
the hits must not open a dialog (the ``browser_page`` fixture fails the test if one does)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import serve_in_thread
from tests.test_web_articles import store
from tests.web_fixtures import PASSWORD, seed, settings_for
from tracker import db
from tracker.web import create_app

SENATE = "senate-ratifies-russia-agreement"
TITLE = "Senate treaty vote"
ARTICLES = [
    ("wire-a.example", "Weather report", "Rain in Brussels.", "2022-03-01"),
    ("wire-b.example", TITLE, "The Senate voted on the treaty with Russia.", "2022-03-02"),
    (
        "evil.example",
        "<img src=x onerror=alert('title')> treaty rumours",
        "<script>alert('summary')</script> A treaty, they say.",
        "2022-03-03",
    ),
]
NOTE = "reports the Senate vote on the treaty"


@pytest.fixture
def live_site(sqlite_url, tmp_path):
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    seed(engine, tmp_path)
    store(engine, ARTICLES)
    with serve_in_thread(create_app(settings_for(engine, tmp_path))) as base_url:
        yield base_url
    engine.dispose()


def test_search_open_a_hit_attach_it_and_see_the_forecast_evidence_change(browser_page, live_site):
    base_url, page = live_site, browser_page
    page.goto(f"{base_url}/forecasts/{SENATE}")
    evidence = page.locator("#evidence + p + *")
    expect(page.locator("#evidence")).to_have_text("Evidence (0)")

    page.goto(f"{base_url}/login?next=/articles")
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/articles")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Articles").click()
    page.get_by_label("Search").fill("treaty")
    page.get_by_role("button", name="Search").click()
    hits = page.locator("#article-hits .article-hit")
    expect(hits).to_have_count(2)
    expect(page.locator("#article-hits")).to_contain_text("<img src=x onerror=alert('title')>")
    expect(hits.filter(has_text=TITLE).locator("mark").first).to_have_text("treaty")

    hits.get_by_role("link", name=TITLE).click()
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#evidence-for")).to_have_text("Evidence for (0)")

    page.get_by_label("Find a forecast").fill("senate ratifies")
    page.get_by_role("button", name="Find").click()
    candidate = page.locator(f"#candidate-{SENATE}")
    expect(candidate).to_be_visible()
    candidate.get_by_label("YES").check()
    candidate.get_by_label("Why?").fill(NOTE)
    candidate.get_by_role("button", name="Attach as evidence").click()

    expect(page).to_have_url(f"{base_url}/forecasts/{SENATE}?done=attached#evidence")
    expect(page.locator(".notice")).to_contain_text("The article is attached as evidence")
    expect(page.locator("#evidence")).to_have_text("Evidence (1)")
    row = evidence.locator(".evidence-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    expect(row.locator(".attached-by")).to_have_text("ana")
    expect(row.locator(".attached-note")).to_have_text(NOTE)

    page.goto(f"{base_url}/articles?q=treaty")
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator("#evidence-for")).to_have_text("Evidence for (1)")
    expect(page.locator(".article-evidence")).to_contain_text("attached by ana")
