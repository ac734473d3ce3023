"""The scorecard from the database: the source article with outcomes recorded by hand,
re-resolution, the close-date rule, annulment, time weighting and scale sensitivity."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import numpy as np
import pytest
from sqlmodel import select

from tests.conftest import ARTICLE_FILE
from tests.report_files import csv_files
from tracker.db import session_scope
from tracker.domain import lifecycle, registry
from tracker.domain.scale import EstimativeScale
from tracker.models import Forecast, Outcome, ProbabilityUpdate
from tracker.reports import render_report
from tracker.scoring import SCHEMA_VERSION, ScorecardFilter, compute_scorecard

#: Outcomes recorded by hand for the article's forecasts (what happened by the close dates).
OUTCOMES = {
    "us-implements-russian-demands": "no",
    "nonexpansion-nondeployment-agreement": "no",
    "senate-ratifies-russia-agreement": "no",
    "ukraine-georgia-stay-outside-nato": "yes",
    "bucharest-retraction-madrid": "no",
    "nato-moratorium": "no",
    "no-us-missiles-in-ukraine-agreement": "no",
    "no-nato-bases-in-ukraine-agreement": "no",
    "western-advisers-leave-ukraine": "yes",
    "end-ukraine-western-military-cooperation": "no",
    "nato-withdraws-eastern-infrastructure": "no",
    "intermediate-range-missile-agreement": "no",
    "new-inf-agreement-missile-defense": "no",
    "eastern-flank-confidence-building": "no",
    "russia-military-measures": "yes",
    "new-weapons-to-sensitive-regions": "yes",
    "closer-military-cooperation-belarus": "yes",
    "closer-cooperation-china": "yes",
    "us-nato-written-counterproposals": "yes",
}
ANNULLED = "congress-new-russia-sanctions"
AS_OF = "2026-01-01"


def _import(engine, path=ARTICLE_FILE):
    files = registry.load_files([path], EstimativeScale.builtin())
    with session_scope(engine) as session:
        registry.import_files(session, files, today=date(2026, 1, 1), actor="test")


def _resolve_all(engine):
    with session_scope(engine) as session:
        for forecast_id, outcome in OUTCOMES.items():
            lifecycle.resolve(
                session, session.get(Forecast, forecast_id), Outcome(outcome), actor="ana"
            )
        lifecycle.resolve(session, session.get(Forecast, ANNULLED), Outcome.ANNULLED, actor="ana")


def _expected(engine):
    with session_scope(engine) as session:
        rows = session.exec(select(Forecast.id, Forecast.probability)).all()
    p = np.array([prob for fid, prob in rows if fid in OUTCOMES])
    y = np.array([1.0 if OUTCOMES[fid] == "yes" else 0.0 for fid, _ in rows if fid in OUTCOMES])
    return p, y


def test_article_scorecard_by_hand_and_every_report(cli, tmp_path):
    cli("init")
    cli("forecasts", "import", ARTICLE_FILE)
    for forecast_id, outcome in OUTCOMES.items():
        cli(
            "resolve-manually",
            forecast_id,
            "--outcome",
            outcome,
            "--note",
            "by hand",
            "--by",
            "ana",
        )
    cli(
        "resolve-manually",
        ANNULLED,
        "--outcome",
        "annulled",
        "--note",
        "question moot",
        "--by",
        "ana",
    )
    shown = {r["id"]: r for r in json.loads(cli("forecasts", "list", "--format", "json").output)}
    p = np.array([shown[i]["probability"] for i in OUTCOMES])
    y = np.array([1.0 if o == "yes" else 0.0 for o in OUTCOMES.values()])

    card = json.loads(cli("scorecard", "--format", "json", "--as-of", AS_OF).stdout)
    assert card["schema_version"] == SCHEMA_VERSION
    assert card["counts"]["scored"] == 19 and card["counts"]["annulled_excluded"] == 1
    scores = card["scores"]
    assert scores["brier"]["value"] == pytest.approx(np.mean((p - y) ** 2), abs=1e-15)
    assert scores["brier_tetlock"]["value"] == pytest.approx(2 * np.mean((p - y) ** 2), abs=1e-15)
    assert scores["brier_tetlock"]["label"] == "Brier (0–2, Tetlock)"
    low, high = scores["brier"]["interval"]
    assert low < scores["brier"]["value"] < high
    p_out = np.where(y == 1, p, 1 - p)
    assert scores["metaculus_baseline"]["value"] == pytest.approx(
        np.mean(100 * (np.log2(p_out) + 1))
    )
    assert scores["skill_vs_half"] == pytest.approx(1 - np.mean((p - y) ** 2) / 0.25)
    assert (
        abs(
            card["murphy"]["brier"]
            - (
                card["murphy"]["reliability"]
                - card["murphy"]["generalized_resolution"]
                + card["murphy"]["uncertainty"]
            )
        )
        < 1e-12
    )
    assert sum(row["count"] for row in card["calibration"]) == 19
    likely = next(r for r in card["terms"] if r["name"] == "likely")
    assert (likely["count"], likely["observed"]) == (3, 1.0)
    assert [r["name"] for r in card["breakdowns"]["author"]] == ["Dmitri Trenin"]
    assert {r["name"] for r in card["breakdowns"]["tag"]} >= {"nato", "ukraine", "diplomacy"}
    sensitivity = {r["scale"]: r for r in card["sensitivity"]}
    assert set(sensitivity) == {"as recorded", "tracker", "icd203", "kent", "survey", "ipcc"}
    assert sensitivity["kent"]["re_read"] >= 3  # "likely", "impossible", "virtually impossible" ...
    assert sensitivity["kent"]["brier"] != sensitivity["as recorded"]["brier"]

    table = cli.runner.invoke(
        cli.app, ["scorecard", "--by", "tag", "--as-of", AS_OF], env={**cli.env, "COLUMNS": "300"}
    ).output
    assert (
        "Brier (0–2, Tetlock)" in table and "Breakdown by tag" in table and "Sensitivity" in table
    )

    outputs = {}
    for fmt in ("html", "csv", "json", "png", "md"):
        out = tmp_path / f"report.{fmt}"
        assert (
            "Wrote"
            in cli(
                "report",
                "calibration",
                "--author",
                "Trenin",
                "--format",
                fmt,
                "--out",
                out,
                "--as-of",
                AS_OF,
            ).output
        )
        outputs[fmt] = out.read_bytes()
    html = outputs["html"].decode()
    assert html.count("<svg") == 3 and "Reliability diagram" in html and "Dmitri Trenin" in html
    assert "Sensitivity to the reading of words" in html and "Brier (0–2, Tetlock)" in html
    assert outputs["png"].startswith(b"\x89PNG\r\n\x1a\n") and len(outputs["png"]) > 20_000
    assert json.loads(outputs["json"])["counts"]["scored"] == 19
    assert csv_files(outputs["csv"])["calibration"][0][:2] == ["bin", "count"]
    md = outputs["md"].decode()
    assert "## Calibration by probability bin" in md and "| bin | count |" in md


def test_reopening_and_re_resolving_change_the_scores_in_the_same_transaction(engine):
    _import(engine)
    _resolve_all(engine)
    as_of = ScorecardFilter(as_of=date(2026, 1, 1), resamples=50)
    with session_scope(engine) as session:
        before = compute_scorecard(session, as_of)
        forecast = session.get(Forecast, "russia-military-measures")  # 0.9, YES
        lifecycle.reopen(session, forecast, actor="ana", note="premature", today=date(2026, 1, 1))
        reopened = compute_scorecard(session, as_of)
        lifecycle.resolve(session, forecast, Outcome.NO, actor="ana", note="re-read the evidence")
        flipped = compute_scorecard(session, as_of)
    assert (before.summary.count, reopened.summary.count, flipped.summary.count) == (19, 18, 19)
    p, y = _expected(engine)
    assert before.summary.brier == pytest.approx(np.mean((p - y) ** 2))
    # the flip from YES to NO costs (0.9 - 0)^2 - (0.9 - 1)^2 = 0.8 over 19 forecasts
    assert flipped.summary.brier - before.summary.brier == pytest.approx(0.8 / 19)
    assert reopened.counts["unresolved"] == 1


def test_only_forecasts_past_their_close_date_are_scored(engine):
    _import(engine)
    _resolve_all(engine)
    with session_scope(engine) as session:
        mid_2022 = compute_scorecard(session, ScorecardFilter(as_of=date(2022, 7, 1), resamples=50))
        every = compute_scorecard(session, ScorecardFilter(as_of=date(2026, 1, 1), resamples=50))
        closes = dict(session.exec(select(Forecast.id, Forecast.closes)).all())
    past = [i for i in OUTCOMES if closes[i] < date(2022, 7, 1)]
    assert mid_2022.summary.count == len(past) == 3
    assert mid_2022.counts["resolved_early"] == 19 - len(past)
    assert sum(r.count for r in mid_2022.calibration) == len(past)
    assert "russia-military-measures" in mid_2022.counts["resolved_early_ids"]
    assert every.counts["resolved_early"] == 0 and every.counts["annulled_excluded"] == 1
    assert ANNULLED not in {w.id for w in every.worst}


def test_time_weighted_brier_reads_the_probability_history(engine):
    _import(engine)
    with session_scope(engine) as session:
        forecast = session.get(
            Forecast, "us-nato-written-counterproposals"
        )  # opens 2022-01-21, closes 02-28
        session.add(
            ProbabilityUpdate(
                forecast_id=forecast.id, as_of=date(2022, 2, 10), probability=0.5, estimate="maybe"
            )
        )
        forecast.probability = 0.5
        lifecycle.resolve(session, forecast, Outcome.YES, actor="ana")
    with session_scope(engine) as session:
        card = compute_scorecard(session, ScorecardFilter(as_of=date(2026, 1, 1), resamples=20))
    # resolved today (after close): open 2022-01-21..02-28 = 39 days; 0.9 for 20 days, 0.5 for 19
    assert card.forecasts_with_updates == 1
    assert card.time_weighted_brier == pytest.approx((20 * 0.01 + 19 * 0.25) / 39)
    assert card.summary.brier == pytest.approx(0.25)


def test_scale_changes_the_reading_of_words(engine):
    _import(engine)
    _resolve_all(engine)
    with session_scope(engine) as session:
        kent = compute_scorecard(
            session, ScorecardFilter(as_of=date(2026, 1, 1), scale="kent", resamples=20)
        )
        recorded = compute_scorecard(session, ScorecardFilter(as_of=date(2026, 1, 1), resamples=20))
    likely_kent = next(r for r in kent.terms if r.name == "likely")
    assert likely_kent.mean_forecast == pytest.approx(0.75)  # Kent's "probable/likely"
    impossible = next(r for r in kent.terms if r.name == "impossible")
    assert (
        impossible.mean_forecast == 0.0 and kent.summary.log_clipped >= 1
    )  # Kent: 0, log score clipped
    assert kent.scale_used == "kent" and kent.sensitivity == []
    row = next(r for r in recorded.sensitivity if r.scale == "kent")
    assert row.brier == pytest.approx(kent.summary.brier)
    will = next(r for r in kent.terms if r.name == "will")  # Kent has no "will": kept as recorded
    assert will.mean_forecast == pytest.approx(0.9)


def test_filters_author_tag_and_resolution_dates(cli):
    cli("init")
    cli("forecasts", "import", ARTICLE_FILE)
    for forecast_id in ("russia-military-measures", "nato-moratorium"):
        cli("resolve-manually", forecast_id, "--outcome", "yes", "--note", "x", "--by", "ana")

    def run(*a: str) -> dict:
        return json.loads(
            cli("scorecard", "--format", "json", "--as-of", AS_OF, "--resamples", "20", *a).stdout
        )

    assert run("--tag", "nato")["counts"]["scored"] == 1
    assert run("--author", "trenin")["counts"]["scored"] == 2
    assert run("--author", "nobody")["counts"]["scored"] == 0
    assert run("--resolved-between", "2000-01-01", "2000-12-31")["counts"]["scored"] == 0
    assert run("--resolved-between", "2000-01-01", "2999-12-31")["counts"]["scored"] == 2
    rows = list(
        csv.reader(
            io.StringIO(
                cli("scorecard", "--format", "csv", "--by", "source", "--as-of", AS_OF).stdout
            )
        )
    )
    assert rows[0][:2] == ["source", "count"] and rows[1][:2] == ["trenin-2022-01-21", "2"]


def test_empty_scorecard_renders_every_format(engine):
    _import(engine)
    with session_scope(engine) as session:
        card = compute_scorecard(session, ScorecardFilter(as_of=date(2026, 1, 1), resamples=20))
    assert card.summary.count == 0 and card.counts["unresolved"] == 20
    for fmt in ("html", "csv", "json", "png", "md"):
        assert render_report(card, fmt)
    assert json.loads(render_report(card, "json"))["scores"]["brier"]["value"] is None


def test_cli_errors_are_one_line(cli, tmp_path):
    cli("init")
    bad_date = cli("scorecard", "--resolved-between", "2022-01-01", "soon", ok=False)
    assert bad_date.exit_code == 1
    assert (
        bad_date.output.strip()
        == "Error: --resolved-between: 'soon' is not a date; write it as YYYY-MM-DD"
    )
    reversed_ = cli("scorecard", "--resolved-between", "2023-01-01", "2022-01-01", ok=False)
    assert reversed_.exit_code == 1 and "give the earlier date first" in reversed_.output
    unknown = cli("scorecard", "--scale", "nostradamus", ok=False)
    assert (
        unknown.exit_code == 1
        and "no estimative scale 'nostradamus'; known scales: tracker" in unknown.output
    )
    out = tmp_path / "missing-dir" / "r.html"
    unwritable = cli("report", "calibration", "--format", "html", "--out", out, ok=False)
    assert (
        unwritable.exit_code == 1 and f"Error: {out}: cannot write the report" in unwritable.output
    )
    assert "Traceback" not in unwritable.output


def test_progress_is_reported_for_long_work(engine):
    _import(engine)
    _resolve_all(engine)
    steps = []
    with session_scope(engine) as session:
        compute_scorecard(
            session,
            ScorecardFilter(as_of=date(2026, 1, 1), resamples=20),
            progress=lambda step, done, total: steps.append((step, done, total)),
        )
    assert ("loading forecasts", 19, 19) in steps  # 19 resolved, 1 annulled
    assert [s[0] for s in steps][-1] == "done" and "bootstrap interval" in [s[0] for s in steps]
