"""Each forecast's own scores (issue 15, item 4): Brier, time-weighted Brier and log loss of one
resolved forecast against a hand computation, their means equal to the scorecard's, none for an
unresolved forecast, the costliest forecasts in order and the forecasts of a calibration bin.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import ARTICLE_FILE
from tests.test_scorecard import ANNULLED
from tests.test_scorecard import OUTCOMES as SEED_OUTCOMES
from tracker import service
from tracker.db import session_scope
from tracker.domain.scale import EstimativeScale
from tracker.errors import NotFoundError
from tracker.scoring import LOG_CLIP, ScorecardFilter

SCALE = EstimativeScale.builtin()
AS_OF = date(2026, 1, 1)
#: the updated forecast: opens 2022-01-21 at 0.3, 0.6 from 2022-02-10, closes 2022-02-28, yes
UPDATED = "summit-held"


def forecast(fid: str, probability: float, updates: str = "") -> str:
    block = f"    updates:\n{updates}" if updates else ""
    return (
        f"  - id: {fid}\n"
        f"    question: Will {fid} happen?\n"
        f"    quote: {fid} may well happen.\n"
        "    estimate: may well\n"
        f"    probability: {probability}\n"
        "    opens: 2022-01-21\n"
        "    closes: 2022-02-28\n"
        "    resolution:\n"
        "      default_at_close: no\n"
        f"{block}"
    )


def source(author: str, *forecasts: str) -> str:
    return (
        "source:\n"
        "  title: A column\n"
        f"  author: {author}\n"
        "  published: 2022-01-21\n"
        "forecasts:\n" + "".join(forecasts)
    )


JANE = source(
    "Jane Pundit",
    forecast(
        UPDATED,
        0.3,
        "      - as_of: 2022-02-10\n"
        "        probability: 0.6\n"
        '        quote: "Now I think it will happen."\n',
    ),
    forecast("bravo-confident-miss", 0.8),
    forecast("careful-no", 0.1),
    forecast("sure-thing-missed", 1.0),
    forecast("still-open", 0.5),
    forecast("called-off", 0.5),
)
JOHN = source("John Other", forecast("alpha-confident-miss", 0.8))
#: outcomes recorded (still-open stays unresolved)
RESOLVED = {
    UPDATED: "yes",
    "bravo-confident-miss": "no",
    "careful-no": "no",
    "sure-thing-missed": "no",
    "called-off": "annulled",
    "alpha-confident-miss": "no",
}
#: by hand: (brier, time-weighted brier, log loss) of each forecast resolved yes or no
EXPECTED = {
    # 2022-01-21..02-09: 20 days at 0.3 scoring 0.49; 02-10..02-28: 19 days at 0.6 scoring 0.16
    UPDATED: (0.16, (20 * 0.49 + 19 * 0.16) / 39, -math.log(0.6)),
    "bravo-confident-miss": (0.64, 0.64, -math.log(0.2)),
    "alpha-confident-miss": (0.64, 0.64, -math.log(0.2)),
    "careful-no": (0.01, 0.01, -math.log(0.9)),
    # certainty that did not happen: the log loss is clipped at 0.1 %, not infinite
    "sure-thing-missed": (1.0, 1.0, -math.log(LOG_CLIP)),
}


@pytest.fixture
def scored(engine, tmp_path: Path):
    files = []
    for name, body in (("jane.yaml", JANE), ("john.yaml", JOHN)):
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        files.append(path)
    with session_scope(engine) as session:
        service.import_forecasts(session, files, SCALE, actor="importer", today=date(2022, 3, 1))
    with session_scope(engine) as session:
        for fid, outcome in RESOLVED.items():
            service.resolve_forecast(session, fid, outcome, actor="ana", note="test")
    return engine


def test_each_forecast_scores_as_computed_by_hand(scored):
    with session_scope(scored) as session:
        scores = service.own_scores(session, [*RESOLVED, "still-open", "no-such-forecast"])
    # unresolved, annulled and unknown forecasts have no score at all (not 0)
    assert set(scores) == set(EXPECTED)
    for fid, (brier, tw, loss) in EXPECTED.items():
        s = scores[fid]
        assert (s.brier, s.time_weighted_brier, s.log_loss) == pytest.approx((brier, tw, loss))
        assert s.peer is None
    updated = scores[UPDATED]
    assert updated.probability == 0.6 and updated.outcome == "yes"
    assert updated.time_weighted_brier == pytest.approx(0.3292307692)
    assert updated.author == "Jane Pundit" and updated.question == f"Will {UPDATED} happen?"
    assert scores["alpha-confident-miss"].author == "John Other"


def test_the_means_of_own_scores_are_the_scorecards(scored):
    filters = ScorecardFilter(as_of=AS_OF, resamples=0)
    with session_scope(scored) as session:
        card = service.scorecard(session, filters, SCALE)
        every = service.costliest(session, filters, SCALE, n=1000)
        by_id = service.own_scores(session, [s.id for s in every])
    assert {s.id for s in every} == set(EXPECTED) == set(by_id)
    assert [by_id[s.id] for s in every] == every  # by id or by filter: the same numbers
    n = len(every)
    assert sum(s.brier for s in every) / n == pytest.approx(card.summary.brier)
    assert sum(s.time_weighted_brier for s in every) / n == pytest.approx(card.time_weighted_brier)
    assert sum(s.log_loss for s in every) / n == pytest.approx(card.summary.log_loss)


def test_the_seeds_own_scores_average_to_its_scorecard(engine):
    with session_scope(engine) as session:
        service.import_forecasts(session, [ARTICLE_FILE], SCALE, actor="t", today=AS_OF)
    with session_scope(engine) as session:
        for fid, outcome in {**SEED_OUTCOMES, ANNULLED: "annulled"}.items():
            service.resolve_forecast(session, fid, outcome, actor="ana", note="test")
    filters = ScorecardFilter(as_of=AS_OF, resamples=0)
    with session_scope(engine) as session:
        card = service.scorecard(session, filters, SCALE)
        scores = service.own_scores(session, [*SEED_OUTCOMES, ANNULLED])
    assert set(scores) == set(SEED_OUTCOMES) and card.summary.count == len(scores) == 19
    mean = sum(s.brier for s in scores.values()) / len(scores)
    assert mean == pytest.approx(card.summary.brier)
    for fid, s in scores.items():
        y = 1.0 if SEED_OUTCOMES[fid] == "yes" else 0.0
        assert s.brier == pytest.approx((s.probability - y) ** 2)


def test_a_reopened_forecast_loses_its_score(scored):
    with session_scope(scored) as session:
        service.reopen_forecast(session, "careful-no", actor="ana", note="resolved too soon")
    with session_scope(scored) as session:
        assert "careful-no" not in service.own_scores(session, ["careful-no"])


def test_costliest_highest_brier_first_ties_by_id(scored):
    filters = ScorecardFilter(as_of=AS_OF, resamples=0)
    with session_scope(scored) as session:
        top = service.costliest(session, filters, SCALE, n=4)
        card = service.scorecard(session, filters, SCALE)
        janes = service.costliest(session, ScorecardFilter(author="jane", as_of=AS_OF), SCALE)
    # 1.0, then the two 0.64 misses in id order (alpha, of the later file, first), then 0.16
    assert [s.id for s in top] == [
        "sure-thing-missed",
        "alpha-confident-miss",
        "bravo-confident-miss",
        UPDATED,
    ]
    # the scorecard's own costliest list (JSON "worst", the reports' table) says the same
    assert [w.id for w in card.worst[:4]] == [s.id for s in top]
    assert [w.log_loss for w in card.worst[:4]] == pytest.approx([s.log_loss for s in top])
    assert card.to_json()["worst"][0]["log_loss"] == pytest.approx(-math.log(LOG_CLIP))
    assert [s.id for s in janes] == [
        "sure-thing-missed",
        "bravo-confident-miss",
        UPDATED,
        "careful-no",
    ]


def test_a_calibration_bin_lists_exactly_its_forecasts_and_adds_up_to_the_scorecards_row(scored):
    filters = ScorecardFilter(as_of=AS_OF, resamples=0)
    with session_scope(scored) as session:
        card = service.scorecard(session, filters, SCALE)
        bins = [service.calibration_bin(session, filters, k, SCALE) for k in range(10)]
    # (70%, 80%]: the two misses at 0.8; (50%, 60%]: the updated forecast at its standing 0.6
    assert [s.id for s in bins[7].forecasts.items] == [
        "alpha-confident-miss",
        "bravo-confident-miss",
    ]
    assert [s.id for s in bins[5].forecasts.items] == [UPDATED]
    assert [s.id for s in bins[0].forecasts.items] == ["careful-no"]
    assert [s.id for s in bins[9].forecasts.items] == ["sure-thing-missed"]
    for k, found in enumerate(bins):
        assert found.row == card.calibration[k]
        assert found.forecasts.total == card.calibration[k].count == len(found.forecasts.items)
        if found.row.count:
            items = found.forecasts.items
            assert sum(s.probability for s in items) / len(items) == pytest.approx(
                found.row.mean_forecast
            )
            observed = sum(s.outcome == "yes" for s in items) / len(items)
            assert observed == pytest.approx(found.row.observed)
    assert sum(b.forecasts.total for b in bins) == card.summary.count


def test_a_bin_follows_the_filters_and_the_number_of_bins(scored):
    with session_scope(scored) as session:
        johns = service.calibration_bin(
            session, ScorecardFilter(author="john", as_of=AS_OF), 7, SCALE
        )
        halves = service.calibration_bin(
            session, ScorecardFilter(as_of=AS_OF, n_bins=2), 1, SCALE, per_page=2
        )
    assert [s.id for s in johns.forecasts.items] == ["alpha-confident-miss"]
    assert johns.row.count == 1
    # (50%, 100%]: 0.6, 0.8, 0.8 and 1.0, costliest first, two a page
    assert halves.row.label == "(50%, 100%]" and halves.forecasts.total == 4
    assert [s.id for s in halves.forecasts.items] == ["sure-thing-missed", "alpha-confident-miss"]
    assert halves.forecasts.pages == 2


@pytest.mark.parametrize("k", [-1, 10, 11])
def test_a_bin_out_of_range_is_not_found(scored, k):
    with session_scope(scored) as session, pytest.raises(NotFoundError) as caught:
        service.calibration_bin(session, ScorecardFilter(as_of=AS_OF), k, SCALE)
    assert str(caught.value) == f"no calibration bin {k}; the 10 bins are numbered 0 to 9"


def test_the_cli_lists_and_shows_each_forecasts_scores(scored, cli):
    listed = {f["id"]: f for f in json.loads(cli("forecasts", "list", "--format", "json").output)}
    assert listed["still-open"]["score"] is None and listed["called-off"]["score"] is None
    assert listed[UPDATED]["score"]["time_weighted_brier"] == pytest.approx(EXPECTED[UPDATED][1])
    assert listed["bravo-confident-miss"]["score"]["brier"] == pytest.approx(0.64)
    wide = {**cli.env, "COLUMNS": "300"}
    table = cli.runner.invoke(cli.app, ["forecasts", "list"], env=wide).output
    row = next(line for line in table.splitlines() if "bravo-confident-miss" in line)
    assert "0.6400" in row
    open_row = next(line for line in table.splitlines() if "still-open" in line)
    assert "0.0" not in open_row  # no score, not 0
    shown = cli.runner.invoke(cli.app, ["forecasts", "show", UPDATED], env=wide).output
    assert "Score: Brier 0.1600 (time-weighted 0.3292), log loss 0.5108 nats" in shown
    assert "lower is better" in shown
    assert "Score: none" in cli("forecasts", "show", "still-open").output
    detail = json.loads(cli("forecasts", "show", "careful-no", "--format", "json").output)
    assert detail["score"]["log_loss"] == pytest.approx(-math.log(0.9))


def test_the_lists_table_shows_the_brier_score_own_scores_gives(scored, cli):
    """The table computes its Brier column without numpy (`scoring.standing_brier`); every row
    shows own_scores' Brier, and the annulled and unresolved forecasts show none."""
    from sqlmodel import select

    from tracker.models import Forecast

    with session_scope(scored) as session:
        ids = list(session.exec(select(Forecast.id)))
        scores = service.own_scores(session, ids)
    wide = {**cli.env, "COLUMNS": "300"}
    table = cli.runner.invoke(cli.app, ["forecasts", "list"], env=wide).output
    for fid in ids:
        row = next(line for line in table.splitlines() if f" {fid} " in f" {line} ")
        cells = row.split()
        shown = [c for c in cells if c.count(".") == 1 and c.replace(".", "").isdigit()]
        if fid in scores:
            assert shown == [f"{scores[fid].brier:.4f}"], row
        else:
            assert shown == [], row
    assert len(scores) == len(EXPECTED) and len(ids) > len(scores)


