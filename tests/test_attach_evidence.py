"""Evidence attached by hand ("propose as evidence for..."): it counts like matched evidence,
is audited with who attached it and why, a duplicate is one line, and detaching undoes it; from
the service, the CLI and the API.  Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from tests.web_fixtures import Seeded, make_token
from tracker import resolution, service
from tracker.db import session_scope
from tracker.errors import ConflictError, InvalidInputError, NotFoundError
from tracker.models import Article, AuditEntry, Evidence, Feed, Proposal

#: min_sources 2, open until 2024, and no article of the tests matches its rules
SENATE = "senate-ratifies-russia-agreement"
NOTE = "reports the Senate vote on the treaty"


def add_articles(engine, *publishers: str, day: str = "2022-03-01") -> list[int]:
    """One article per publisher (its own feed), none matching any forecast's rules."""
    ids = []
    with session_scope(engine) as session:
        for n, publisher in enumerate(publishers):
            feed = Feed(
                url=f"https://{publisher}/rss-{n}.xml",
                site_url=f"https://{publisher}/",
                interval_s=3600,
            )
            session.add(feed)
            session.flush()
            article = Article(
                feed_id=feed.id,
                identity=f"hand-{publisher}-{n}",
                url=f"https://{publisher}/story-{n}",
                title=f"Vote in Washington, part {n}",
                summary="Senators met on Tuesday.",
                published_at=datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC),
                content_hash=f"hand-{publisher}-{n}",
                publisher=publisher,
            )
            session.add(article)
            session.flush()
            ids.append(article.id)
    return ids


def attach(engine, article_id: int, side: str = "yes", note: str | None = NOTE, **kw):
    with session_scope(engine) as session:
        done = service.attach_evidence(
            session,
            article_id=article_id,
            forecast_id=kw.get("forecast_id", SENATE),
            side=side,
            actor=kw.get("actor", "ana"),
            note=note,
        )
        return done.evidence.id, done.counts, [(p.kind, p.outcome) for p in done.proposals]


def pending(engine, question_id: str = SENATE) -> list[tuple[str, str | None]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Proposal).where(
                Proposal.question_id == question_id, Proposal.status == "pending"
            )
        )
        return [(p.kind, p.outcome) for p in rows]


def audit_of(engine, action: str) -> list[AuditEntry]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
        )
        return [row.model_copy() for row in rows]


# --- the use case ---------------------------------------------------------------------------


def test_attached_evidence_counts_like_matched_evidence_and_is_audited(seeded: Seeded):
    first, second = add_articles(seeded.engine, "wire-a.example", "wire-b.example")
    evidence_id, counts, made = attach(seeded.engine, first)
    assert counts and made == [] and pending(seeded.engine) == []  # one publisher of 2 needed
    with session_scope(seeded.engine) as session:
        row = session.get(Evidence, evidence_id)
        assert row is not None
        assert (row.attached_by, row.note, row.side, row.publisher) == (
            "ana",
            NOTE,
            "yes",
            "wire-a.example",
        )
        assert row.sentence == "Vote in Washington, part 0" and row.field == "title"

    _, _, made = attach(seeded.engine, second, actor="bob")
    assert made == [("evidence", "yes")] and pending(seeded.engine) == [("evidence", "yes")]
    entries = audit_of(seeded.engine, "attach-evidence")
    assert [(e.actor, e.entity_id) for e in entries] == [("ana", SENATE), ("bob", SENATE)]
    assert entries[0].detail["note"] == NOTE and entries[0].detail["article"] == first
    assert [e.detail["reason"] for e in audit_of(seeded.engine, "propose")][-1].startswith(
        "YES reported by 2 publisher(s)"
    )
    # the forecast's page reads it like any evidence, with who attached it
    with session_scope(seeded.engine) as session:
        rows = service.evidence_page(session, SENATE).items
        assert [(e.attached_by, e.note) for e in rows] == [("ana", NOTE), ("bob", NOTE)]
        view = service.article_view(session, first)
        assert [(e.forecast_id, e.attached_by) for e in view.evidence] == [(SENATE, "ana")]


def test_attaching_twice_is_one_line_and_detaching_undoes_it(seeded: Seeded):
    first, second = add_articles(seeded.engine, "wire-a.example", "wire-b.example")
    attach(seeded.engine, first)
    with pytest.raises(ConflictError) as twice:
        attach(seeded.engine, first, note="the same article again, by mistake")
    message = str(twice.value)
    assert "\n" not in message and "already" in message and f"article {first}" in message
    evidence_id, _, _ = attach(seeded.engine, second)
    assert pending(seeded.engine) == [("evidence", "yes")]

    with session_scope(seeded.engine) as session:
        service.detach_evidence(session, evidence_id=evidence_id, actor="ana", forecast_id=SENATE)
    assert pending(seeded.engine) == []  # the proposal lost its second publisher: superseded
    with session_scope(seeded.engine) as session:
        assert session.get(Evidence, evidence_id) is None
    (entry,) = audit_of(seeded.engine, "detach-evidence")
    assert entry.actor == "ana" and entry.detail["article"] == second
    attach(seeded.engine, second, note="attached again after all")  # possible once detached


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"side": "maybe"}, "side"),
        ({"note": None}, "note"),
        ({"note": "   ok   "}, "note"),
        ({"note": "1234567890"}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"note": "has a NUL \x00 in it"}, "note"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(seeded: Seeded, change, field):
    (article_id,) = add_articles(seeded.engine, "wire-a.example")
    args = {"side": "yes", "note": NOTE, **change}
    with pytest.raises(InvalidInputError) as refused:
        attach(seeded.engine, article_id, args["side"], args["note"])
    assert refused.value.field == field and "\n" not in str(refused.value)
    with session_scope(seeded.engine) as session:
        assert session.exec(select(Evidence)).all() == []


