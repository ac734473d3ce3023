"""The CLI and the JSON API are two front ends of one use-case layer: the same input gives the
same result and the same one-line error from both (the CLI's ``Error: <message>``, the API's
``{"detail": "<message>"}`` with a 4xx), and a refused change writes nothing.

These were cases where the two had drifted apart: resolving and reopening written twice, a feed
interval capped on the web only (and a traceback from the CLI), "closed" shown but not filtered
on the web until a sweep ran, two readings of a feed's state.
"""

from __future__ import annotations

import getpass
import json

import pytest
from sqlalchemy import event, text
from sqlmodel import col, select

from tests.web_fixtures import HOSTILE_ID, add_proposals, make_token
from tracker import service
from tracker.models import AuditEntry, Status
from tracker.settings import Settings

#: forecasts of the seeded article, imported as of 2022-02-01 (so stored as "open") and past their
#: close dates (2022-12-31, 2023-12-31) today: no sweep has recorded them closed
PAST_CLOSE = "us-implements-russian-demands"
OTHER = "nato-moratorium"
HUGE = "9999999999d"


@pytest.fixture
def api(seeded, client):
    """The web app's client with an analyst's API token."""
    client.headers["Authorization"] = f"Bearer {make_token(seeded.engine)}"
    return client


def cli_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), (
        result.output
    )  # one line, no traceback
    return lines[0].removeprefix("Error: ")


def api_error(response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["detail"]


def feed_count(engine) -> int:
    with service.unit_of_work(engine) as session:
        return len(service.list_feeds(session))


def audit_actions(engine, forecast_id: str) -> list[str]:
    with service.unit_of_work(engine) as session:
        return [a.action for a in service.forecast_detail(session, forecast_id).audit]


# --- resolving and reopening by hand -------------------------------------------------------


def test_resolve_and_reopen_give_the_same_result_from_both(seeded, cli, api):
    cli("resolve-manually", PAST_CLOSE, "--outcome", "no", "--note", "rejected", "--by", "ana")
    body = api.post(f"/api/forecasts/{OTHER}/resolve", json={"outcome": "no", "note": "rejected"})
    assert body.status_code == 200
    shown = json.loads(cli("forecasts", "show", PAST_CLOSE, "--format", "json").output)
    assert (shown["status"], shown["outcome"]) == (body.json()["status"], body.json()["outcome"])
    assert (shown["status"], shown["outcome"]) == ("resolved", "no")
    # both record the close that was due first, then the resolution, by the analyst
    for forecast_id in (PAST_CLOSE, OTHER):
        assert audit_actions(seeded.engine, forecast_id)[-2:] == ["close", "resolve"]
    assert shown["resolutions"][0]["resolved_by"] == body.json()["resolutions"][0]["resolved_by"]

    cli("reopen", PAST_CLOSE, "--note", "premature", "--by", "ana")
    reopened = api.post(f"/api/forecasts/{OTHER}/reopen", json={"note": "premature"}).json()
    shown = json.loads(cli("forecasts", "show", PAST_CLOSE, "--format", "json").output)
    assert shown["status"] == reopened["status"] == "closed"  # both past their close dates
    assert shown["outcome"] is reopened["outcome"] is None
    for forecast_id in (PAST_CLOSE, OTHER):
        assert audit_actions(seeded.engine, forecast_id)[-1] == "reopen"


def test_refused_resolutions_are_the_same_error_from_both(seeded, cli, api):
    cli("resolve-manually", PAST_CLOSE, "--outcome", "yes", "--by", "ana")
    again = cli_error(cli("resolve-manually", PAST_CLOSE, "--outcome", "no", ok=False))
    assert again == api_error(
        api.post(f"/api/forecasts/{PAST_CLOSE}/resolve", json={"outcome": "no"}), 409
    )
    assert "reopen it first" in again

    no_note = cli_error(cli("reopen", PAST_CLOSE, "--note", "  ", ok=False))
    assert no_note == api_error(api.post(f"/api/forecasts/{PAST_CLOSE}/reopen", json={}), 400)
    assert no_note.startswith("note: ") and "needs a note saying why" in no_note

    not_resolved = cli_error(cli("reopen", OTHER, "--note", "why", ok=False))
    assert not_resolved == api_error(
        api.post(f"/api/forecasts/{OTHER}/reopen", json={"note": "why"}), 409
    )
    assert not_resolved.startswith(f"forecast '{OTHER}' is closed")

    for missing in ("no-such-forecast", "No Such Forecast"):
        unknown = cli_error(cli("reopen", missing, "--note", "why", ok=False))
        assert unknown == api_error(
            api.post(f"/api/forecasts/{missing}/reopen", json={"note": "why"}), 404
        )
        assert unknown.startswith(f"no forecast {missing!r}")
    assert audit_actions(seeded.engine, PAST_CLOSE)[-1] == "resolve"  # nothing else was written


def test_rejecting_without_a_note_is_the_same_error_from_both(seeded, cli, api):
    proposal = add_proposals(seeded.engine)[PAST_CLOSE]
    from_cli = cli_error(cli("reject", str(proposal.id), "--note", "", ok=False))
    from_api = api_error(api.post(f"/api/proposals/{proposal.id}/reject", json={"note": " "}), 400)
    assert from_cli == from_api == f"note: rejecting proposal {proposal.id} needs a note saying why"
    assert api.get("/api/review").json()["total"] >= 1  # still pending


# --- "closed" at any moment ----------------------------------------------------------------


def test_a_forecast_past_its_close_date_is_closed_everywhere_before_any_sweep(seeded, cli, api):
    with service.unit_of_work(seeded.engine) as session:
        stored = service.forecast_detail(session, PAST_CLOSE).forecast.status
    assert stored == Status.OPEN.value  # imported on 2022-02-01's data; no sweep has run since

    from_cli = json.loads(cli("forecasts", "list", "--status", "closed", "--format", "json").output)
    from_api = api.get("/api/forecasts", params={"status": "closed", "per_page": 200}).json()
    closed = sorted(row["id"] for row in from_cli)
    assert PAST_CLOSE in closed and closed == sorted(row["id"] for row in from_api["items"])
    assert all(row["status"] == "closed" for row in from_cli + from_api["items"])

    open_cli = json.loads(cli("forecasts", "list", "--status", "open", "--format", "json").output)
    open_api = api.get("/api/forecasts", params={"status": "open", "per_page": 200}).json()
    assert [r["id"] for r in open_cli] == [r["id"] for r in open_api["items"]] == [HOSTILE_ID]
    assert api.get(f"/api/forecasts/{PAST_CLOSE}").json()["status"] == "closed"
    shown = json.loads(cli("forecasts", "show", PAST_CLOSE, "--format", "json").output)
    assert shown["status"] == "closed"
    page = api.get("/forecasts", params={"status": "closed"}).text
    assert PAST_CLOSE in page

    with service.unit_of_work(seeded.engine) as session:  # reading wrote nothing
        assert service.forecast_detail(session, PAST_CLOSE).forecast.status == Status.OPEN.value


# --- feeds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("interval", [HUGE, "99999999999999999999999999d", "-5m", "30s", "31d"])
def test_a_bad_interval_is_the_same_one_line_error_from_both(seeded, cli, api, interval):
    url = "https://feeds.example/world.xml"
    before = feed_count(seeded.engine)
    from_cli = cli_error(cli("feeds", "add", url, "--interval", interval, ok=False))
    from_api = api_error(api.post("/api/feeds", json={"url": url, "interval": interval}), 400)
    assert from_cli == from_api and from_cli.startswith("interval: ")
    assert "1d" in from_cli or "one minute" in from_cli  # says what is allowed
    assert feed_count(seeded.engine) == before


def test_opml_import_has_the_same_interval_bounds(seeded, cli, tmp_path):
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline type="rss" text="a" xmlUrl="https://a.example/rss"/></body></opml>'
    )
    before = feed_count(seeded.engine)
    error = cli_error(cli("feeds", "import-opml", opml, "--interval", HUGE, ok=False))
    assert error.startswith("interval: ") and "30 days" in error
    assert feed_count(seeded.engine) == before
    cli("feeds", "import-opml", opml, "--interval", "2h")
    assert feed_count(seeded.engine) == before + 1


