"""The README's first run, as a new analyst follows it, from a fresh data dir: `tracker demo`,
`tracker users add`, `tracker serve` (the real CLI, in subprocesses), then the browser shows the
seed's 20 forecasts resolved, a forecast's evidence, and — signed in — a review queue with the
demo's disputed practice question in it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT

PASSWORD = "correct horse battery staple"
PRACTICE_ID = "demo-canada-trainers-leave-ukraine"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tracker(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 60):
    run = subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    shown = f"tracker {' '.join(args)}:\n{run.stdout[-3000:]}{run.stderr[-3000:]}"
    assert run.returncode == 0, shown
    return run


@contextmanager
def _serving(env: dict[str, str], port: int) -> Iterator[str]:
    """`tracker serve --port PORT` until the test ends; yields its base URL once it answers."""
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "tracker", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/scorecard", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"tracker serve did not answer: {server.communicate()[0][-3000:]}")
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "tracker.db" in output  # serve says which database it opened


@pytest.fixture
def first_run(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The README's commands on a fresh data dir (TRACKER_DATA_DIR, as the README says to pick
    another folder); yields the base URL of `tracker serve` and the demo's output."""
    data = tmp_path / "tracker-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_DATA_DIR=str(data), COLUMNS="100")
    demo = _tracker(
        env,
        "demo",
        "--out",
        str(tmp_path / "demo-report"),
        "--feeds-port",
        str(_free_port()),  # the README's default port may be taken by a parallel test run
        timeout=180,
    )
    _tracker(env, "users", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    with _serving(env, _free_port()) as base_url:
        yield base_url, demo.stdout


def test_the_readme_first_run_ends_in_a_working_app(browser_page, first_run):
    base_url, demo_output = first_run
    assert "tracker users add" in demo_output and "tracker serve" in demo_output
    page = browser_page

    page.goto(f"{base_url}/scorecard")
    expect(page.locator("#count-scored")).to_have_text("20")

    page.goto(f"{base_url}/forecasts")
    page.get_by_role("link", name="Will NATO announce", exact=False).first.click()
    expect(page.locator("h2#evidence")).to_contain_text("Evidence (")
    rows = page.locator("ol.evidence li.evidence-row")
    assert rows.count() >= 2
    # the article that decided it (Madrid invited Finland and Sweden), its phrase marked
    expect(page.locator("ol.evidence").first).to_contain_text("Madrid")
    expect(rows.first.locator("p.sentence mark").first).to_be_visible()

    page.goto(f"{base_url}/login?next=/review")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/review")
    expect(page.locator("#review-count")).to_contain_text("1 proposal waiting")
    card = page.locator("article.proposal").first
    expect(card).to_contain_text("Will Canada withdraw or relocate its military trainers")
    expect(card.locator("ol.evidence li.evidence-row")).not_to_have_count(0)