def test_unknown_article_or_forecast_and_matched_evidence_are_refused(seeded: Seeded):
    (article_id,) = add_articles(seeded.engine, "wire-a.example")
    with pytest.raises(NotFoundError, match="no article 999999"):
        attach(seeded.engine, 999_999)
    with pytest.raises(NotFoundError, match="no forecast 'nope'"):
        attach(seeded.engine, article_id, forecast_id="nope")
    with session_scope(seeded.engine) as session:  # evidence found by matching stays
        evidence = Evidence(
            question_id=SENATE,
            article_id=article_id,
            side="no",
            sentence="matched",
            publisher="wire-a.example",
            published_at=datetime(2022, 3, 1, tzinfo=UTC),
        )
        session.add(evidence)
        session.flush()
        matched_id = evidence.id
    with (
        pytest.raises(InvalidInputError, match="found by matching"),
        session_scope(seeded.engine) as session,
    ):
        service.detach_evidence(session, evidence_id=matched_id, actor="ana")


def test_evidence_outside_the_window_is_kept_but_does_not_count(seeded: Seeded):
    (article_id,) = add_articles(seeded.engine, "wire-a.example", day="2021-06-01")
    _, counts, made = attach(seeded.engine, article_id)
    assert not counts and made == []


def test_attached_evidence_survives_a_rematch_that_moves_its_article_to_another_publisher(
    seeded: Seeded,
):
    """Matching drops a matched row whose article's page moved it to another publisher (its
    sentence may be the aggregator's words); a row attached by hand stays, recounted."""
    (article_id,) = add_articles(seeded.engine, "aggregator.example")
    evidence_id, _, _ = attach(seeded.engine, article_id)
    with session_scope(seeded.engine) as session:
        article = session.get(Article, article_id)
        article.publisher, article.body_source = "wire-a.example", "page"
        session.add(article)
        session.flush()
        resolution.match_articles(session, [article_id], resolution.RuleSet(), rematch=True)
    with session_scope(seeded.engine) as session:
        row = session.get(Evidence, evidence_id)
        assert row is not None and (row.publisher, row.attached_by) == ("wire-a.example", "ana")


# --- the CLI and the API ----------------------------------------------------------------------


def test_cli_attach_and_detach(seeded: Seeded, cli):
    first, second = add_articles(seeded.engine, "wire-a.example", "wire-b.example")
    cli("evidence", "attach", first, SENATE, "--side", "yes", "--note", NOTE, "--by", "ana")
    out = cli(
        "evidence", "attach", second, SENATE, "--side", "yes", "--note", NOTE, "--by", "ana"
    ).output
    assert "proposal" in out and "evidence (yes)" in out
    again = cli(
        "evidence",
        "attach",
        first,
        SENATE,
        "--side",
        "yes",
        "--note",
        NOTE,
        "--by",
        "ana",
        ok=False,
    )
    assert again.exit_code != 0 and "already" in again.output
    assert len(again.output.strip().splitlines()) == 1
    listed = json.loads(
        cli(
            "evidence", "attach", first, SENATE, "--side", "no", "--note", NOTE, "--format", "json"
        ).output
    )
    assert listed["attached_by"] and listed["side"] == "no"
    cli("evidence", "detach", listed["id"], "--by", "ana")
    with session_scope(seeded.engine) as session:
        assert session.get(Evidence, listed["id"]) is None


def test_api_attach_and_detach(seeded: Seeded, client):
    first, second = add_articles(seeded.engine, "wire-a.example", "wire-b.example")
    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    url = f"/api/forecasts/{SENATE}/evidence"
    body = {"article_id": first, "side": "yes", "note": NOTE}
    assert client.post(url, json=body).status_code == 401  # a write needs an analyst
    made = client.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["evidence"]["attached_by"] == "ana" and made.json()["counts"] is True
    again = client.post(url, json=body, headers=headers)
    assert again.status_code == 409 and "already" in again.json()["detail"]
    bad = client.post(url, json={**body, "article_id": second, "note": ""}, headers=headers)
    assert bad.status_code == 400 and bad.json()["detail"].startswith("note: ")
    second_made = client.post(url, json={**body, "article_id": second}, headers=headers).json()
    assert second_made["proposals"][0]["kind"] == "evidence"
    page = client.get(f"/api/forecasts/{SENATE}").json()
    assert page["proposal"]["outcome"] == "yes"

    evidence_id = second_made["evidence"]["id"]
    gone = client.delete(f"{url}/{evidence_id}", headers=headers)
    assert gone.status_code == 200, gone.text
    assert client.get(f"/api/forecasts/{SENATE}").json()["proposal"] is None
    assert client.delete(f"{url}/{evidence_id}", headers=headers).status_code == 404
