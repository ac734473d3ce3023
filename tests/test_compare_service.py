"""Comparing forecasters end to end: two authors and a market's price history on one question,
read from the database, scored against a hand computation (issue 15's first "done when")."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from tracker import service
from tracker.db import session_scope
from tracker.domain.scale import EstimativeScale
from tracker.errors import NotFoundError
from tracker.scoring import ScorecardFilter, compare, load_scored

SCALE = EstimativeScale.builtin()
AS_OF = date(2022, 2, 1)

QUESTIONS = """
questions:
  - id: treaty-2022
    question: Will the treaty be signed by 2022-01-10?
    opens: 2022-01-01
    closes: 2022-01-10
    resolution: manual
"""
FORECAST = """
source:
  title: {author}'s column
  author: {author}
  published: {opens}
forecasts:
  - id: {id}
    question: treaty-2022
    quote: "The treaty will be signed."
    estimate: "{percent}%"
    probability: {p}
    opens: {opens}
"""
#: a market's daily prices: 0.5 on Jan 1, 0.6 from Jan 5, 0.7 from Jan 6
MARKET = """question,date,probability,source,kind
treaty-2022,2022-01-01,0.5,Manifold,market
treaty-2022,2022-01-05,0.6,Manifold,market
treaty-2022,2022-01-06,0.7,Manifold,market
"""


@pytest.fixture
def scored(engine, tmp_path: Path):
    """Ann says 80 % on Jan 1; Bob says 40 % on Jan 6 (late); it resolves YES after closing
    on Jan 10, so the question's days are Jan 1-10."""
    files = [tmp_path / "questions.yaml", tmp_path / "ann.yaml", tmp_path / "bob.yaml"]
    files[0].write_text(QUESTIONS)
    files[1].write_text(FORECAST.format(author="Ann", id="ann-treaty", p=0.8, percent=80,
                                        opens="2022-01-01"))  # fmt: skip
    files[2].write_text(FORECAST.format(author="Bob", id="bob-treaty", p=0.4, percent=40,
                                        opens="2022-01-06"))  # fmt: skip
    market = tmp_path / "market.csv"
    market.write_text(MARKET)
    with session_scope(engine) as session:
        service.import_forecasts(session, files, SCALE, actor="t", today=date(2022, 1, 7))
        service.import_baseline_file(session, market, actor="t")
        service.resolve_forecast(session, "ann-treaty", "yes", actor="t", today=date(2022, 1, 11))
    return engine


def test_peer_and_relative_scores_equal_the_hand_computation(scored):
    with session_scope(scored) as session:
        data = load_scored(session, ScorecardFilter(as_of=AS_OF))
    result = compare(data, resamples=0)
    by_id = dict(zip(result.ids, range(len(result.ids)), strict=True))
    ann, bob = by_id["ann-treaty"], by_id["bob-treaty"]
    # Jan 1-5 Ann stands alone (no peer, 0 a day); Jan 6-10 both stand: Ann scores
    # 100 ln(0.8/0.4) a day, Bob its opposite; divided by the question's 10 days.
    assert result.peer[ann] == pytest.approx(5 * 100 * math.log(2) / 10)
    assert result.peer[bob] == pytest.approx(-5 * 100 * math.log(2) / 10)
    # Brier 0.04 and 0.36; the median of the two is 0.2
    assert result.brier[ann] == pytest.approx(0.04) and result.brier[bob] == pytest.approx(0.36)
    assert result.relative_brier[ann] == pytest.approx(-0.16)
    assert result.relative_brier[bob] == pytest.approx(0.16)


def test_head_to_head_between_the_authors(scored):
    with session_scope(scored) as session:
        duel = service.compare_forecasters(session, "Ann", "Bob", as_of=AS_OF, resamples=200)
    assert duel.questions == 1 and (duel.wins, duel.losses) == (1, 0)
    assert duel.brier_difference == pytest.approx(0.04 - 0.36)
    assert duel.log_loss_difference == pytest.approx(-math.log(0.8) + math.log(0.4))
    assert duel.brier_interval.low == pytest.approx(-0.32)  # one question: no spread
    assert duel.dominance == "a"  # 0.8 on a YES beats 0.4 under every proper score


def test_each_author_beside_the_market_at_the_date_of_their_statement(scored):
    with session_scope(scored) as session:
        ann = service.compare_forecasters(session, "Ann", "market:Manifold", as_of=AS_OF)
        bob = service.compare_forecasters(session, "Bob", "market:Manifold", as_of=AS_OF)
        flipped = service.compare_forecasters(session, "market:Manifold", "Bob", as_of=AS_OF)
    # Ann spoke on Jan 1, when the market said 0.5 (Brier 0.25); Bob on Jan 6, at 0.7 (0.09)
    assert ann.brier_b == pytest.approx(0.25) and ann.brier_difference == pytest.approx(-0.21)
    assert bob.brier_b == pytest.approx(0.09) and bob.brier_difference == pytest.approx(0.27)
    assert flipped.a == "market:Manifold" and flipped.brier_difference == pytest.approx(-0.27)


def test_authors_list_and_an_authors_record(scored):
    with session_scope(scored) as session:
        rows = {r.name: r for r in service.list_authors(session, as_of=AS_OF)}
        record = service.author_record(session, "Bob", as_of=AS_OF, resamples=100)
    assert rows["Ann"].scored == 1 and rows["Ann"].brier == pytest.approx(0.04)
    assert rows["Ann"].too_few  # 1 < 20 scored forecasts: not enough to judge
    assert rows["Bob"].comparison.peer == pytest.approx(-50 * math.log(2))
    assert [r.period for r in record.over_time] == ["2022-Q1"]
    assert {(h.a, h.b) for h in record.head_to_head} == {
        ("Bob", "Ann"),
        ("Bob", "market:Manifold"),
    }


def test_an_unknown_author_is_a_clear_error(scored):
    with session_scope(scored) as session, pytest.raises(NotFoundError, match="did you mean 'Ann'"):
        service.compare_forecasters(session, "an", "Bob")


def test_each_forecast_carries_its_peer_score(scored):
    with session_scope(scored) as session:
        scores = service.own_scores(session, ["ann-treaty", "bob-treaty"])
    assert scores["ann-treaty"].peer == pytest.approx(50 * math.log(2))
    assert scores["bob-treaty"].peer == pytest.approx(-50 * math.log(2))
