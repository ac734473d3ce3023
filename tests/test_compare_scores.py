"""Comparative scores against hand computations: the Metaculus peer score, relative Brier
against the median forecaster, head-to-head with its paired bootstrap interval, Murphy
diagrams, and the breakdown rows' intervals and too-few marks (docs/scores.md)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from tracker import service
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.errors import ScoringError
from tracker.scoring import (
    DEFAULT_THRESHOLDS,
    MIN_JUDGED,
    ScorecardFilter,
    ScoringData,
    compare,
    dominance,
    forecast_brier,
    group_table,
    head_to_head,
    murphy_diagram,
    peer_detail,
    peer_scores,
    relative_brier,
    time_weighted_brier,
)
from tracker.scoring._data import load

D0 = date(2022, 3, 1).toordinal()
ln = math.log


def scoring_data(forecasts, updates=()) -> ScoringData:
    """Forecasts as (id, author, question, p, outcome, opens, last day) with days counted from
    D0; updates as (forecast id, day, p), in order."""
    ids = [f[0] for f in forecasts]
    authors = list(dict.fromkeys(f[1] for f in forecasts))
    questions = list(dict.fromkeys(f[2] for f in forecasts))
    ups = sorted((ids.index(u[0]), u[1], u[2]) for u in updates)
    return ScoringData(
        ids=ids,
        p=np.array([f[3] for f in forecasts], float),
        y=np.array([f[4] for f in forecasts], float),
        opens=np.array([D0 + f[5] for f in forecasts]),
        closes=np.array([D0 + f[6] for f in forecasts]),
        resolved=np.array([D0 + f[6] + 3 for f in forecasts]),  # resolved after the close
        from_scale=np.zeros(len(ids), bool),
        term_codes=np.zeros(len(ids), np.int64),
        terms=["as stated"],
        source_codes=np.zeros(len(ids), np.int64),
        sources=["s"],
        author_codes=np.array([authors.index(f[1]) for f in forecasts]),
        authors=authors,
        update_forecast=np.array([u[0] for u in ups], np.int64),
        update_day=np.array([D0 + u[1] for u in ups], np.int64),
        update_p=np.array([u[2] for u in ups], float),
        question_codes=np.array([questions.index(f[2]) for f in forecasts]),
        questions=questions,
    )


# Q1 (days 0-9, YES): Ana says 80 % from day 0; Ben says 40 % from day 5.
Q1 = [("ana-q1", "Ana", "q1", 0.8, 1, 0, 9), ("ben-q1", "Ben", "q1", 0.4, 1, 5, 9)]
# Q2 (days 0-3, NO): Ana 20 %, then 50 % from day 2; Ben 60 % throughout; Cy 90 % from day 1.
Q2 = [
    ("ana-q2", "Ana", "q2", 0.5, 0, 0, 3),
    ("ben-q2", "Ben", "q2", 0.6, 0, 0, 3),
    ("cy-q2", "Cy", "q2", 0.9, 0, 1, 3),
]
Q2_UPDATES = [("ana-q2", 0, 0.2), ("ana-q2", 2, 0.5)]
# Q3 (days 0-4, YES): Ana alone, 70 %.
Q3 = [("ana-q3", "Ana", "q3", 0.7, 1, 0, 4)]


def test_peer_score_of_a_late_second_forecaster():
    """Days 0-4 only Ana stands: no peer, 0 for her.  Days 5-9 each scores 100 · (ln own -
    ln other) on YES.  Both divide by the question's 10 days; Ben stood half of them."""
    peer = peer_detail(scoring_data(Q1))
    ana = 5 * 100 * (ln(0.8) - ln(0.4)) / 10
    assert peer.score == pytest.approx([ana, -ana], abs=1e-12)
    assert ana == pytest.approx(50 * ln(2))  # 34.66: Ana gave YES twice Ben's probability
    assert peer.coverage == pytest.approx([1.0, 0.5])


