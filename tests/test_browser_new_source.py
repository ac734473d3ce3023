"""From a pasted op-ed to tracked forecasts in real headless Chromium, as an analyst does it:
sign in, paste the Trenin article with its author and date, let the real extractor find the
predictions, accept three candidates (found through their sentences marked in the article),
edit one question, save, and see the three listed on the forecasts page."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser import serve_in_thread
from tests.conftest import ARTICLE_FILE
from tests.test_browser import sign_in_at
from tests.web_fixtures import seed, settings_for
from tracker import db
from tracker.web import create_app

TEXT = (ARTICLE_FILE.parent / "sources" / "trenin-2022-01-21.txt").read_text(encoding="utf-8")
#: the seeded database holds this article's curated file under trenin-2022-01-21
NEW_KEY = "trenin-2022-01-21-2"
#: words of three predictions of the article, as its text has them
SENTENCES = (
    "unlikely to happen at the alliance’s summit in Madrid",
    "There’s a chance that an agreement could be reached",
    "as impossible as it is largely unnecessary",
)
EDITED_QUESTION = "Will NATO retract the Bucharest promise at its Madrid summit in 2022?"


@pytest.fixture
def live_app(sqlite_url, tmp_path):
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    seed(engine, tmp_path)
    settings = settings_for(engine, tmp_path)
    with serve_in_thread(create_app(settings)) as base_url:
        yield base_url, settings
    engine.dispose()


def test_an_analyst_turns_a_pasted_op_ed_into_tracked_forecasts(browser_page, live_app, tmp_path):
    base_url, settings = live_app
    page = browser_page
    started = time.monotonic()
    sign_in_at(page, base_url, "/forecasts")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="New source").click()
    expect(page).to_have_url(f"{base_url}/sources/new")

    page.get_by_label("Article text").fill(TEXT)
    page.get_by_label("Title").fill("What a Week of Talks Between Russia and the West Revealed")
    page.get_by_label("Author").fill("Dmitri Trenin")
    page.get_by_label("Published").fill("2022-01-21")
    page.get_by_role("button", name="Find the predictions").click()

    candidates = page.locator("li.candidate")
    expect(candidates.first).to_be_visible()
    found = candidates.count()
    assert found >= 10, f"only {found} candidates in the Trenin article"
    # each candidate's sentence is marked in the article, which stays plain text
    expect(page.locator("#article-text mark")).to_have_count(found)
    assert page.locator("#article-text *:not(mark):not(a.quote-number)").count() == 0

    numbers = []
    for words in SENTENCES:
        mark = page.locator("#article-text mark", has_text=words)
        expect(mark).to_have_count(1)
        mark.click()  # the script goes to the candidate of the sentence clicked
        number = mark.get_attribute("data-candidate")
        candidate = page.locator(f"#candidate-{number}")
        expect(candidate.locator("input[type=checkbox]")).to_be_focused()
        candidate.get_by_label(f"Accept candidate {number}").check()
        numbers.append(number)
    first = page.locator(f"#candidate-{numbers[0]}")
    first.get_by_label("Question").fill(EDITED_QUESTION)  # its sentence is shown in the article
    expect(page.locator(f"#quote-{numbers[0]}")).to_have_class("current")
    expect(page.locator(f"#quote-{numbers[0]}")).to_be_in_viewport()
    shot = tmp_path / "new-source.png"
    page.screenshot(path=str(shot))  # the article beside the candidate being edited
    print(f"screenshot: {shot}")
    ids = [
        page.locator(f"#candidate-{n}").get_by_label("Id", exact=True).input_value()
        for n in numbers
    ]

    page.get_by_role("button", name="Save the accepted forecasts").first.click()
    expect(page).to_have_url(f"{base_url}/forecasts?source={NEW_KEY}")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    for forecast_id in ids:
        expect(page.locator("table tbody")).to_contain_text(forecast_id)
    expect(page.get_by_role("link", name=EDITED_QUESTION)).to_be_visible()
    elapsed = time.monotonic() - started
    print(f"pasted op-ed to three tracked forecasts in {elapsed:.1f} s of browser time")

    folder = settings.resolved_forecasts_dir()
    assert (folder / f"{NEW_KEY}.yaml").is_file()
    assert (folder / "sources" / f"{NEW_KEY}.txt").read_text(encoding="utf-8") == TEXT
    page.get_by_role("link", name=EDITED_QUESTION).click()
    expect(page.locator("h1")).to_have_text(EDITED_QUESTION)
