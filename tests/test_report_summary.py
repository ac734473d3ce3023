"""The report's summary in plain words, on hand-made forecasts whose verdict is known."""

from __future__ import annotations

import json
from datetime import date

import numpy as np

from tracker.domain.scale import EstimativeScale
from tracker.reports import plain_summary, render_report
from tracker.scoring import ScorecardFilter, ScoringData, score_data


def _data(p: list[float], y: list[int], authors: list[str] | None = None) -> ScoringData:
    n = len(p)
    names = authors or ["Ann"]
    days = np.full(n, date(2020, 1, 1).toordinal())
    return ScoringData(
        ids=[f"q{i}" for i in range(n)],
        p=np.array(p, float),
        y=np.array(y, float),
        opens=days,
        closes=days + 100,
        resolved=days + 120,
        from_scale=np.zeros(n, bool),
        term_codes=np.zeros(n, int),
        terms=["likely"],
        source_codes=np.zeros(n, int),
        sources=["paper"],
        author_codes=np.arange(n) % len(names),
        authors=names,
        tag_forecast=np.zeros(0, int),
        tag_codes=np.zeros(0, int),
        tags=[],
    )


def _card(data: ScoringData, author: str | None = None):
    f = ScorecardFilter(author=author, as_of=date(2026, 1, 1), resamples=50)
    return score_data(data, f, EstimativeScale.builtin())


def test_overconfident_forecaster_is_told_so():
    # 20 forecasts at 80 %, only 8 came true; 20 at 10 %, 2 came true
    p = [0.8] * 20 + [0.1] * 20
    y = [1] * 8 + [0] * 12 + [1] * 2 + [0] * 18
    summary = plain_summary(_card(_data(p, y), author="Ann"))
    assert summary.who == "Forecasts by Ann: 40 forecasts scored as of 2026-01-01."
    # Brier: (8·0.04 + 12·0.64 + 2·0.81 + 18·0.01) / 40 = 0.245
    assert summary.headline.startswith("Brier score 0.245 (0 is perfect, lower is better; 95 %")
    # base rate 0.25: always forecasting it scores 0.25·0.75 = 0.1875
    assert summary.meaning.startswith(
        "That is better than always saying 50 % (0.250), and worse than always forecasting "
        "the observed frequency (0.188) — 25 % of these questions came true"
    )
    assert summary.verdict == (
        "Calibration: forecasts at 70–80 % came true 40 % of the time (20 forecasts): "
        "overconfident."
    )
    # a 10 % forecast that came true costs 0.81, more than an 80 % one that did not (0.64)
    assert summary.misses == [
        "Ann gave 10 % to q20, which resolved YES",
        "Ann gave 10 % to q21, which resolved YES",
        "Ann gave 80 % to q8, which resolved NO",
    ]


def test_well_calibrated_and_too_few():
    p = [0.7] * 10 + [0.3] * 10
    y = [1] * 7 + [0] * 3 + [1] * 3 + [0] * 7
    calm = plain_summary(_card(_data(p, y)))
    assert calm.verdict.startswith("Calibration: no clear sign of over- or underconfidence")
    assert calm.bins == []
    few = plain_summary(_card(_data([0.9, 0.9, 0.2], [0, 0, 1])))
    assert few.verdict == (
        "Calibration: too few forecasts to tell (3 scored; at least 10 are needed)."
    )
    assert "the interval includes 0.25" not in calm.meaning or calm.meaning.endswith(".")


def test_underconfident_and_two_authors():
    # 20 forecasts at 60 %, all came true: underconfident
    p = [0.6] * 20 + [0.4] * 20
    y = [1] * 20 + [0] * 20
    summary = plain_summary(_card(_data(p, y, ["Ann", "Bo"])))
    assert summary.who.startswith("Forecasts by 2 forecasters (Ann, Bo): 40 forecasts")
    assert "came true 100 % of the time (20 forecasts): underconfident" in summary.verdict
    assert "came true 0 % of the time (20 forecasts): underconfident" in summary.verdict
    assert summary.misses == []  # every forecast was on the right side
    assert "No forecast was on the wrong side of 50 %: there is no costly miss." in (
        summary.sentences()
    )


def test_every_format_opens_with_the_summary():
    p = [0.8] * 20 + [0.1] * 20
    y = [1] * 8 + [0] * 12 + [1] * 2 + [0] * 18
    card = _card(_data(p, y), author="Ann")
    verdict = plain_summary(card).verdict
    shape = json.loads(render_report(card, "json"))
    assert shape["summary"]["verdict"] == verdict and shape["summary"]["count"] == 40
    html = render_report(card, "html").decode()
    assert html.index(verdict) < html.index("reliability-diagram") < html.index("Glossary")
    md = render_report(card, "md").decode()
    assert md.index("## Summary") < md.index("70–80 % came true 40 %") < md.index("## Glossary")
