"""Real headless Chromium for browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

Self-contained: ``browser_page`` (a fresh page whose dialogs fail the test, whose requests may
only go to loopback) and :func:`serve_in_thread` (uvicorn on 127.0.0.1, ephemeral port).
Use it with ``from tests.browser import browser_page, serve_in_thread``.  Never downloads a
browser: without ``/usr/bin/chromium`` the tests skip (fail under ``CI=true``; ``.ci/run``
installs it with apt-get).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

from tests.services import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@contextmanager
def serve_in_thread(app) -> Iterator[str]:  # noqa: ANN001 - an ASGI app
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


@pytest.fixture
def browser_page() -> Iterator["Page"]:  # noqa: F821 - playwright's Page
    """A page in a fresh headless Chromium.  Any JavaScript dialog (alert, confirm, prompt) fails the
    test: untrusted text that ran as script is how one would show up.  ``page.dialogs`` lists them."""
    if not CHROMIUM.exists():
        unavailable("Chromium at /usr/bin/chromium", "not installed; run `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.route("**/*", _loopback_only)
        page = context.new_page()
        page.set_default_timeout(15_000)

        def on_dialog(dialog) -> None:  # noqa: ANN001
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.dialogs = dialogs
        try:
            yield page
        finally:
            context.close()
            browser.close()
    assert dialogs == [], f"a JavaScript dialog opened: {dialogs}"


def _loopback_only(route) -> None:  # noqa: ANN001 - a playwright Route
    """Tests talk to 127.0.0.1 only: any other request is aborted, never sent."""
    if urlsplit(route.request.url).hostname in LOOPBACK:
        route.continue_()
    else:
        route.abort()