def test_peer_score_with_updates_and_three_forecasters():
    """On NO, each scores the log of the probability given to NO.  Day 0: Ana (.8 on NO)
    and Ben (.4); day 1: Cy joins (.1); days 2-3: Ana has moved to .5."""
    peer = peer_scores(scoring_data(Q2, Q2_UPDATES))
    ana = (
        (ln(0.8) - ln(0.4))
        + (ln(0.8) - (ln(0.4) + ln(0.1)) / 2)
        + 2 * (ln(0.5) - (ln(0.4) + ln(0.1)) / 2)
    )
    ben = (
        (ln(0.4) - ln(0.8))
        + (ln(0.4) - (ln(0.8) + ln(0.1)) / 2)
        + 2 * (ln(0.4) - (ln(0.5) + ln(0.1)) / 2)
    )
    cy = (ln(0.1) - (ln(0.8) + ln(0.4)) / 2) + 2 * (ln(0.1) - (ln(0.5) + ln(0.4)) / 2)
    assert peer == pytest.approx([100 * ana / 4, 100 * ben / 4, 100 * cy / 4], abs=1e-12)
    assert peer.sum() == pytest.approx(0.0, abs=1e-12)  # every day's scores sum to 0


def test_a_question_with_one_forecaster_has_no_peer_or_relative_score():
    data = scoring_data(Q1 + Q3)
    assert math.isnan(peer_scores(data)[2]) and math.isnan(relative_brier(data)[2])
    # callers that know no questions: every forecast is its own, nothing is comparative
    alone = scoring_data(Q1)
    alone.question_codes, alone.questions = np.empty(0, np.int64), []
    assert np.isnan(peer_scores(alone)).all() and np.isnan(relative_brier(alone)).all()


def test_probabilities_are_clipped_as_for_the_log_score():
    certain = [("a", "A", "q", 1.0, 0, 0, 0), ("b", "B", "q", 0.5, 0, 0, 0)]
    assert peer_scores(scoring_data(certain))[0] == pytest.approx(100 * (ln(0.001) - ln(0.5)))


def test_relative_brier_against_the_median_forecaster():
    data = scoring_data(Q1 + Q2, Q2_UPDATES)
    brier = forecast_brier(data)
    # Ana on Q2: .2 on days 0-1 (Brier .04), .5 on days 2-3 (.25): .145 over her days
    assert brier == pytest.approx([0.04, 0.36, 0.145, 0.36, 0.81])
    # Q1: median of {.04, .36} is .2; Q2: median of {.145, .36, .81} is .36 (self included)
    assert relative_brier(data) == pytest.approx([-0.16, 0.16, -0.215, 0.0, 0.45])


def test_per_forecast_brier_is_the_scorecards_time_weighted_brier():
    rng = np.random.default_rng(5)
    data, _ = random_questions(rng, 60)
    last = np.minimum(data.closes, data.resolved)
    tw = time_weighted_brier(
        len(data), data.y, data.opens, last, data.update_forecast, data.update_day, data.update_p
    )
    expected = np.where(np.isnan(tw), np.square(data.p - data.y), tw)
    assert forecast_brier(data) == pytest.approx(expected, abs=1e-12)


def test_head_to_head_on_common_questions():
    """Ana and Ben share Q1 and Q2 (Cy and Q3 are left out): Brier differences -.32 and
    -.215; log-loss differences ln(.4/.8) and the day-weighted mean on Q2."""
    data = scoring_data(Q1 + Q2 + Q3, Q2_UPDATES)
    h = head_to_head(data, "Ana", "Ben", resamples=1000, seed=7)
    assert h.questions == 2 and (h.wins, h.losses, h.ties) == (2, 0, 0)
    assert h.brier_a == pytest.approx((0.04 + 0.145) / 2)
    assert h.brier_b == pytest.approx(0.36)
    assert h.brier_difference == pytest.approx((-0.32 - 0.215) / 2)
    ana_log_q2 = -(2 * ln(0.8) + 2 * ln(0.5)) / 4
    log_diff = [-ln(0.8) + ln(0.4), ana_log_q2 + ln(0.4)]
    assert h.log_loss_difference == pytest.approx(sum(log_diff) / 2)
    # two questions: a resample's mean is -.32, -.2675 or -.215 (chances 1/4, 1/2, 1/4)
    assert (h.brier_interval.low, h.brier_interval.high) == pytest.approx((-0.32, -0.215))
    # Ana's curve is nowhere above Ben's: better under every proper scoring rule
    assert h.dominance == "a"
    assert h.to_json()["brier"]["interval"] == pytest.approx([-0.32, -0.215])


