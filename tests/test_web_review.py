"""The review loop on the web: the queue, the evidence on a forecast's page, confirming and
rejecting proposals from the forms and the API, and hostile article text staying inert.

Proposals come from the real resolution stage (:func:`tests.web_fixtures.add_proposals`: stored
articles, ``match_articles``, ``check_deadlines``); each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.web_fixtures import (
    HOSTILE_ARTICLE_TITLE,
    HOSTILE_ID,
    HOSTILE_SENTENCE,
    add_proposals,
    csrf_token_of,
    make_token,
    sign_in,
)
from tracker.db import session_scope
from tracker.models import AuditEntry, Forecast, Proposal, Resolution
from tracker.web.highlight import highlight

DEMANDS = "us-implements-russian-demands"
MORATORIUM = "nato-moratorium"


@pytest.fixture
def proposals(seeded) -> dict[str, Proposal]:
    return add_proposals(seeded.engine)


def bearer(seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(seeded.engine)}"}


def scored(client) -> int:
    return client.get("/api/scorecard", params={"resamples": 0}).json()["counts"]["scored"]


# --- the queue --------------------------------------------------------------------------------


def test_api_review_lists_every_pending_proposal_oldest_first_with_evidence_apart(
    client, proposals
):
    body = client.get("/api/review").json()
    assert body["total"] == len(proposals) == 6 and body["next_cursor"] is None
    ids = [item["proposal"]["id"] for item in body["items"]]
    assert ids == sorted(p.id for p in proposals.values())  # created in this order: oldest first
    kinds = {
        item["forecast"]["id"]: (item["proposal"]["kind"], item["proposal"]["outcome"])
        for item in body["items"]
    }
    assert kinds[DEMANDS] == ("evidence", "no") and kinds[MORATORIUM] == ("disputed", None)
    assert kinds["bucharest-retraction-madrid"] == ("default_at_close", "no")
    disputed = next(item for item in body["items"] if item["forecast"]["id"] == MORATORIUM)
    assert (
        disputed["forecast"]["question"].startswith("Will NATO")
        and disputed["forecast"]["closes"] == "2023-12-31"
    )
    assert 0 <= disputed["forecast"]["probability"] <= 1
    assert (
        sorted(e["side"] for e in disputed["evidence"]) == ["no", "yes"]
        and disputed["evidence_total"] == 2
    )
    assert [e["publisher"] for e in disputed["negated_evidence"]] == ["wire-b.example"]
    assert disputed["negated_evidence"][0]["sentence"].startswith("NATO will not announce")
    assert disputed["negated_evidence_total"] == 1 and not disputed["negated_evidence"][0]["counts"]
    # paging and the evidence limit
    first = client.get("/api/review", params={"per_page": 4, "evidence_limit": 1}).json()
    page = client.get(
        "/api/review", params={"per_page": 4, "evidence_limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert [i["proposal"]["id"] for i in page["items"]] == ids[4:] and page["next_cursor"] is None
    assert all(len(i["evidence"]) <= 1 for i in page["items"])


def test_review_page_shows_the_queue_with_marked_phrases_and_negated_evidence_apart(
    client, proposals
):
    page = client.get("/review").text
    assert re.search(r'<nav aria-label="Sections">.*aria-current="page">Review<', page, re.S)
    assert 'id="review-count">6 proposals waiting' in page
    item = re.search(
        rf'<article class="proposal" id="proposal-{proposals[MORATORIUM].id}">(.*?)</article>',
        page,
        re.S,
    ).group(1)
    counting, negated = item.split('class="negated-heading"')
    assert "Finland <mark>formally joins NATO</mark> in a ceremony" in counting
    assert "<mark>NATO</mark> ministers agreed a <mark>moratorium on new members</mark>" in counting
    assert "will not announce a <mark>moratorium on new members</mark>" in negated
    assert "will not announce" not in counting
    assert "needs an analyst&#39;s outcome" in item or "needs an analyst's outcome" in item
    assert "confirm-form" not in page  # not signed in: no forms, a sign-in link
    assert "to confirm or reject this proposal" in page


def test_forecast_page_has_the_evidence_timeline_and_the_pending_proposal(
    client, proposals, seeded
):
    page = client.get(f"/forecasts/{MORATORIUM}").text
    assert 'id="evidence">Evidence (2)' in page and 'id="negated">Negated, not counted (1)' in page
    timeline = page.split('id="evidence">')[1].split('id="negated">')[0]
    assert timeline.index("wire-a.example") < timeline.index("wire-c.example")  # oldest first
    assert "2022-03-01" in timeline and "<mark>formally joins NATO</mark>" in timeline
    assert f'id="proposal-{proposals[MORATORIUM].id}"' in page and "disputed" in page
    assert (
        "Audit log" in page and ">propose<" in page
    )  # the audit log is kept, with the resolver's proposal
    api = client.get(f"/api/forecasts/{MORATORIUM}").json()
    assert (
        api["proposal"]["id"] == proposals[MORATORIUM].id and api["proposal"]["kind"] == "disputed"
    )
    assert api["evidence"]["total"] == 2 and api["negated_evidence"]["total"] == 1
    assert api["negated_evidence"]["items"][0]["matched_phrases"] == [
        "NATO",
        "moratorium on new members",
    ]
    first = client.get(f"/api/forecasts/{MORATORIUM}/evidence", params={"per_page": 1}).json()
    second = client.get(
        f"/api/forecasts/{MORATORIUM}/evidence",
        params={"per_page": 1, "cursor": first["next_cursor"]},
    ).json()
    assert (first["total"], first["items"][0]["publisher"], second["items"][0]["publisher"]) == (
        2,
        "wire-a.example",
        "wire-c.example",
    )
    assert (second["next_cursor"], first["prev_cursor"]) == (None, None)
    back = client.get(
        f"/api/forecasts/{MORATORIUM}/evidence",
        params={"per_page": 1, "cursor": second["prev_cursor"]},
    ).json()
    assert back["items"] == first["items"]
    assert client.get("/api/forecasts/no-such-thing/evidence").status_code == 404
    assert client.get(f"/api/forecasts/{DEMANDS}").json()["evidence"]["total"] == 2
    assert (
        client.get("/api/forecasts/nonexpansion-nondeployment-agreement").json()["proposal"] is None
    )


# --- deciding ---------------------------------------------------------------------------------


def test_api_confirm_needs_an_analyst_and_csrf_for_cookie_sessions(client, proposals, seeded):
    pid = proposals[DEMANDS].id
    anonymous = client.post(f"/api/proposals/{pid}/confirm", json={})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "not_signed_in"
    bad = client.post(
        f"/api/proposals/{pid}/confirm", json={}, headers={"Authorization": "Bearer trk_nope"}
    )
    assert bad.status_code == 401
    sign_in(client)
    no_csrf = client.post(f"/api/proposals/{pid}/confirm", json={})
    assert no_csrf.status_code == 403 and no_csrf.json()["error"] == "csrf"
    assert client.get("/api/review").json()["total"] == 6  # nothing happened
    token = csrf_token_of(client, "/review")
    done = client.post(
        f"/api/proposals/{pid}/confirm",
        json={"note": "both wires"},
        headers={"X-CSRF-Token": token},
    )
    assert done.status_code == 200
    body = done.json()
    assert body["proposal"]["status"] == "confirmed" and body["proposal"]["decided_by"] == "ana"
    assert (body["forecast_status"], body["forecast_outcome"]) == ("resolved", "no")


def test_api_confirm_changes_the_scorecard_and_a_decided_proposal_is_a_conflict(
    client, proposals, seeded
):
    headers = bearer(seeded)
    before = scored(client)
    page_before = client.get("/scorecard").text  # fills the page's cache too
    pid = proposals[DEMANDS].id
    response = client.post(f"/api/proposals/{pid}/confirm", json={}, headers=headers)
    assert response.status_code == 200 and response.json()["proposal"]["final_outcome"] == "no"
    assert (
        scored(client) == before + 1
    )  # closes 2022-12-31: past, so scored at once; the cache saw it
    count = re.compile(r'id="count-scored">(\d+)<')
    assert (
        int(count.search(client.get("/scorecard").text).group(1))
        == int(count.search(page_before).group(1)) + 1
    )
    with session_scope(seeded.engine) as session:
        resolution = session.exec(select(Resolution).where(Resolution.question_id == DEMANDS)).one()
        assert resolution.resolved_by == "ana" and resolution.outcome == "no"
        assert resolution.evidence_links == [
            "https://www.wire-a.example/1",
            "https://www.wire-b.example/2",
        ]
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.entity_id == DEMANDS)
            .order_by(AuditEntry.id)
        ).all()
        assert ("confirm-proposal", "ana") in actions and ("resolve", "ana") in actions
    again = client.post(f"/api/proposals/{pid}/confirm", json={}, headers=headers)
    assert (
        again.status_code == 409
        and again.json()["error"] == "lifecycle"
        and "confirmed" in again.json()["detail"]
    )
    assert (
        client.post(f"/api/proposals/{pid}/reject", json={"note": "x"}, headers=headers).status_code
        == 409
    )
    assert client.post("/api/proposals/999999/confirm", json={}, headers=headers).status_code == 404
    assert client.get("/api/review").json()["total"] == 5


def test_disputed_needs_an_outcome_and_reject_needs_a_note(client, proposals, seeded):
    headers = bearer(seeded)
    disputed = proposals[MORATORIUM].id
    missing = client.post(f"/api/proposals/{disputed}/confirm", json={}, headers=headers)
    assert missing.status_code == 400 and "proposes no outcome" in missing.json()["detail"]
    decided = client.post(
        f"/api/proposals/{disputed}/confirm", json={"outcome": "no"}, headers=headers
    ).json()
    assert (decided["proposal"]["final_outcome"], decided["forecast_outcome"]) == ("no", "no")
    other = proposals["bucharest-retraction-madrid"].id
    for body in ({}, {"note": "  "}):
        refused = client.post(f"/api/proposals/{other}/reject", json=body, headers=headers)
        assert refused.status_code == 400
        assert (
            refused.json()["detail"] == f"note: rejecting proposal {other} needs a note saying why"
        )
    rejected = client.post(
        f"/api/proposals/{other}/reject", json={"note": "the summit reaffirmed it"}, headers=headers
    ).json()
    assert rejected["proposal"]["status"] == "rejected" and rejected["forecast_status"] in (
        "open",
        "closed",
    )
    assert rejected["proposal"]["decision_note"] == "the summit reaffirmed it"
    changed = client.post(
        f"/api/proposals/{proposals[DEMANDS].id}/confirm", json={"outcome": "yes"}, headers=headers
    ).json()
    assert (changed["proposal"]["outcome"], changed["proposal"]["final_outcome"]) == ("no", "yes")


def test_forms_confirm_from_the_queue_and_reject_from_the_forecast_page(client, proposals, seeded):
    sign_in(client)
    page = client.get("/review").text
    assert page.count('class="stacked confirm-form"') == 6
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    pid = proposals[DEMANDS].id
    forged = client.post(
        f"/review/{pid}/confirm", data={"outcome": "", "back": "review"}, follow_redirects=False
    )
    assert forged.status_code == 403
    done = client.post(
        f"/review/{pid}/confirm",
        data={"outcome": "", "note": "", "back": "review", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/review?done=confirmed"
    after = client.get(done.headers["location"]).text
    assert "The proposal is confirmed" in after and 'id="review-count">5 proposals' in after
    again = client.post(
        f"/review/{pid}/confirm", data={"outcome": "", "back": "review", "csrf_token": token}
    )
    assert again.status_code == 409 and "is confirmed; it cannot be confirmed" in again.text

    moratorium = proposals[MORATORIUM].id
    forecast_page = client.get(f"/forecasts/{MORATORIUM}").text
    assert f'action="/review/{moratorium}/reject"' in forecast_page
    no_note = client.post(
        f"/review/{moratorium}/reject", data={"note": "", "back": "forecast", "csrf_token": token}
    )
    assert no_note.status_code == 400 and "needs a note saying why" in no_note.text
    rejected = client.post(
        f"/review/{moratorium}/reject",
        follow_redirects=False,
        data={"note": "the <b>diplomat</b> was misquoted", "back": "forecast", "csrf_token": token},
    )
    assert rejected.headers["location"] == f"/forecasts/{MORATORIUM}?done=rejected"
    shown = client.get(rejected.headers["location"]).text
    assert "The proposal is rejected" in shown and "None pending." in shown
    assert (
        "the &lt;b&gt;diplomat&lt;/b&gt; was misquoted" in shown
    )  # the note, in the audit log, escaped
    with session_scope(seeded.engine) as session:
        assert session.get(Proposal, moratorium).decided_by == "ana"
        assert session.get(Forecast, MORATORIUM).status in ("open", "closed")


# --- hostile text -----------------------------------------------------------------------------


def test_hostile_article_title_sentence_and_link_are_escaped(client, proposals):
    assert HOSTILE_ID in proposals  # the hostile rule matched the hostile sentence: real evidence
    for path in ("/review", f"/forecasts/{HOSTILE_ID}"):
        page = client.get(path).text
        assert (
            "<script>alert(" not in page and "<img src=x" not in page and "<svg onload" not in page
        )
        assert "&lt;script&gt;alert(&#39;article&#39;)&lt;/script&gt; Breaking" in page
        assert (
            "Witnesses saw <mark>&lt;svg onload=alert(&#39;rule&#39;)&gt;</mark> next to &lt;img"
            in page
        )
        assert "javascript:" not in page  # the article's javascript: link is text, not a link
        assert 'href="https://www.evil-b.example/x"' in page
    api = client.get(f"/api/forecasts/{HOSTILE_ID}").json()
    rows = api["evidence"]["items"]
    assert [r["url"] for r in rows] == [None, "https://www.evil-b.example/x"]
    assert {r["title"] for r in rows} == {HOSTILE_ARTICLE_TITLE} and {
        r["sentence"] for r in rows
    } == {HOSTILE_SENTENCE}


def test_highlight_escapes_first_and_marks_only_whole_phrases():
    assert (
        str(highlight("A & B <i>signed</i> the Treaty.", ["signed the treaty", "treaty"]))
        == "A &amp; B &lt;i&gt;signed&lt;/i&gt; the <mark>Treaty</mark>."
    )
    assert (
        str(highlight("Tom & amp: gt", ["amp", "gt"]))
        == "Tom &amp; <mark>amp</mark>: <mark>gt</mark>"
    )
    assert (
        str(highlight("The Senate ratified it; ratification next.", ["ratif*"]))
        == "The Senate <mark>ratified</mark> it; <mark>ratification</mark> next."
    )
    assert (
        str(highlight("Russian demands, Russia said", ["Russia"]))
        == "Russian demands, <mark>Russia</mark> said"
    )
    assert (
        str(highlight("U.S.–Russia talks", ["U.S.-Russia talks"]))
        == "<mark>U.S.-Russia talks</mark>"
    )
    assert (
        str(highlight("overlap: new members", ["new members", "members"]))
        == "overlap: <mark>new members</mark>"
    )
    assert (
        str(highlight("<script>", ["*bad*", ""])) == "&lt;script&gt;"
    )  # labels that never compiled mark nothing