@pytest.mark.parametrize(
    "url", ["ftp://feeds.example/rss", "javascript:alert(1)", "http://[", "http://a b.example/"]
)
def test_a_bad_feed_url_is_the_same_error_from_both(seeded, cli, api, url):
    from_cli = cli_error(cli("feeds", "add", url, ok=False))
    from_api = api_error(api.post("/api/feeds", json={"url": url}), 400)
    assert from_cli == from_api and from_cli.startswith("feed URL ")


def test_unknown_feed_ids_are_the_same_error_from_both(seeded, cli, api):
    for command, request in [
        (("feeds", "disable", "424242"), ("post", "/api/feeds/424242/disable", {})),
        (("feeds", "enable", "424242"), ("post", "/api/feeds/424242/enable", None)),
        (("feeds", "remove", "424242"), ("delete", "/api/feeds/424242", None)),
    ]:
        method, path, body = request
        response = api.request(method, path, json=body)
        assert (
            cli_error(cli(*command, ok=False))
            == api_error(response, 404)
            == ("no feed 424242; see `tracker feeds list`")
        )


def test_feed_state_reads_the_same_from_both(seeded, cli, api):
    url = "https://feeds.example/new.xml"
    added = api.post("/api/feeds", json={"url": url, "interval": "1h"}).json()
    cli("feeds", "disable", str(added["id"]), "--reason", "paused")
    from_cli = {f["id"]: f for f in json.loads(cli("feeds", "list", "--format", "json").output)}
    from_api = {f["id"]: f for f in api.get("/api/feeds").json()["items"]}
    assert {i: f["state"] for i, f in from_cli.items()} == {
        i: f["state"] for i, f in from_api.items()
    }
    assert sorted(f["state"] for f in from_api.values()) == ["disabled", "failing"]
    assert from_cli[added["id"]]["disabled_reason"] == from_api[added["id"]]["disabled_reason"]
    assert from_cli[added["id"]]["interval_s"] == from_api[added["id"]]["interval_s"] == 3600
    # both front ends write the change, and who made it, to the audit log
    with service.unit_of_work(seeded.engine) as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "feed", AuditEntry.entity_id == str(added["id"]))
            .order_by(col(AuditEntry.id))
        ).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("create", "ana"),
        ("disable", getpass.getuser()),
    ]
    assert entries[1].detail == {"url": url, "reason": "paused"}


# --- tracker status ------------------------------------------------------------------------


def test_status_counts_articles_with_counts_not_lists(seeded, cli, database_url):
    add_proposals(seeded.engine)
    with service.unit_of_work(seeded.engine) as session:
        session.execute(text("UPDATE article SET matched_at = NULL WHERE id % 2 = 0"))
    statements: list[str] = []
    engine = service.database(Settings(database_url=database_url))  # the CLI's engine

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split()).lower())

    try:
        out = cli("status").output
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with service.unit_of_work(seeded.engine) as session:
        progress = service.pipeline_progress(session)
    unmatched = progress.articles - progress.matched
    assert unmatched > 0
    assert f"Articles: {progress.articles} stored, {unmatched} not yet processed" in out
    article_reads = [s for s in statements if "from article" in s]
    assert article_reads and all("count(" in s for s in article_reads), article_reads