def test_the_paired_interval_swaps_with_the_forecasters_and_ignores_question_difficulty():
    rng = np.random.default_rng(11)
    data, _ = random_questions(rng, 200)
    ab = head_to_head(data, "A", "B", resamples=400, seed=3)
    ba = head_to_head(data, "B", "A", resamples=400, seed=3)
    assert ab.brier_difference == pytest.approx(-ba.brier_difference)
    assert (ab.brier_interval.low, ab.brier_interval.high) == pytest.approx(
        (-ba.brier_interval.high, -ba.brier_interval.low)
    )
    assert ab.brier_interval.low <= ab.brier_difference <= ab.brier_interval.high
    assert (ab.wins, ab.losses) == (ba.losses, ba.wins)
    # Questions of every difficulty, but A's Brier is always .03 below B's: the paired
    # interval has no width, whatever the spread of each one's scores.
    p_a = np.linspace(0.55, 0.95, 30)
    p_b = 1.0 - np.sqrt(np.square(1.0 - p_a) + 0.03)
    rows = [(f"a{i}", "A", f"q{i}", p, 1, 0, 0) for i, p in enumerate(p_a)]
    rows += [(f"b{i}", "B", f"q{i}", p, 1, 0, 0) for i, p in enumerate(p_b)]
    steady = head_to_head(scoring_data(rows), "A", "B", resamples=200, seed=1)
    assert steady.brier_interval.low == pytest.approx(-0.03)
    assert steady.brier_interval.high == pytest.approx(-0.03)
    assert np.std(np.square(1.0 - p_a)) > 0.01  # while the questions differ a lot


def test_head_to_head_refuses_unknown_or_identical_authors():
    data = scoring_data(Q1)
    with pytest.raises(ScoringError, match="'Zed' has no scored forecast"):
        head_to_head(data, "Ana", "Zed")
    with pytest.raises(ScoringError, match="someone else"):
        head_to_head(data, "Ana", "Ana")
    apart = scoring_data([*Q1, ("cy", "Cy", "q9", 0.5, 1, 0, 1)])
    none = head_to_head(apart, "Ana", "Cy")
    assert none.questions == 0 and none.brier_interval is None and none.dominance == "none"


def test_murphy_diagram_elementary_scores_by_hand():
    # one YES at 80 %: costs 1 - θ where θ is above 80 %; one NO at 30 %: costs θ up to 30 %
    p, y = np.array([0.8, 0.3]), np.array([1.0, 0.0])
    curve = murphy_diagram(p, y, np.array([0.1, 0.3, 0.5, 0.8, 0.9]))
    assert curve == pytest.approx([0.1 / 2, 0.3 / 2, 0.0, 0.0, 0.1 / 2])


def test_murphy_diagram_integrates_to_half_the_brier_score():
    rng = np.random.default_rng(2)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(float)
    grid = (np.arange(100_000) + 0.5) / 100_000  # midpoints: the mean is the integral
    assert murphy_diagram(p, y, grid).mean() == pytest.approx(
        np.mean(np.square(p - y)) / 2, abs=1e-5
    )


def test_dominance_and_crossing_curves():
    y = np.array([1.0, 0.0])
    sharp, vague = np.array([0.9, 0.1]), np.array([0.6, 0.4])
    grid = DEFAULT_THRESHOLDS
    assert dominance(murphy_diagram(sharp, y, grid), murphy_diagram(vague, y, grid)) == "a"
    # A is better for thresholds above .7, B below: which wins depends on the user's costs
    a, b = np.array([0.9, 0.7]), np.array([0.6, 0.2])
    assert murphy_diagram(a, y, np.array([0.5])) > murphy_diagram(b, y, np.array([0.5]))
    assert murphy_diagram(a, y, np.array([0.8])) < murphy_diagram(b, y, np.array([0.8]))
    assert dominance(murphy_diagram(a, y, grid), murphy_diagram(b, y, grid)) == "neither"


def test_dominance_is_decided_between_the_grid_points():
    """.505 against .507 on a YES: the curves differ only between 50.5 % and 50.7 %, where
    the displayed grid has no point; the verdict still sees that .507 is the better."""
    rows = [("a", "A", "q", 0.505, 1, 0, 0), ("b", "B", "q", 0.507, 1, 0, 0)]
    h = head_to_head(scoring_data(rows), "A", "B", resamples=10)
    assert np.array_equal(h.murphy_a, h.murphy_b) and h.dominance == "b"


