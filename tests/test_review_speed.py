"""The review queue worked through at speed, over HTTP and in the use cases: each card shows the
question, criteria, quote and probability before the evidence; the page loads its shortcuts from
a static script and still confirms by a plain form post; several selected cards are confirmed at
once, all or nothing; the page size is a setting; and a proposal rejected after the close date
leaves its forecast "needing an outcome" (queue, status, scorecard) until it is resolved from its
card.

Proposals come from the real resolution stage (:func:`tests.web_fixtures.add_proposals`); each
test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.web_fixtures import add_proposals, csrf_token_of, settings_for, sign_in
from tracker import service
from tracker.db import session_scope
from tracker.errors import InvalidInputError, NotFoundError
from tracker.models import AuditEntry, Forecast, Proposal
from tracker.web import create_app

HOSTILE = "hostile-forecast"  # evidence, yes; closes 2030: never past its close date in the tests
MORATORIUM = "nato-moratorium"  # disputed: proposes no outcome; closed 2023-12-31
DEMANDS = "us-implements-russian-demands"  # evidence, no
BUCHAREST = "bucharest-retraction-madrid"  # default at close, no
COUNTERPROPOSALS = "us-nato-written-counterproposals"  # default at close, no


@pytest.fixture
def proposals(seeded) -> dict[str, Proposal]:
    return add_proposals(seeded.engine)


def pending(engine) -> set[str]:
    with session_scope(engine) as session:
        return {item.proposal.question_id for item in service.pending_reviews(session)}


def forecast_state(engine, forecast_id: str) -> tuple[str, str | None]:
    with session_scope(engine) as session:
        forecast = session.get(Forecast, forecast_id)
        return forecast.status, forecast.outcome


# --- the card and the page without its script -------------------------------------------------


def test_card_shows_question_criteria_quote_and_probability_before_the_evidence(
    client, proposals, seeded
):
    page = client.get("/review").text
    card = page[page.index(f'id="proposal-{proposals[DEMANDS].id}"') :]
    card = card[: card.index("</article>")]
    with session_scope(seeded.engine) as session:
        forecast = session.get(Forecast, DEMANDS)
        criteria, quote = forecast.criteria, forecast.quote
    assert criteria and quote
    escape = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
    shown = [re.escape("".join(escape.get(ch, ch) for ch in text)) for text in (criteria, quote)]
    order = [
        card.index("<h2>"),
        re.search(shown[0], card).start(),
        re.search(shown[1], card).start(),
    ]
    evidence = card.index("<h3>Evidence")
    assert order == sorted(order) and order[-1] < evidence
    assert re.search(r'class="probability">— \d+(\.\d+)?\s?%', card)


def test_shortcuts_come_from_a_static_script_with_a_legend_and_no_inline_code(client, proposals):
    page = client.get("/review")
    assert '<script src="/static/review.js" defer></script>' in page.text
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None  # no inline script
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "Keyboard shortcuts" in page.text and "<kbd>j</kbd>" in page.text
    script = client.get("/static/review.js")
    assert script.status_code == 200 and "keydown" in script.text


def test_without_the_script_a_plain_form_post_confirms(client, proposals, seeded):
    sign_in(client)
    token = csrf_token_of(client, "/review")
    pid = proposals[DEMANDS].id
    done = client.post(
        f"/review/{pid}/confirm",
        data={"outcome": "", "note": "", "back": "review", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "The proposal is confirmed" in client.get(done.headers["location"]).text
    assert forecast_state(seeded.engine, DEMANDS) == ("resolved", "no")


# --- several at once --------------------------------------------------------------------------


def test_selected_cards_are_confirmed_together_all_or_nothing(client, proposals, seeded):
    sign_in(client)
    page = client.get("/review").text
    token = csrf_token_of(client, "/review")
    # a checkbox on each card that proposes an outcome, none on the disputed one
    boxes = re.findall(r'name="proposal" value="(\d+)" form="bulk-confirm"', page)
    assert sorted(map(int, boxes)) == sorted(
        p.id for key, p in proposals.items() if p.outcome is not None
    )
    chosen = [proposals[k].id for k in (DEMANDS, BUCHAREST, COUNTERPROPOSALS)]

    refused = client.post(
        "/review/confirm-selected",
        data={"proposal": [*chosen, proposals[MORATORIUM].id], "csrf_token": token},
    )
    assert refused.status_code == 400 and "proposes no outcome" in refused.text
    assert {DEMANDS, BUCHAREST, COUNTERPROPOSALS, MORATORIUM} <= pending(seeded.engine)

    forged = client.post("/review/confirm-selected", data={"proposal": chosen})
    assert forged.status_code == 403

    done = client.post(
        "/review/confirm-selected",
        data={"proposal": chosen, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "3 proposals confirmed as proposed" in client.get(done.headers["location"]).text
    for forecast_id in (DEMANDS, BUCHAREST, COUNTERPROPOSALS):
        assert forecast_state(seeded.engine, forecast_id) == ("resolved", "no")
    with session_scope(seeded.engine) as session:
        confirmed = session.exec(
            select(AuditEntry).where(AuditEntry.action == "confirm-proposal")
        ).all()
    assert sorted(e.detail["proposal"] for e in confirmed) == sorted(chosen)
    assert {e.actor for e in confirmed} == {"ana"}


def test_confirm_many_checks_every_id_before_confirming_any(seeded, proposals):
    ids = [proposals[DEMANDS].id, proposals[BUCHAREST].id]
    with pytest.raises(NotFoundError), session_scope(seeded.engine) as session:
        service.confirm_many(session, [*ids, 99_999], actor="ana")
    with (
        pytest.raises(InvalidInputError, match="at least one"),
        session_scope(seeded.engine) as session,
    ):
        service.confirm_many(session, [], actor="ana")
    assert {DEMANDS, BUCHAREST} <= pending(seeded.engine)
    with session_scope(seeded.engine) as session:
        decided = service.confirm_many(session, [*ids, ids[0]], actor="ana")
    assert [d.forecast_id for d in decided] == [DEMANDS, BUCHAREST]  # a repeated id counts once


def test_cards_per_page_is_a_setting(seeded, proposals, tmp_path):
    app = create_app(settings_for(seeded.engine, tmp_path, review_per_page=2))
    with TestClient(app) as client:
        page = client.get("/review").text
        assert page.count('<article class="proposal"') == 2 and 'rel="next"' in page
        for _ in range(2):  # the third page, by the Next links
            following = re.search(r'rel="next" href="\?cursor=([\w-]+)"', page)
            assert following
            page = client.get("/review", params={"cursor": following[1]}).text
        assert page.count('<article class="proposal"') == 2 and 'rel="next"' not in page


# --- rejected after the close date ------------------------------------------------------------


def scorecard_counts(client) -> dict:
    return client.get("/api/scorecard", params={"resamples": 0}).json()["counts"]


def test_a_proposal_rejected_after_close_needs_an_outcome_until_resolved_from_its_card(
    client, proposals, seeded, web_settings
):
    sign_in(client)
    token = csrf_token_of(client, "/review")
    assert 'id="needs-outcome' not in client.get("/review").text
    assert scorecard_counts(client)["needs_outcome"] == 0
    unresolved_before = scorecard_counts(client)["unresolved"]

    for key in (BUCHAREST, HOSTILE):  # past its close date; not yet closed (2030)
        client.post(
            f"/review/{proposals[key].id}/reject",
            data={"note": "the <i>wire</i> got it wrong", "back": "review", "csrf_token": token},
        )
    page = client.get("/review").text
    assert 'id="needs-outcome-count"' in page and "1 forecast needs an outcome" in page
    card = page[page.index(f'id="needs-outcome-{BUCHAREST}"') :]
    card = card[: card.index("</article>")]
    assert "rejected by ana" in card and "the &lt;i&gt;wire&lt;/i&gt; got it wrong" in card
    assert f'action="/review/forecasts/{BUCHAREST}/resolve"' in card
    assert f'id="needs-outcome-{HOSTILE}"' not in page
    with session_scope(seeded.engine) as session:
        assert service.status_summary(session, web_settings).needs_outcome == 1
        assert [c.forecast.id for c in service.needs_outcome(session)] == [BUCHAREST]
    counts = scorecard_counts(client)
    assert counts["needs_outcome"] == 1 and counts["unresolved"] == unresolved_before
    scorecard_page = client.get("/scorecard", params={"resamples": 0}).text
    assert re.search(r'id="count-needs-outcome">1 needs an outcome</a>', scorecard_page)
    author = client.get("/api/scorecard", params={"resamples": 0, "author": "nobody-at-all"})
    assert author.json()["counts"]["needs_outcome"] == 0  # the count follows the filter

    no_note = client.post(
        f"/review/forecasts/{BUCHAREST}/resolve", data={"outcome": "yes", "csrf_token": token}
    )
    assert no_note.status_code == 422 and "note" in no_note.text
    assert forecast_state(seeded.engine, BUCHAREST)[1] is None
    done = client.post(
        f"/review/forecasts/{BUCHAREST}/resolve",
        data={"outcome": "yes", "note": "Madrid declaration, 29 June", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/review?done=resolved"
    page = client.get(done.headers["location"]).text
    assert "The outcome is recorded" in page and f"needs-outcome-{BUCHAREST}" not in page
    assert forecast_state(seeded.engine, BUCHAREST) == ("resolved", "yes")
    assert scorecard_counts(client)["needs_outcome"] == 0
    with session_scope(seeded.engine) as session:
        assert service.status_summary(session, web_settings).needs_outcome == 0
