"""The web app in real headless Chromium: sign in, resolve a forecast through its page, hostile
text stays inert, and a screenshot of the forecasts page for a person to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import serve_in_thread
from tests.web_fixtures import FORECAST_ID, HOSTILE_ID, PASSWORD, seed, settings_for
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


def test_sign_in_resolve_and_reopen_in_the_browser(browser_page, live_app, tmp_path):
    page = browser_page
    page.goto(f"{live_app}/forecasts/{FORECAST_ID}")
    expect(page.locator(".status-line .badge").first).to_have_text("open")
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
    expect(page.locator(".status-line .badge").first).not_to_have_text(re.compile("resolved"))

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("header")).not_to_contain_text("Signed in")


def test_hostile_text_does_not_run_and_the_list_is_screenshotted(browser_page, live_app, tmp_path):
    page = browser_page
    csp_violations: list[str] = []
    page.on("console", lambda msg: csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda error: csp_violations.append(str(error)))

    page.goto(f"{live_app}/forecasts/{HOSTILE_ID}")
    expect(page.locator("h1")).to_have_text("<script>alert('question')</script> Will the markup stay inert?")
    expect(page.locator("blockquote.quote p")).to_have_text("<img src=x onerror=alert('quote')> It is likely.")
    expect(page.locator("blockquote.quote a")).to_have_count(0)  # the javascript: source link is not a link
    assert page.locator("main script, main img, main b").count() == 0  # no markup from the file in the DOM

    page.goto(f"{live_app}/forecasts?sort=-probability")
    expect(page.get_by_role("link", name=re.compile(r"^<script>alert"))).to_be_visible()
    shot = tmp_path / "forecasts.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    page.wait_for_timeout(200)  # give a stray onerror/alert a moment to fire
    assert page.dialogs == [] and csp_violations == []
    print(f"screenshot: {shot}")
