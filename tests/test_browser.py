"""The web app in real headless Chromium: sign in, resolve a forecast through its page, confirm a
proposal from the review queue and see the scorecard change, hostile text (forecast files, feed
titles, article titles and sentences) stays inert, the scorecard's diagrams are drawn and follow a
resolution, and screenshots of the forecasts list, the review queue and the scorecard for a person
to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import serve_in_thread
from tests.web_fixtures import (
    FORECAST_ID,
    HOSTILE_ARTICLE_TITLE,
    HOSTILE_FEED_TITLE,
    HOSTILE_ID,
    OUTCOMES,
    PASSWORD,
    add_proposals,
    resolve_some,
    seed,
    settings_for,
)
from tracker import db
from tracker.web import create_app


@pytest.fixture
def live_app(sqlite_url, tmp_path):
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    seed(engine, tmp_path)
    with serve_in_thread(create_app(settings_for(engine, tmp_path))) as base_url:
        yield base_url
    engine.dispose()


@pytest.fixture
def live_review_app(sqlite_url, tmp_path):
    """The app with proposals waiting: articles matched and the deadline check run by the real
    core."""
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    seed(engine, tmp_path)
    proposals = add_proposals(engine)
    with serve_in_thread(create_app(settings_for(engine, tmp_path))) as base_url:
        yield base_url, proposals
    engine.dispose()


def sign_in_at(page, base_url: str, next_path: str) -> None:
    page.goto(f"{base_url}/login?next={next_path}")
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}{next_path}")


def test_confirm_a_proposal_from_the_review_queue_and_the_scorecard_changes(
    browser_page, live_review_app, tmp_path
):
    base_url, proposals = live_review_app
    page = browser_page
    sign_in_at(page, base_url, "/scorecard")
    scored_before = int(page.locator("#count-scored").inner_text())

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Review").click()
    expect(page).to_have_url(f"{base_url}/review")
    expect(page.locator("#review-count")).to_contain_text(f"{len(proposals)} proposals waiting")
    item = page.locator(f"#proposal-{proposals[FORECAST_ID].id}")
    expect(item.locator(".proposed-outcome")).to_have_text("no")
    expect(item.locator("ol.evidence mark").first).to_have_text("rejects Russian demands")
    shot = tmp_path / "review.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {shot}")

    form = item.locator("form.confirm-form")
    expect(form.get_by_label("as proposed (no)")).to_be_checked()
    form.get_by_label("Note").fill("both wires report the written answer")
    form.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_have_text(
        "The proposal is confirmed: the forecast is resolved."
    )
    expect(page.locator(f"#proposal-{proposals[FORECAST_ID].id}")).to_have_count(0)
    expect(page.locator("#review-count")).to_contain_text(f"{len(proposals) - 1} proposals waiting")

    # a disputed proposal cannot be confirmed without the analyst's outcome: the browser asks for
    # one
    disputed = page.locator(f"#proposal-{proposals['nato-moratorium'].id} form.confirm-form")
    disputed.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(f"{base_url}/review?done=confirmed")  # not submitted
    assert disputed.get_by_label("no", exact=True).evaluate("radio => !radio.validity.valid")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Scorecard").click()
    expect(page.locator("#count-scored")).to_have_text(str(scored_before + 1))

    page.goto(f"{base_url}/forecasts/{FORECAST_ID}")
    expect(page.locator(".status-line .badge").first).to_have_text("resolved (no)")
    expect(page.locator("table.audit")).to_contain_text("confirm-proposal")
    expect(page.locator("table.audit tbody tr").last).to_contain_text("ana")


def test_hostile_evidence_text_does_not_run(browser_page, live_review_app):
    base_url, _proposals = live_review_app
    page = browser_page
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    page.on("pageerror", lambda error: csp_violations.append(str(error)))
    for path in ("/review", f"/forecasts/{HOSTILE_ID}"):
        page.goto(f"{base_url}{path}")
        rows = page.locator("ol.evidence li.evidence-row", has_text="Witnesses saw")
        expect(rows).to_have_count(2)
        expect(rows.first.locator(".article-title")).to_have_text(HOSTILE_ARTICLE_TITLE)
        expect(rows.first.locator("mark")).to_have_text("<svg onload=alert('rule')>")
        assert page.locator("main script, main img, main svg[onload], main b, main i").count() == 0
        assert page.locator("main a[href^='javascript']").count() == 0
        page.wait_for_timeout(
            200
        )  # a stray onerror/onload would fire by now; browser_page fails on any dialog
    assert page.dialogs == [] and csp_violations == []


def test_sign_in_resolve_and_reopen_in_the_browser(browser_page, live_app, tmp_path):
    page = browser_page
    page.goto(f"{live_app}/forecasts/{FORECAST_ID}")
    # past its close date (2022-12-31): closed, though no sweep has recorded it
    expect(page.locator(".status-line .badge").first).to_have_text("closed")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_app}/forecasts/{FORECAST_ID}")  # back where the analyst was
    expect(page.locator("header")).to_contain_text("Signed in as ana")

    form = page.locator("#resolve-form")
    form.get_by_label("no", exact=True).check()
    form.get_by_label("Note").fill("Washington rejected the demands in writing")
    form.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_role("status")).to_have_text("The outcome is recorded.")
    expect(page.locator(".status-line .badge").first).to_have_text("resolved (no)")
    expect(page.locator("table.audit tbody tr").last).to_contain_text("ana")
    expect(page.locator("#resolve-form")).to_have_count(0)

    page.locator("#reopen-form").get_by_label("Why reopen?").fill("resolved too early")
    page.locator("#reopen-form").get_by_role("button", name="Reopen").click()
    expect(page.get_by_role("status")).to_have_text("The forecast is reopened.")
    expect(page.locator(".status-line .badge").first).to_have_text("closed")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("header")).not_to_contain_text("Signed in")


def test_hostile_text_does_not_run_and_the_list_is_screenshotted(browser_page, live_app, tmp_path):
    page = browser_page
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    page.on("pageerror", lambda error: csp_violations.append(str(error)))

    page.goto(f"{live_app}/forecasts/{HOSTILE_ID}")
    expect(page.locator("h1")).to_have_text(
        "<script>alert('question')</script> Will the markup stay inert?"
    )
    expect(page.locator("blockquote.quote p")).to_have_text(
        "<img src=x onerror=alert('quote')> It is likely."
    )
    # the javascript: source link is not a link; the author's name links to their page
    expect(page.locator("blockquote.quote a")).to_have_count(1)
    expect(page.locator("blockquote.quote a")).to_have_attribute("href", re.compile(r"^/authors/"))
    assert (
        page.locator("main script, main img, main b").count() == 0
    )  # no markup from the file in the DOM

    page.goto(f"{live_app}/forecasts?sort=-probability")
    expect(page.get_by_role("link", name=re.compile(r"^<script>alert"))).to_be_visible()
    shot = tmp_path / "forecasts.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    page.wait_for_timeout(200)  # give a stray onerror/alert a moment to fire
    assert page.dialogs == [] and csp_violations == []
    print(f"screenshot: {shot}")


def test_feed_title_with_markup_does_not_run_on_the_feeds_page(browser_page, live_app):
    page = browser_page
    page.goto(f"{live_app}/feeds")
    expect(page.locator("tr.state-failing .feed-title")).to_have_text(HOSTILE_FEED_TITLE)
    expect(page.locator("tr.state-failing .error-text")).to_contain_text("onerror=alert('error')")
    assert page.locator("main script, main img").count() == 0
    assert page.locator("main a[href^='javascript']").count() == 0
    page.wait_for_timeout(
        200
    )  # a stray onerror would fire by now; browser_page fails on any dialog


def test_scorecard_in_the_browser_changes_after_a_resolution(
    browser_page, live_app, sqlite_url, tmp_path
):
    engine = db.make_engine(sqlite_url)
    resolve_some(engine)
    engine.dispose()
    page = browser_page
    page.goto(f"{live_app}/login?next=/scorecard")
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_app}/scorecard")
    expect(page.locator("#count-scored")).to_have_text(str(len(OUTCOMES)))
    for selector in ("svg.diagram.reliability", "svg.diagram.sharpness"):
        diagram = page.locator(selector)
        expect(diagram).to_be_visible()
        box = diagram.bounding_box()
        assert box["width"] > 300 and box["height"] > 250, (selector, box)
    expect(page.locator("svg.reliability g.bin circle").first).to_be_visible()  # a bin's point
    wilson = page.locator(
        "svg.reliability line.wilson"
    )  # its interval bar (vertical: no width to be "visible")
    assert wilson.count() >= 2 and all(
        float(wilson.nth(i).get_attribute("y2")) < float(wilson.nth(i).get_attribute("y1"))
        for i in range(wilson.count())
    )
    expect(page.locator("svg.sharpness rect.bar").first).to_be_attached()
    shot = tmp_path / "scorecard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")

    page.locator(
        "#breakdown-tag thead a", has_text="Brier"
    ).click()  # server-side sort by a header link
    expect(page.locator("#breakdown-tag th[aria-sort]")).to_contain_text("Brier")

    page.goto(f"{live_app}/forecasts/closer-cooperation-china")
    form = page.locator("#resolve-form")
    form.get_by_label("no", exact=True).check()
    form.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_role("status")).to_have_text("The outcome is recorded.")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Scorecard").click()
    expect(page.locator("#count-scored")).to_have_text(str(len(OUTCOMES) + 1))
