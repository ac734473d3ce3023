"""Comparative scorecard benchmark: peer scores, relative Brier and a head-to-head with 1,000
paired resamples, against the plain scorecard on the same forecasts in the same run.

    .venv/bin/python benchmarks/bench_compare.py [--questions 100000] [--forecasters 10]
                                                 [--resamples 1000] [--repeat 3]

Synthetic data in memory (no database): ``--questions`` questions with ``--forecasters``
forecasters each (1,000,000 forecasts by default), each forecaster more or less skilled,
entering the question on a day of its first month, a third of them with 1-3 dated updates;
probabilities to the whole percent, as pundits and markets state them.

(a) plain scorecard: ``tracker.scoring.score_data`` (what ``compute_scorecard`` runs once the
    forecasts are loaded): Brier/log/skill, Murphy and CORP decompositions, calibration,
    breakdowns with their intervals, the bootstrap interval, time-weighted Brier;
(b) comparative scorecard: ``tracker.scoring.compare`` with a head-to-head of the first two
    forecasters on their common questions (every question here).
Prints both times (best of ``--repeat``) and the ratio b/a; the goal is <= 3.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from tracker.domain.scale import EstimativeScale
from tracker.scoring import ScorecardFilter, ScoringData, compare, score_data

START = date(2020, 1, 1).toordinal()


def synthetic(questions: int, forecasters: int, seed: int = 1) -> ScoringData:
    rng = np.random.default_rng(seed)
    n = questions * forecasters
    question = np.repeat(np.arange(questions), forecasters)
    author = np.tile(np.arange(forecasters), questions)
    truth = rng.beta(0.8, 0.8, questions)
    y = (rng.random(questions) < truth).astype(np.float64)[question]
    noise = np.linspace(0.05, 0.35, forecasters)[author]  # forecaster 0 is the sharpest

    def said(size: int, who: np.ndarray, where: np.ndarray) -> np.ndarray:
        p = truth[where] + rng.normal(0.0, 1.0, size) * noise[who]
        rounded: np.ndarray = np.round(np.clip(p, 0.01, 0.99), 2)
        return rounded

    opens_q = START + rng.integers(0, 1000, questions)
    closes_q = opens_q + rng.integers(30, 366, questions)
    opens = opens_q[question] + rng.integers(0, 30, n)
    # a third of the forecasts have a history: the first statement, then 1-3 later ones
    with_history = np.flatnonzero(rng.random(n) < 1 / 3)
    extra = rng.integers(1, 4, len(with_history))
    update_forecast = np.repeat(with_history, extra + 1)
    first = np.concatenate(([0], np.cumsum(extra + 1)[:-1]))
    step = rng.integers(1, 60, len(update_forecast))
    step[first] = 0
    offset = np.cumsum(step) - np.repeat(np.cumsum(step)[first], extra + 1)
    update_day = opens[update_forecast] + offset
    update_p = said(len(update_forecast), author[update_forecast], question[update_forecast])
    p = said(n, author, question)
    p[with_history] = update_p[first + extra]  # the standing probability is the last said
    return ScoringData(
        ids=[f"f{i}" for i in range(n)],
        p=p,
        y=y,
        opens=opens,
        closes=closes_q[question],
        resolved=closes_q[question] + 1,
        from_scale=np.zeros(n, bool),
        term_codes=np.zeros(n, np.int64),
        terms=["as stated"],
        source_codes=question % 500,
        sources=[f"source-{i}" for i in range(500)],
        author_codes=author,
        authors=[f"forecaster-{i}" for i in range(forecasters)],
        update_forecast=update_forecast,
        update_day=update_day,
        update_p=update_p,
        question_codes=question,
        questions=[f"q{i}" for i in range(questions)],
    )


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--forecasters", type=int, default=10)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = synthetic(args.questions, args.forecasters)
    scale = EstimativeScale.builtin()
    filters = ScorecardFilter(as_of=date(2030, 1, 1), resamples=args.resamples)
    a, b = data.authors[0], data.authors[1]
    print(
        f"{len(data):,} forecasts: {args.questions:,} questions x {args.forecasters} "
        f"forecasters, {len(data.update_forecast):,} dated statements in histories; "
        f"{args.resamples} resamples; best of {args.repeat}"
    )
    t_plain, card = best_of(args.repeat, lambda: score_data(data, filters, scale))
    t_compare, comparison = best_of(
        args.repeat,
        lambda: compare(data, pairs=[(a, b)], resamples=args.resamples, seed=filters.seed),
    )
    h = comparison.head_to_head[0]
    peer_a = next(row.peer for row in comparison.authors if row.author == a)
    print(f"(a) plain scorecard (score_data):             {t_plain:8.2f} s")
    print(f"(b) comparative scorecard (compare):          {t_compare:8.2f} s")
    print(f"ratio b/a = {t_compare / t_plain:.2f}   (goal <= 3)")
    print(
        f"plain Brier {card.summary.brier:.4f}; {a} vs {b} on {h.questions:,} questions: "
        f"Brier difference {h.brier_difference:+.4f} "
        f"[{h.brier_interval.low:+.4f}, {h.brier_interval.high:+.4f}], "
        f"Murphy dominance: {h.dominance}; peer score of {a}: {peer_a:+.2f}"
    )


if __name__ == "__main__":
    main()