def test_breakdown_rows_carry_an_interval_and_a_too_few_mark():
    """A group of three YES forecasts at 90, 80 and 60 %: Brier .01, .04, .16, mean .07,
    sample standard deviation √.0063, t(.975, 2) = 4.3027."""
    p = np.concatenate(([0.9, 0.8, 0.6], np.full(MIN_JUDGED, 0.7)))
    y = np.ones(len(p))
    codes = np.array([0, 0, 0] + [1] * MIN_JUDGED)
    brier = np.square(p - y)
    log_each = np.log(p)
    large, small = group_table(codes, ["few", "many"], p, y, brier, log_each)  # largest first
    half = 4.302652729911275 * math.sqrt(0.0063) / math.sqrt(3)
    assert small.brier == pytest.approx(0.07)
    assert small.brier_low == 0.0  # .07 - .197 is clipped to the scale
    assert small.brier_high == pytest.approx(0.07 + half)
    assert small.too_few and small.to_json()["too_few"] is True
    assert small.sample == f"too few (n < {MIN_JUDGED})"
    # 20 identical forecasts: judged, and their mean has no spread
    assert not large.too_few and large.sample == ""
    assert large.brier_low == pytest.approx(0.09) and large.brier_high == pytest.approx(0.09)
    keys = large.to_json().keys()
    assert {"name", "count", "brier", "wilson_low", "metaculus_baseline"} <= keys
    one = group_table(np.array([0]), ["one"], p[:1], y[:1], brier[:1], log_each[:1])[0]
    assert one.brier_low is None and one.brier_high is None


def test_compare_per_author_means_and_json():
    data = scoring_data(Q1 + Q2 + Q3, Q2_UPDATES)
    comparison = compare(data, pairs=[("Ana", "Ben")], resamples=100, seed=1)
    by_author = {a.author: a for a in comparison.authors}
    ana = by_author["Ana"]
    # Ana: 3 forecasts, 2 with peers (Q3 has none); her peer and relative means over those
    peer = peer_scores(data)
    assert (ana.forecasts, ana.with_peers, ana.too_few) == (3, 2, True)
    assert ana.peer == pytest.approx((peer[0] + peer[2]) / 2)
    assert ana.relative_brier == pytest.approx((-0.16 - 0.215) / 2)
    half = 12.706204736174707 * np.std([-0.16, -0.215], ddof=1) / math.sqrt(2)  # t(.975, 1)
    assert ana.relative_brier_interval.high == pytest.approx(ana.relative_brier + half)
    assert by_author["Cy"].peer_interval is None  # one forecast: no spread to measure
    out = comparison.to_json()
    assert (out["questions"], out["shared_questions"], out["min_judged"]) == (3, 2, MIN_JUDGED)
    assert out["head_to_head"][0]["a"] == "Ana" and out["head_to_head"][0]["questions"] == 2
    rows = {r["id"]: r for r in out["forecasts"]}
    assert rows["ana-q3"]["peer"] is None and rows["ana-q3"]["question"] == "q3"
    assert rows["ben-q1"]["relative_brier"] == pytest.approx(0.16)
    assert rows["ben-q1"]["coverage"] == pytest.approx(0.5)


# --- an oracle: every day of every question, one at a time ------------------------------------


def random_questions(rng, n_questions: int) -> tuple[ScoringData, list]:
    """Questions with 1-4 forecasters ("A"-"D"), late starters and dated updates."""
    rows, updates = [], []
    for q in range(n_questions):
        outcome = int(rng.random() < 0.5)
        start, length = int(rng.integers(0, 20)), int(rng.integers(1, 40))
        for k in range(int(rng.integers(1, 5))):
            opens = start + int(rng.integers(0, length))
            fid = f"{'ABCD'[k]}{q}"
            p = float(rng.random())
            for day in sorted({opens, *rng.integers(opens, opens + 30, rng.integers(0, 3))}):
                p = float(rng.random())
                updates.append((fid, int(day), p))
            rows.append((fid, "ABCD"[k], f"q{q}", p, outcome, opens, start + length))
    keep = rng.random(len(updates)) < 0.7  # some forecasts have no history at all
    histories = {u[0] for u, k in zip(updates, keep, strict=True) if k}
    updates = [u for u in updates if u[0] in histories]
    rows = [(*r[:3], last_p(r, updates), *r[4:]) for r in rows]
    return scoring_data(rows, updates), rows


