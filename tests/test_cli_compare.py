"""``tracker authors list|show``, ``tracker compare A B`` and ``tracker questions show`` as an
analyst runs them (issue 15, item 5): the same numbers as the use-case layer and the hand
computations of tests/test_web_authors.py, on its database (the seed article, Ann, Joanna, a
hostile name, Manifold's prices on two questions, every question resolved)."""

from __future__ import annotations

import json

import pytest

from tests.test_web_authors import (
    HOSTILE,
    MARKET,
    OTHERS,
    PRICES,
    TRENIN,
    brier,
    mean_interval,
)
from tests.test_web_authors import seed_authors as seed
from tracker import service
from tracker.db import session_scope


@pytest.fixture
def shared(cli, engine, tmp_path):
    """The CLI on the seeded database; yields (cli, engine)."""
    seed(engine, tmp_path)
    return cli, engine


def as_json(value: object) -> object:
    return json.loads(json.dumps(value))


def run_json(cli, *args: str) -> object:
    return json.loads(cli(*args, "--format", "json").output)


def wide(cli, *args: str) -> str:
    """A command's table output on a terminal wide enough that no cell is cut."""
    result = cli.runner.invoke(cli.app, list(args), env={**cli.env, "COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


ANN_BRIER = mean_interval([brier(p, q) for _, q, p in OTHERS["Ann"]])


def test_authors_list_as_json_and_as_a_table(shared):
    cli, engine = shared
    rows = run_json(cli, "authors", "list")
    with session_scope(engine) as session:
        assert rows == as_json([r.to_json() for r in service.list_authors(session)])
    by_name = {r["name"]: r for r in rows}
    assert list(by_name) == [TRENIN, "Ann", "Joanna", HOSTILE]
    ann = by_name["Ann"]
    assert (ann["forecasts"], ann["scored"], ann["too_few"]) == (3, 3, True)
    assert ann["brier"] == pytest.approx(ANN_BRIER[0])
    assert ann["brier_interval"] == pytest.approx(list(ANN_BRIER[1:]))
    assert by_name[TRENIN]["too_few"] is False and by_name[TRENIN]["min_judged"] == 20
    table = wide(cli, "authors", "list")
    assert "Ann *" in table and f"{TRENIN} *" not in table and "too few to judge" in table
    assert HOSTILE in table  # a terminal runs no markup: the name as written


def test_authors_show_a_record_with_its_head_to_head(shared):
    cli, engine = shared
    shown = run_json(cli, "authors", "show", "Ann", "--resamples", "100")
    with session_scope(engine) as session:
        assert shown == as_json(service.author_record(session, "Ann", resamples=100).to_json())
    assert [h["b"] for h in shown["head_to_head"]] == [TRENIN, "Joanna", MARKET]
    assert [p["period"] for p in shown["over_time"]] == ["2022-Q4", "2023-Q4"]
    out = wide(cli, "authors", "show", "Ann", "--resamples", "100")
    low, high = ANN_BRIER[1:]
    assert (
        f"Ann: 3 forecast(s) in 1 source(s), 3 scored; Brier {ANN_BRIER[0]:.3f} "
        f"[{low:.3f}, {high:.3f}] (too few to judge: under 20)"
    ) in out
    assert all(name in out for name in (TRENIN, "Joanna", MARKET, "2022-Q4", "2023-Q4"))


def test_compare_two_authors_gives_the_services_numbers(shared):
    cli, engine = shared
    duel = run_json(cli, "compare", "Ann", TRENIN, "--resamples", "300")
    with session_scope(engine) as session:
        expected = service.compare_forecasters(session, "Ann", TRENIN, resamples=300)
    assert duel == as_json(expected.to_json())
    # by hand: Ann 15 %, 80 %, 60 % against Trenin 30 %, 90 %, 50 % (no, yes, yes)
    ann = [brier(p, q) for _, q, p in OTHERS["Ann"]]
    trenin = [brier(0.3, "nato-moratorium"), brier(0.9, "russia-military-measures")]
    trenin.append(brier(0.5, "congress-new-russia-sanctions"))
    assert duel["questions"] == 3 and (duel["wins"], duel["losses"]) == (2, 1)
    assert duel["brier"]["difference"] == pytest.approx((sum(ann) - sum(trenin)) / 3)
    table = wide(cli, "compare", "Ann", TRENIN, "--resamples", "300")
    assert f"Ann against {TRENIN}" in table and "2-1-0" in table


def test_compare_an_author_with_the_market_at_their_dates(shared):
    cli, _engine = shared
    duel = run_json(cli, "compare", "Ann", MARKET, "--resamples", "0")
    # on Feb 1 the market said 10 % on the moratorium (no) and 70 % on the measures (yes)
    ann = (brier(0.15, "nato-moratorium") + brier(0.8, "russia-military-measures")) / 2
    market = (brier(0.1, "nato-moratorium") + brier(0.7, "russia-military-measures")) / 2
    assert (duel["a"], duel["b"], duel["questions"]) == ("Ann", MARKET, 2)
    assert duel["brier"]["a"] == pytest.approx(ann)
    assert duel["brier"]["b"] == pytest.approx(market)
    assert duel["brier"]["interval"] is None  # no resamples asked for
    assert "Ann against market:Manifold" in wide(cli, "compare", "Ann", MARKET)


def test_questions_show_as_json(shared):
    cli, engine = shared
    shown = run_json(cli, "questions", "show", "nato-moratorium")
    with session_scope(engine) as session:
        assert shown == as_json(service.question_view(session, "nato-moratorium").to_json())
    assert [f["author"] for f in shown["forecasts"]] == [TRENIN, "Ann", "Joanna"]
    assert shown["forecasts"][1]["statements"] == [{"as_of": "2022-02-01", "probability": 0.15}]
    assert shown["outcome"] == "no" and shown["resolution"]["outcome"] == "no"
    (market,) = shown["baselines"]
    assert (market["name"], market["kind"]) == ("Manifold", "market")
    assert [(p["day"], p["probability"]) for p in market["points"]] == [
        (day, p) for q, day, p in PRICES if q == "nato-moratorium"
    ]
    listed = run_json(cli, "questions", "list", "--per-page", "100")
    row = next(q for q in listed["items"] if q["id"] == "nato-moratorium")
    assert (row["forecasts"], row["authors"]) == (3, ["Ann", TRENIN, "Joanna"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("authors", "show", "Nobody"), "no author 'Nobody'; see `tracker authors list`"),
        (("authors", "show", "ann"), "no author 'ann'; did you mean 'Ann'?"),
        (("compare", "Nobody", "Ann"), "no author 'Nobody'"),
        (("compare", "Ann", "market:Nope"), "no baseline 'Nope'; none on Ann's scored questions"),
        (
            ("compare", MARKET, MARKET),
            "b: market:Manifold and market:Manifold are both baselines; compare an author with one",
        ),
        (("questions", "show", "no-such-question"), "no question 'no-such-question'"),
    ],
)
def test_an_unknown_author_baseline_or_question_is_one_line_and_exit_1(shared, args, message):
    cli, _engine = shared
    result = cli(*args, ok=False)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1
    assert len(lines) == 1 and lines[0].startswith(f"Error: {message}")
