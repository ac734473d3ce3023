"""Real headless Chromium for tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

Never downloads a browser: without ``/usr/bin/chromium`` the tests skip with a reason (they fail
under ``CI=true``, where ``.ci/run`` installs it with apt-get).  One Chromium is launched per
test session; each test gets a fresh context (no shared cookies or storage).

- ``browser``: a fresh browser context (e.g. to open a report file).
- ``browser_page``: a page whose JavaScript dialogs fail the test (untrusted text that ran as
  script is how one would show up) and whose requests may only go to loopback.
- :func:`serve_in_thread`: uvicorn on 127.0.0.1, port chosen by the OS.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import uvicorn

from tests.services import unavailable

CHROMIUM = os.environ.get("TRACKER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="session")
def _chromium() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium at {CHROMIUM}", "not installed; run `apt-get install -y chromium`")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            unavailable(f"Chromium at {CHROMIUM}", str(exc).strip().splitlines()[0])
        yield browser
        browser.close()


@pytest.fixture
def browser(_chromium) -> Iterator[object]:
    """A fresh browser context per test, closed afterwards."""
    context = _chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def browser_page(browser) -> Iterator[Page]:  # noqa: F821 - playwright's Page
    """A page that may only reach loopback; any dialog (alert, confirm, prompt) fails the test.
    ``page.dialogs`` lists the dialogs seen."""
    dialogs: list[str] = []
    browser.route("**/*", _loopback_only)
    page = browser.new_page()
    page.set_default_timeout(15_000)

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.dialogs = dialogs
    yield page
    assert dialogs == [], f"a JavaScript dialog opened: {dialogs}"


def _loopback_only(route) -> None:
    """Tests talk to 127.0.0.1 only: any other request is aborted, never sent."""
    if urlsplit(route.request.url).hostname in LOOPBACK:
        route.continue_()
    else:
        route.abort()


@contextmanager
def serve_in_thread(app) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1, port chosen by the OS; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test web server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
