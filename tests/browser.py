"""A real browser for tests: Debian's chromium driven by Playwright (never a downloaded one).

Use the ``browser`` fixture (registered in conftest)::

    def test_x(browser):
        page = browser.new_page()
        page.goto(url)

Without /usr/bin/chromium the test skips with a reason (fails under CI=true, where
.ci/run installs it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.services import unavailable

CHROMIUM = os.environ.get("TRACKER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def _chromium() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium at {CHROMIUM}", "not installed; apt-get install -y chromium")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            unavailable(f"Chromium at {CHROMIUM}", str(exc).strip().splitlines()[0])
        yield browser
        browser.close()


@pytest.fixture
def browser(_chromium) -> Iterator[object]:  # noqa: ANN001
    """A fresh browser context per test (no shared cookies or storage), closed afterwards."""
    context = _chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        context.close()
