"""Dated statements and corrections (issue 14, item 4): `tracker forecasts update` / `correct`,
the `updates:` and `correction:` of forecast files, the refusal to re-score a resolved forecast
through a re-import, the time-weighted Brier against a hand computation, the scorecard's flag,
the web form and the API, and migration 0008 on a database of the old shape.  SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.web_fixtures import FORECAST_ID, csrf_token_of, make_token, sign_in
from tracker import db, service
from tracker.clock import today
from tracker.db import session_scope
from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastImportError, InvalidInputError, NotFoundError, UnknownTermError
from tracker.models import AuditEntry, Forecast, ProbabilityUpdate
from tracker.scoring import ScorecardFilter

SCALE = EstimativeScale.builtin()
ID = "summit-held"
ACTOR = "ana"
#: the scorecard's day: long after every forecast here closed
AS_OF = date(2026, 1, 1)


def forecast_yaml(
    probability: float = 0.3,
    updates: str = "",
    correction: str | None = None,
    closes: str = "2022-02-28",
) -> str:
    """A one-forecast file: opens 2022-01-21 at ``probability``, closes ``closes``."""
    extra = f"    correction: {json.dumps(correction)}\n" if correction else ""
    block = f"    updates:\n{updates}" if updates else ""
    return (
        "source:\n"
        "  title: A column on the summit\n"
        "  author: Jane Pundit\n"
        "  published: 2022-01-21\n"
        "forecasts:\n"
        f"  - id: {ID}\n"
        "    question: Will the summit be held by its close date?\n"
        "    quote: The summit may well take place.\n"
        "    estimate: may well\n"
        f"    probability: {probability}\n"
        "    opens: 2022-01-21\n"
        f"    closes: {closes}\n"
        "    resolution:\n"
        "      default_at_close: no\n"
        f"{extra}{block}"
    )


def update_entry(as_of: str, probability: float, quote: str = "It will now happen.") -> str:
    return (
        f"      - as_of: {as_of}\n"
        f"        probability: {probability}\n"
        f"        quote: {json.dumps(quote)}\n"
        "        url: https://news.example/later\n"
    )


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "summit.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def import_file(engine, path: Path, day: date = date(2022, 1, 25)):
    with session_scope(engine) as session:
        return service.import_forecasts(session, [path], SCALE, actor="importer", today=day)


def rows_of(engine, forecast_id: str = ID) -> list[ProbabilityUpdate]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(ProbabilityUpdate)
                .where(ProbabilityUpdate.forecast_id == forecast_id)
                .order_by(ProbabilityUpdate.id)
            )
        )


def forecast_of(engine, forecast_id: str = ID) -> Forecast:
    with session_scope(engine) as session:
        found = session.get(Forecast, forecast_id)
        assert found is not None
        return found


def update(engine, forecast_id: str = ID, **kw):
    kw.setdefault("actor", ACTOR)
    with session_scope(engine) as session:
        return service.update_forecast(session, forecast_id, scale=SCALE, **kw)


def correct(engine, forecast_id: str = ID, **kw):
    kw.setdefault("actor", ACTOR)
    with session_scope(engine) as session:
        return service.correct_forecast(session, forecast_id, scale=SCALE, **kw)


def resolve(engine, outcome: str = "yes", forecast_id: str = ID) -> None:
    with session_scope(engine) as session:
        service.resolve_forecast(session, forecast_id, outcome, actor=ACTOR, note="it happened")


def scorecard(engine):
    with session_scope(engine) as session:
        return service.scorecard(session, ScorecardFilter(as_of=AS_OF, resamples=20), SCALE)


# --- the time-weighted Brier, by hand --------------------------------------------------------


def test_time_weighted_brier_of_a_dated_update_matches_the_hand_computation(engine, tmp_path):
    """Opens 2022-01-21 at 0.3; the author says 0.6 on 2022-02-10; closes 2022-02-28; resolved
    YES (today, after the close, so the last scored day is the close date)."""
    import_file(engine, write(tmp_path, forecast_yaml(0.3)))
    update(
        engine,
        as_of=date(2022, 2, 10),
        probability=0.6,
        quote="Now I think it will happen.",
        url="https://news.example/later",
    )
    resolve(engine, "yes")
    card = scorecard(engine)
    # 2022-01-21 .. 2022-02-09: 20 days at 0.3, each scoring (1 - 0.3)^2 = 0.49
    # 2022-02-10 .. 2022-02-28: 19 days at 0.6, each scoring (1 - 0.6)^2 = 0.16
    # (20 * 0.49 + 19 * 0.16) / 39 = (9.8 + 3.04) / 39 = 12.84 / 39 = 0.329230...
    expected = (20 * 0.49 + 19 * 0.16) / 39
    assert card.time_weighted_brier == pytest.approx(expected)
    assert card.time_weighted_brier == pytest.approx(0.3292307692)
    assert card.forecasts_with_updates == 1
    # the plain Brier scores the standing probability, the latest statement's: (1 - 0.6)^2
    assert card.summary.brier == pytest.approx(0.16)
    assert card.counts["corrected_after_resolution"] == 0


def test_a_correction_replaces_a_period_and_is_flagged_after_resolution(engine, tmp_path):
    import_file(engine, write(tmp_path, forecast_yaml(0.3)))
    update(engine, as_of=date(2022, 2, 10), probability=0.6)
    resolve(engine, "yes")
    done = correct(engine, probability=0.35, note="the article says 35 %, 30 % was a typo")
    assert done.statement.kind == "correction" and done.statement.as_of == date(2022, 1, 21)
    assert done.statement.estimate == "may well"  # the number was mistyped, not the words
    assert done.forecast.corrected_after_resolution
    card = scorecard(engine)
    # the initial period now stands at 0.35 (not an extra period): 20 days at (1 - 0.35)^2
    expected = (20 * 0.65**2 + 19 * 0.4**2) / 39
    assert card.time_weighted_brier == pytest.approx(expected)
    assert card.forecasts_with_updates == 1
    assert card.counts["corrected_after_resolution"] == 1
    assert card.counts["corrected_after_resolution_ids"] == [ID]
    assert card.worst[0].corrected_after_resolution
    exported = card.to_json()
    assert exported["counts"]["corrected_after_resolution"] == 1
    assert exported["worst"][0]["corrected_after_resolution"] is True
    with session_scope(engine) as session:
        report = b"".join(service.report(session, card, "csv", t) for t in ("summary", "worst"))
    report = report.decode()
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[_index_of(rows, "Corrected after")][:2] == ["Corrected after resolution ✱", "1"]
    header = rows[_index_of(rows, "forecast")]
    worst = rows[_index_of(rows, "forecast") + 1]
    assert worst[header.index("corrected after resolution")] == "yes"
    assert worst[0] == f"{ID} ✱"
    # a second correction of the same statement replaces the first one, again not adding a day
    correct(engine, probability=0.4, note="35 % was misread as well")
    assert scorecard(engine).time_weighted_brier == pytest.approx((20 * 0.36 + 19 * 0.16) / 39)


def _index_of(rows: list[list[str]], first_cell: str) -> int:
    return next(i for i, row in enumerate(rows) if row and row[0].startswith(first_cell))


def test_a_correction_before_resolution_is_not_flagged(engine, tmp_path):
    import_file(engine, write(tmp_path, forecast_yaml(0.3)))
    correct(engine, probability=0.35, note="typo")
    resolve(engine, "no")
    assert not forecast_of(engine).corrected_after_resolution
    assert scorecard(engine).counts["corrected_after_resolution"] == 0
    assert scorecard(engine).summary.brier == pytest.approx(0.35**2)


# --- `update` and `correct`: the rules --------------------------------------------------------


def test_update_records_the_statement_and_the_forecast_stands_at_the_latest(engine, tmp_path):
    import_file(engine, write(tmp_path, forecast_yaml(0.3, closes="2030-12-31")))
    done = update(
        engine,
        as_of=date(2022, 3, 1),
        estimate="likely",
        quote="It is now likely.",
        url="https://news.example/march",
    )
    assert (done.statement.probability, done.statement.from_scale) == (0.7, True)
    assert (done.statement.kind, done.statement.origin, done.statement.actor) == (
        "update",
        "entered",
        ACTOR,
    )
    # entered late, dated before the last one: the forecast stands at the latest by date
    update(engine, as_of=date(2022, 2, 1), probability=0.5)
    f = forecast_of(engine)
    assert (f.probability, f.estimate, f.probability_from_scale) == (0.7, "likely", True)
    assert [(r.as_of, r.probability, r.estimate) for r in rows_of(engine)] == [
        (date(2022, 1, 21), 0.3, "may well"),
        (date(2022, 3, 1), 0.7, "likely"),
        (date(2022, 2, 1), 0.5, "50%"),
    ]
    with session_scope(engine) as session:
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.entity_id == ID)
        ).all()
    assert actions.count(("statement", ACTOR)) == 2


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        (date(2022, 1, 21), "is not after the forecast opens (2022-01-21)"),
        (date(2022, 1, 10), "is not after the forecast opens"),
        (date(2022, 3, 1), "is after the forecast closes (2022-02-28)"),
    ],
)
def test_update_dates_outside_the_window_are_refused(engine, tmp_path, as_of, message):
    import_file(engine, write(tmp_path, forecast_yaml()))
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        update(engine, as_of=as_of, probability=0.5)
    assert len(rows_of(engine)) == 1


def test_update_refuses_the_future_a_taken_day_and_unknown_terms(engine, tmp_path):
    import_file(engine, write(tmp_path, forecast_yaml(closes="2099-12-31")))
    tomorrow = today() + timedelta(days=1)
    with pytest.raises(InvalidInputError, match="is in the future"):
        update(engine, as_of=tomorrow, probability=0.5)
    update(engine, as_of=date(2022, 2, 1), probability=0.5)
    with pytest.raises(InvalidInputError, match="already has a statement dated 2022-02-01"):
        update(engine, as_of=date(2022, 2, 1), probability=0.6)
    with pytest.raises(UnknownTermError, match="'kinda maybe'"):
        update(engine, as_of=date(2022, 2, 2), estimate="kinda maybe")
    with pytest.raises(InvalidInputError, match="give a probability"):
        update(engine, as_of=date(2022, 2, 2))
    with pytest.raises(InvalidInputError, match="url: 'javascript:alert"):
        update(engine, as_of=date(2022, 2, 2), probability=0.5, url="javascript:alert(1)")
    with pytest.raises(InvalidInputError, match=r"1\.5 is not between 0 and 1"):
        update(engine, as_of=date(2022, 2, 2), probability=1.5)
    assert len(rows_of(engine)) == 2


def test_resolved_forecast_takes_only_statements_made_while_it_was_open(engine, tmp_path):
    import_file(engine, write(tmp_path, forecast_yaml(closes="2099-12-31")))
    resolve(engine, "yes")  # today
    late = update(engine, as_of=date(2022, 6, 1), probability=0.8, quote="Said in June.")
    assert late.forecast.status == "resolved" and late.forecast.probability == 0.8
    assert not late.forecast.corrected_after_resolution  # a statement, not a correction
    with pytest.raises(InvalidInputError) as refused:
        update(engine, as_of=today(), probability=0.9)
    message = str(refused.value)
    assert f"is not before the day the forecast was resolved ({today()})" in message
    assert "only statements made while it was open" in message


def test_correct_needs_a_note_and_a_known_statement(engine, tmp_path):
    import_file(engine, write(tmp_path, forecast_yaml(0.3)))
    with pytest.raises(InvalidInputError, match="note: correcting forecast 'summit-held'"):
        correct(engine, probability=0.35, note="  ")
    with pytest.raises(NotFoundError, match="its statements are dated 2022-01-21"):
        correct(engine, probability=0.35, note="typo", statement_on=date(2022, 2, 1))
    with pytest.raises(InvalidInputError, match=r"already stands at 0\.3 "):
        correct(engine, probability=0.3, estimate="may well", note="typo")
    update(engine, as_of=date(2022, 2, 10), probability=0.6)
    done = correct(engine, probability=0.65, note="65, not 60", statement_on=date(2022, 2, 10))
    assert done.forecast.probability == 0.65 and done.statement.as_of == date(2022, 2, 10)
    with session_scope(engine) as session:
        detail = service.forecast_detail(session, ID)
    assert [(u.as_of, u.probability) for u in detail.standing()] == [
        (date(2022, 1, 21), 0.3),
        (date(2022, 2, 10), 0.65),
    ]
    assert len(detail.replaced) == 1 and detail.corrected


# --- forecast files: `updates:` and `correction:` ---------------------------------------------


def test_file_updates_become_statements_and_reimport_keeps_them_equal(engine, tmp_path):
    path = write(
        tmp_path,
        forecast_yaml(0.3, update_entry("2022-02-10", 0.6) + update_entry("2022-02-20", 0.65)),
    )
    first = import_file(engine, path, date(2022, 3, 1))
    assert first.statements == [(ID, date(2022, 2, 10)), (ID, date(2022, 2, 20))]
    assert forecast_of(engine).probability == 0.65
    again = import_file(engine, path, date(2022, 3, 2))
    assert again.unchanged == [ID] and again.statements == [] and len(rows_of(engine)) == 3
    # one entry changed, one removed, one added
    write(
        tmp_path,
        forecast_yaml(0.3, update_entry("2022-02-10", 0.55) + update_entry("2022-02-25", 0.7)),
    )
    changed = import_file(engine, path, date(2022, 3, 3))
    assert changed.corrections == [(ID, date(2022, 2, 10), 0.6, 0.55)]
    assert changed.removed == [(ID, date(2022, 2, 20))]
    assert changed.statements == [(ID, date(2022, 2, 25))]
    with session_scope(engine) as session:
        detail = service.forecast_detail(session, ID)
    assert [(u.as_of, u.probability, u.kind) for u in detail.standing()] == [
        (date(2022, 1, 21), 0.3, "initial"),
        (date(2022, 2, 10), 0.55, "correction"),
        (date(2022, 2, 25), 0.7, "update"),
    ]
    assert forecast_of(engine).probability == 0.7
    assert import_file(engine, path, date(2022, 3, 4)).unchanged == [ID]


def test_a_file_entry_takes_over_an_entered_statement_of_its_day(engine, tmp_path):
    path = write(tmp_path, forecast_yaml(0.3))
    import_file(engine, path)
    update(engine, as_of=date(2022, 2, 10), probability=0.6)
    write(tmp_path, forecast_yaml(0.3, update_entry("2022-02-10", 0.6)))
    report = import_file(engine, path, date(2022, 3, 1))
    assert report.statements == [] and report.corrections == []
    assert [(r.as_of, r.origin) for r in rows_of(engine)] == [
        (date(2022, 1, 21), "file"),
        (date(2022, 2, 10), "file"),
    ]
    # entered statements that the file does not mention stay
    update(engine, as_of=date(2022, 2, 15), probability=0.62)
    import_file(engine, path, date(2022, 3, 2))
    assert len(rows_of(engine)) == 3


def test_reimport_changing_a_resolved_forecast_is_refused_then_applied_as_correction(
    engine, tmp_path
):
    path = write(tmp_path, forecast_yaml(0.3, update_entry("2022-02-10", 0.6)))
    import_file(engine, path, date(2022, 3, 1))
    resolve(engine, "yes")
    before = scorecard(engine).time_weighted_brier
    write(tmp_path, forecast_yaml(0.5, update_entry("2022-02-10", 0.6)))
    with pytest.raises(ForecastImportError) as refused:
        import_file(engine, path, date(2026, 1, 1))
    (problem,) = refused.value.problems
    assert (problem.path, problem.forecast_id, problem.field) == (str(path), ID, "probability")
    assert "changes from 0.3 ('may well') to 0.5 ('may well')" in problem.message
    assert f"`tracker forecasts update {ID} --as-of DATE`" in problem.message
    assert 'add `correction: "why"` to the forecast' in problem.message
    assert str(path) in str(refused.value) and "nothing was imported" in str(refused.value)
    assert [r.probability for r in rows_of(engine)] == [0.3, 0.6]  # nothing written
    assert scorecard(engine).time_weighted_brier == pytest.approx(before)
    # a changed or removed update is refused too
    write(tmp_path, forecast_yaml(0.3))
    with pytest.raises(ForecastImportError, match="no longer in the file, but it was scored"):
        import_file(engine, path, date(2026, 1, 1))
    # with a correction note the change is a data-entry fix: applied, noted, flagged
    note = "the column says 50 %, 30 % was mistyped"
    write(tmp_path, forecast_yaml(0.5, update_entry("2022-02-10", 0.6), correction=note))
    report = import_file(engine, path, date(2026, 1, 1))
    assert report.corrections == [(ID, date(2022, 1, 21), 0.3, 0.5)]
    correction = rows_of(engine)[-1]
    assert (correction.kind, correction.note, correction.as_of) == (
        "correction",
        note,
        date(2022, 1, 21),
    )
    assert forecast_of(engine).corrected_after_resolution
    card = scorecard(engine)
    assert card.time_weighted_brier == pytest.approx((20 * 0.25 + 19 * 0.16) / 39)
    assert card.counts["corrected_after_resolution_ids"] == [ID]
    # the note stays in the file: importing it again changes nothing
    assert import_file(engine, path, date(2026, 1, 2)).unchanged == [ID]


def test_reimport_adds_late_entries_to_a_resolved_forecast_but_not_after_resolution(
    engine, tmp_path
):
    path = write(tmp_path, forecast_yaml(0.3, closes="2099-12-31"))
    import_file(engine, path, date(2022, 3, 1))
    resolve(engine, "yes")
    write(tmp_path, forecast_yaml(0.3, update_entry("2022-02-10", 0.6), closes="2099-12-31"))
    report = import_file(engine, path, today())
    assert report.statements == [(ID, date(2022, 2, 10))]
    assert not forecast_of(engine).corrected_after_resolution
    late = update_entry("2022-02-10", 0.6) + update_entry(today().isoformat(), 0.9)
    write(tmp_path, forecast_yaml(0.3, late, closes="2099-12-31"))
    with pytest.raises(ForecastImportError, match="not before the day the forecast was resolved"):
        import_file(engine, path, today())


def test_an_import_that_would_date_an_update_in_the_future_is_refused(engine, tmp_path):
    path = write(tmp_path, forecast_yaml(0.3, update_entry("2022-02-10", 0.6)))
    with pytest.raises(ForecastImportError) as refused:
        import_file(engine, path, date(2022, 2, 1))
    assert refused.value.field == "updates" and "is in the future" in str(refused.value)
    with session_scope(engine) as session:
        assert session.get(Forecast, ID) is None


# --- the command line --------------------------------------------------------------------------


def test_cli_update_correct_and_show(cli, tmp_path):
    path = write(tmp_path, forecast_yaml(0.3))
    cli("init")
    cli("forecasts", "import", path)
    out = cli(
        "forecasts",
        "update",
        ID,
        "--probability",
        "0.6",
        "--as-of",
        "2022-02-10",
        "--quote",
        "Now I think it will happen.",
        "--url",
        "https://news.example/later",
        "--by",
        "ana",
    ).stdout
    assert f"{ID}: 60% (60%) from 2022-02-10; it now stands at 60%" in out
    out = cli("forecasts", "correct", ID, "--estimate", "likely", "--note", "it said likely").stdout
    assert "the statement of 2022-01-21 is now 70% (likely)" in out and "re-import" in out
    refused = cli(
        "forecasts", "update", ID, "--probability", "0.5", "--as-of", "2022-03-05", ok=False
    )
    assert refused.exit_code == 1
    assert "Error: as_of: forecast 'summit-held': 2022-03-05 is after the forecast closes" in (
        refused.output
    )
    bad = cli("forecasts", "update", ID, "--probability", "0.5", "--as-of", "10/02/22", ok=False)
    assert "as_of: '10/02/22' is not a date" in bad.output
    shown = json.loads(cli("forecasts", "show", ID, "--format", "json").stdout)
    history = [(h["as_of"], h["probability"], h["kind"]) for h in shown["probability_history"]]
    assert history == [
        ("2022-01-21", 0.3, "initial"),
        ("2022-01-21", 0.7, "correction"),
        ("2022-02-10", 0.6, "update"),
    ]
    assert shown["probability_history"][2]["quote"] == "Now I think it will happen."
    table = cli("forecasts", "show", ID).stdout
    assert "2022-02-10" in table and "60%" in table


# --- the web page and the API ------------------------------------------------------------------


def test_web_form_records_a_statement_with_csrf_and_the_history_escapes_it(client):
    page = client.get(f"/forecasts/{FORECAST_ID}").text
    assert 'id="update-form"' not in page  # not signed in
    sign_in(client)
    token = csrf_token_of(client, f"/forecasts/{FORECAST_ID}")
    form = {
        "as_of": "2022-02-15",
        "probability": "",
        "estimate": "unlikely",
        "quote": "<script>alert('quote')</script> Still unlikely.",
        "url": "https://news.example/feb",
    }
    refused = client.post(f"/forecasts/{FORECAST_ID}/update", data=form)
    assert refused.status_code == 403  # no CSRF token
    done = client.post(f"/forecasts/{FORECAST_ID}/update", data={**form, "csrf_token": token})
    assert done.status_code == 200 and "The statement is recorded." in done.text
    history = done.text[done.text.index('id="history"') :]
    history = history[: history.index("</table>")]
    assert "2022-02-15" in history and "unlikely" in history
    assert "&lt;script&gt;alert(&#39;quote&#39;)&lt;/script&gt; Still unlikely." in history
    assert "<script>alert('quote')" not in done.text
    assert 'href="https://news.example/feb" rel="noopener noreferrer nofollow"' in history
    bad = client.post(
        f"/forecasts/{FORECAST_ID}/update",
        data={**form, "as_of": "2021-01-01", "csrf_token": token},
    )
    assert bad.status_code == 400 and "is not after the forecast opens" in bad.text


def test_api_records_a_statement_with_a_token(client, seeded):
    body = {"as_of": "2022-02-15", "probability": 0.1, "quote": "Hardly.", "url": "ftp://x"}
    assert client.post(f"/api/forecasts/{FORECAST_ID}/updates", json=body).status_code == 401
    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    bad = client.post(f"/api/forecasts/{FORECAST_ID}/updates", json=body, headers=headers)
    assert bad.status_code == 400 and bad.json()["detail"].startswith("url: 'ftp://x'")
    body["url"] = "https://news.example/feb"
    done = client.post(f"/api/forecasts/{FORECAST_ID}/updates", json=body, headers=headers)
    assert done.status_code == 201
    detail = done.json()
    assert detail["probability"] == 0.1
    latest = detail["probability_history"][-1]
    assert (latest["as_of"], latest["kind"], latest["origin"], latest["actor"]) == (
        "2022-02-15",
        "update",
        "entered",
        "ana",
    )
    assert (latest["quote"], latest["url"], latest["replaced"]) == (
        "Hardly.",
        "https://news.example/feb",
        False,
    )
    missing = client.post("/api/forecasts/no-such/updates", json=body, headers=headers)
    assert missing.status_code == 404


# --- migration 0008 ----------------------------------------------------------------------------


def test_migration_keeps_every_row_and_a_reimport_of_the_old_file_changes_nothing(
    database_url, tmp_path
):
    """A database of 0007's shape where a re-import once changed the probability (0.3 -> 0.6,
    dated the import day): the rows become the initial statement and an update of origin
    `reimport`, and the same file (top-level 0.6) imports again without a change."""
    engine = db.make_engine(database_url)
    db.upgrade(engine, "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO source (id, key, title, author, created_at) VALUES"
                " (1, 'summit', 'A column on the summit', 'Jane Pundit', '2022-01-21 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO forecast (id, source_id, question, quote, estimate, probability,"
                " probability_from_scale, vague, opens, closes, status, min_sources,"
                " default_at_close, created_at, updated_at) VALUES (:id, 1, :question, :quote,"
                " 'may well', 0.6, false, false, '2022-01-21', '2022-02-28', 'open', 2, 'no',"
                " '2022-01-21 00:00:00', '2022-01-21 00:00:00')"
            ),
            {
                "id": ID,
                "question": "Will the summit be held by its close date?",
                "quote": "The summit may well take place.",
            },
        )
        for row_id, day, p, note in (
            (1, "2022-01-21", 0.3, "initial"),
            (2, "2022-02-10", 0.6, None),
        ):
            connection.execute(
                text(
                    "INSERT INTO probability_update (id, forecast_id, as_of, probability, estimate,"
                    " recorded_at, note) VALUES (:id, :f, :day, :p, 'may well',"
                    " '2022-02-10 00:00:00', :note)"
                ),
                {"id": row_id, "f": ID, "day": day, "p": p, "note": note},
            )
    db.upgrade(engine)
    migrated = rows_of(engine)
    assert [(r.id, r.as_of, r.probability, r.kind, r.origin, r.note) for r in migrated] == [
        (1, date(2022, 1, 21), 0.3, "initial", "file", None),
        (2, date(2022, 2, 10), 0.6, "update", "reimport", None),
    ]
    assert migrated[0].quote == "The summit may well take place." and migrated[1].quote is None
    assert not forecast_of(engine).corrected_after_resolution
    # the file as it was last imported (its top-level probability changed to 0.6 back then)
    report = import_file(engine, write(tmp_path, forecast_yaml(0.6)), date(2022, 3, 1))
    assert report.unchanged == [ID] and report.corrections == []
    assert len(rows_of(engine)) == 2
    engine.dispose()