def last_p(row, updates) -> float:
    mine = [u for u in updates if u[0] == row[0]]
    return mine[-1][2] if mine else row[3]


def daily_oracle(data: ScoringData) -> np.ndarray:
    """The peer score by its definition, one day and one forecast at a time."""
    n = len(data)
    last = np.minimum(data.closes, data.resolved)
    standing = []
    for i in range(n):
        history = [
            (d, p)
            for f, d, p in zip(data.update_forecast, data.update_day, data.update_p, strict=True)
            if f == i
        ] or [(data.opens[i], data.p[i])]
        days = {}
        for day in range(data.opens[i], last[i] + 1):
            said = [p for d, p in history if d <= day]
            if said:
                days[day] = said[-1]
        standing.append(days)

    def log_score(i, p):
        return ln(min(max(p if data.y[i] else 1 - p, 0.001), 0.999))

    scores = np.full(n, np.nan)
    for q in set(data.question_codes.tolist()):
        members = [i for i in range(n) if data.question_codes[i] == q]
        first = min(data.opens[i] for i in members)
        length = max(last[i] for i in members) - first + 1
        if len(members) < 2:
            continue
        for i in members:
            total = 0.0
            for day, p in standing[i].items():
                others = [log_score(j, standing[j][day]) for j in members if day in standing[j]]
                if len(others) > 1:
                    total += 100 * (
                        log_score(i, p) - (sum(others) - log_score(i, p)) / (len(others) - 1)
                    )
            scores[i] = total / length
    return scores


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_peer_scores_equal_the_day_by_day_definition(seed):
    data, _ = random_questions(np.random.default_rng(seed), 40)
    assert peer_scores(data) == pytest.approx(daily_oracle(data), abs=1e-9, nan_ok=True)


# --- from the database: two authors' forecasts on one question ------------------------------

QUESTION_FILE = """
questions:
  - id: ceasefire-2022
    question: Will Russia and Ukraine agree a ceasefire by 2022-12-31?
    opens: 2022-01-01
    closes: 2022-12-31
    resolution: manual
"""

ON_IT = """
source:
  title: {author} on a ceasefire
  author: {author}
  published: {opens}
forecasts:
  - id: {id}
    question: ceasefire-2022
    quote: "{quote}"
    estimate: {word}
    probability: {p}
    opens: {opens}
"""


def test_two_authors_on_one_question_from_the_database(engine, tmp_path: Path):
    """Ana says 80 % from 1 February, Ben 40 % from 1 July; YES.  The question's days run
    from 1 February (the first statement) to the close, 31 December: 334 days; both stood
    from 1 July, 184 days."""
    files = [tmp_path / "questions.yaml", tmp_path / "ana.yaml", tmp_path / "ben.yaml"]
    files[0].write_text(QUESTION_FILE, encoding="utf-8")
    files[1].write_text(
        ON_IT.format(
            author="Ana",
            id="ana",
            quote="A ceasefire is likely.",
            word="likely",
            p=0.8,
            opens="2022-02-01",
        )
    )
    files[2].write_text(
        ON_IT.format(
            author="Ben",
            id="ben",
            quote="A ceasefire might come.",
            word="might",
            p=0.4,
            opens="2022-07-01",
        )
    )
    scale = EstimativeScale.builtin()
    with session_scope(engine) as session:
        registry.import_files(
            session, registry.load_files(files, scale), today=date(2022, 7, 2), actor="t"
        )
    with session_scope(engine) as session:
        service.resolve_forecast(session, "ana", "yes", actor="ana", today=date(2023, 1, 5))
    with session_scope(engine) as session:
        data = load(session, ScorecardFilter(as_of=date(2023, 2, 1)))
    assert data.questions == ["ceasefire-2022"] and list(data.question_codes) == [0, 0]
    comparison = compare(data, pairs=[("Ana", "Ben")], resamples=50)
    ana, ben = (data.ids.index(name) for name in ("ana", "ben"))
    expected = 184 * 100 * (ln(0.8) - ln(0.4)) / 334
    assert comparison.peer[[ana, ben]] == pytest.approx([expected, -expected])
    assert comparison.relative_brier[[ana, ben]] == pytest.approx([-0.16, 0.16])
    h = comparison.head_to_head[0]
    assert h.questions == 1 and h.brier_difference == pytest.approx(0.04 - 0.36)
    assert data.subset(np.array([True, False])).question_codes.tolist() == [0]
