"""Keyset pages in real headless Chromium (issue 18): an analyst filters the forecasts list,
walks it with Next → to the end and back with ← Previous, returns with First, and sees every
forecast once, the filter kept on every link; an old numbered bookmark shows the first page and
a note."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import serve_in_thread
from tests.web_fixtures import settings_for
from tracker import db
from tracker.web import create_app


@pytest.fixture
def list_app(sqlite_url, tmp_path):
    from sqlmodel import Session

    from tests.test_keyset_pages import add_forecasts

    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    with Session(engine) as session:
        add_forecasts(session, range(23))
    with serve_in_thread(create_app(settings_for(engine, tmp_path))) as base_url:
        yield base_url
    engine.dispose()


def shown(page) -> list[str]:
    return page.locator("table.forecasts tbody tr td:first-child .muted").all_inner_texts()


def test_walk_the_forecasts_by_next_and_back_by_previous(browser_page, list_app):
    page = browser_page
    page.goto(f"{list_app}/forecasts?author=beta&per_page=3&sort=-probability")
    pages = [shown(page)]
    expect(page.locator('a[rel="prev"]')).to_have_count(0)
    while page.locator('a[rel="next"]').count():
        page.locator('a[rel="next"]').click()
        assert "author=beta" in page.url and "sort=-probability" in page.url
        pages.append(shown(page))
    every = [i for p in pages for i in p]
    assert len(every) == len(set(every)) == 8  # beta's forecasts: n % 3 == 1 of 0..22
    back = [pages[-1]]
    while page.locator('a[rel="prev"]').count():
        page.locator('a[rel="prev"]').click()
        back.append(shown(page))
    assert back[::-1] == pages
    page.locator('a[rel="next"]').click()
    page.locator('a[rel="first"]').click()
    assert shown(page) == pages[0]
    page.goto(f"{list_app}/forecasts?page=4")
    expect(page.locator("#page-note")).to_contain_text("first page")