def test_the_cli_scorecard_lists_the_costliest(scored, cli):
    args = ["scorecard", "--as-of", "2026-01-01", "--resamples", "0", "--costliest", "3"]
    out = cli.runner.invoke(cli.app, args, env={**cli.env, "COLUMNS": "300"}).output
    lines = [line for line in out.splitlines() if "miss" in line]
    assert [line.split()[0] for line in lines] == [
        "sure-thing-missed",
        "alpha-confident-miss",
        "bravo-confident-miss",
    ]
    assert "6.9078" in lines[0] and "Costliest 3 forecast(s)" in out


def peer(fid: str, question: str, probability: float, updates: str = "") -> str:
    """A forecast on a question defined by another forecast (its peers' question)."""
    block = f"    updates:\n{updates}" if updates else ""
    return (
        f"  - id: {fid}\n"
        f"    question: {question}\n"
        f"    quote: {fid} thinks so.\n"
        "    estimate: may well\n"
        f"    probability: {probability}\n"
        "    opens: 2022-01-25\n"
        f"{block}"
    )


#: peers of the fixture's forecasts, updated on days of their own (more peers, more histories)
PEERS = source(
    "Pat Peer",
    peer(
        "pat-on-summit",
        UPDATED,
        0.5,
        "      - as_of: 2022-02-15\n        probability: 0.9\n        quote: Surely now.\n",
    ),
    peer("pat-on-bravo", "bravo-confident-miss", 0.4),
    peer(
        "pat-on-careful",
        "careful-no",
        0.3,
        "      - as_of: 2022-02-01\n        probability: 0.2\n        quote: Less so.\n",
    ),
)


