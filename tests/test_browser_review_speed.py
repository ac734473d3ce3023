"""The review queue at speed in real headless Chromium: five proposals worked through with the
keyboard only (the shortcuts of ``static/review.js``, under the page's CSP), and three selected
cards confirmed together.  Proposals come from the real resolution stage."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.browser import serve_in_thread
from tests.web_fixtures import PASSWORD, add_proposals, seed, settings_for
from tracker import db
from tracker.db import session_scope
from tracker.models import Forecast, Proposal
from tracker.web import create_app

HOSTILE = "hostile-forecast"  # evidence, yes
MORATORIUM = "nato-moratorium"  # disputed: no outcome proposed
DEMANDS = "us-implements-russian-demands"  # evidence, no
BUCHAREST = "bucharest-retraction-madrid"  # default at close, no
COUNTERPROPOSALS = "us-nato-written-counterproposals"  # default at close, no
ADVISERS = "western-advisers-leave-ukraine"  # default at close, no


@pytest.fixture
def live_queue(sqlite_url, tmp_path):
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    seed(engine, tmp_path)
    proposals = add_proposals(engine)
    with serve_in_thread(create_app(settings_for(engine, tmp_path))) as base_url:
        yield base_url, engine, proposals
    engine.dispose()


def sign_in_by_keyboard(page, base_url: str) -> None:
    page.goto(f"{base_url}/login?next=/review")
    page.get_by_label("User name").focus()
    page.keyboard.type("ana")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base_url}/review")


def outcomes(engine) -> dict[str, tuple[str, str | None]]:
    with session_scope(engine) as session:
        return {f.id: (f.status, f.outcome) for f in session.exec(select(Forecast)).all()}


def decisions(engine) -> dict[str, str]:
    with session_scope(engine) as session:
        return {p.question_id: p.status for p in session.exec(select(Proposal)).all()}


def expect_first_card(page, proposal: Proposal) -> None:
    card = page.locator(f"#proposal-{proposal.id}")
    expect(card).to_be_focused()
    expect(card).to_have_class(re.compile(r"\bcurrent\b"))


def test_five_proposals_worked_through_with_the_keyboard_only(browser_page, live_queue):
    base_url, engine, proposals = live_queue
    page = browser_page
    sign_in_by_keyboard(page, base_url)
    keys = page.keyboard
    expect(page.locator("#shortcuts")).to_contain_text("confirm as proposed")

    # 1. the disputed card, second in the queue: j, then y (the analyst's outcome)
    expect_first_card(page, proposals[HOSTILE])
    keys.press("j")
    expect(page.locator(f"#proposal-{proposals[MORATORIUM].id}")).to_be_focused()
    keys.press("k")
    expect_first_card(page, proposals[HOSTILE])
    keys.press("j")
    keys.press("y")
    expect(page.locator(".notice")).to_have_text(
        "The proposal is confirmed: the forecast is resolved."
    )

    # 2. the hostile card: o opens its first article (aborted: tests reach loopback only), then
    #    r goes to the reject note; the note typed and sent with Ctrl+Enter
    expect_first_card(page, proposals[HOSTILE])
    link = page.locator(f"#proposal-{proposals[HOSTILE].id} .evidence .article-title a").first
    href = link.get_attribute("href")
    with page.context.expect_event("request", lambda request: request.url == href):
        keys.press("o")
    keys.press("r")
    note = page.locator(f"#proposal-{proposals[HOSTILE].id} form.reject-form textarea")
    expect(note).to_be_focused()
    keys.type("the headline misreads the wire")
    keys.press("Control+Enter")
    expect(page.locator(".notice")).to_contain_text("The proposal is rejected")

    # 3. c: as proposed (no); 4. n: the proposed outcome again; 5. y: changed to yes
    for forecast_id, key in ((DEMANDS, "c"), (BUCHAREST, "n"), (COUNTERPROPOSALS, "y")):
        expect_first_card(page, proposals[forecast_id])
        keys.press(key)
        expect(page.locator(".notice")).to_contain_text("The proposal is confirmed")

    expect(page.locator("#review-count")).to_contain_text("1 proposal waiting")
    expect_first_card(page, proposals[ADVISERS])
    state = outcomes(engine)
    assert state[MORATORIUM] == ("resolved", "yes")
    assert state[DEMANDS] == state[BUCHAREST] == ("resolved", "no")
    assert state[COUNTERPROPOSALS] == ("resolved", "yes")
    assert state[HOSTILE][1] is None and state[ADVISERS][1] is None
    made = decisions(engine)
    assert made[HOSTILE] == "rejected" and made[ADVISERS] == "pending"
    with session_scope(engine) as session:
        assert session.get(Proposal, proposals[HOSTILE].id).decision_note == (
            "the headline misreads the wire"
        )


def test_three_selected_cards_are_confirmed_together(browser_page, live_queue):
    base_url, engine, proposals = live_queue
    page = browser_page
    sign_in_by_keyboard(page, base_url)
    chosen = (DEMANDS, BUCHAREST, ADVISERS)
    for forecast_id in chosen:
        page.locator(f"#proposal-{proposals[forecast_id].id}").get_by_label("select").check()
    page.get_by_role("button", name="Confirm selected as proposed").click()
    expect(page.locator(".notice")).to_have_text("3 proposals confirmed as proposed: resolved.")
    expect(page.locator("#review-count")).to_contain_text("3 proposals waiting")
    state = outcomes(engine)
    assert all(state[forecast_id] == ("resolved", "no") for forecast_id in chosen)
    assert state[COUNTERPROPOSALS][1] is None and decisions(engine)[COUNTERPROPOSALS] == "pending"