def test_each_pages_scores_are_the_full_computations(scored, tmp_path: Path):
    """The list pages score only their own forecasts (and their peers): each page of two gives
    the peer and time-weighted scores that one computation over every forecast gives."""
    from tracker.scoring import _data, peer_scores
    from tracker.scoring._scorecard import _time_weighted

    path = tmp_path / "peers.yaml"
    path.write_text(PEERS, encoding="utf-8")
    with session_scope(scored) as session:
        # their questions are resolved already: the peers are resolved with them
        service.import_forecasts(session, [path], SCALE, actor="t", today=date(2022, 3, 1))
    with session_scope(scored) as session:
        data = _data.load(session, ScorecardFilter())
        scores = zip(peer_scores(data), _time_weighted(data), strict=True)
        full = dict(zip(data.ids, scores, strict=True))
        pages = [data.ids[i : i + 2] for i in range(0, len(data.ids), 2)]
        paged = {k: v for page in pages for k, v in service.own_scores(session, page).items()}
    assert set(paged) == set(full) and len(full) == len(EXPECTED) + 3
    for fid, (peer_score, tw) in full.items():
        own = paged[fid]
        assert own.peer == (None if math.isnan(peer_score) else pytest.approx(peer_score)), fid
        assert own.time_weighted_brier == pytest.approx(own.brier if math.isnan(tw) else tw), fid
    assert sum(s.peer is not None for s in paged.values()) == 6  # three questions of two
    assert sum(s.time_weighted_brier != pytest.approx(s.brier) for s in paged.values()) == 3
