"""The calibration report's comparison section: when its forecasts are several forecasters', it
shows each one's peer and relative scores and the pairs head to head, with the numbers of
tracker.scoring.compare and head_to_head on the same forecasts; one forecaster's report has none.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from tests.report_files import csv_files
from tracker import service
from tracker.db import session_scope
from tracker.domain.scale import EstimativeScale
from tracker.reports import md_text
from tracker.scoring import ScorecardFilter, ScoringData, compare, head_to_head, load_scored
from tracker.service._reports import shared_pairs

SCALE = EstimativeScale.builtin()
AS_OF = date(2022, 2, 1)
HOSTILE = '=HYPERLINK("http://127.0.0.1/x","y") <script>alert(1)</script> *b* | c'
RESAMPLES = 200

QUESTIONS = """
questions:
""" + "".join(
    f"""  - id: {q}
    question: Will {q} happen by 2022-01-10?
    opens: 2022-01-01
    closes: 2022-01-10
    resolution: manual
"""
    for q in ("q1", "q2", "q3")
)
SOURCE = """
source:
  title: A column
  author: '{author}'
  published: 2022-01-01
forecasts:
"""
FORECAST = """  - id: {id}
    question: {question}
    quote: "It will happen."
    estimate: "{percent}%"
    probability: {p}
    opens: 2022-01-01
"""
#: author -> [(forecast id, question, probability)], all stated on Jan 1
FORECASTS = {
    "Ann": [("ann-1", "q1", 0.8), ("ann-2", "q2", 0.3), ("ann-3", "q3", 0.7)],
    HOSTILE: [("h-1", "q1", 0.4), ("h-2", "q2", 0.6)],
    "Bob": [("bob-3", "q3", 0.9)],
}
OUTCOMES = {"ann-1": "yes", "ann-2": "no", "ann-3": "yes"}  # resolves q1, q2, q3


@pytest.fixture
def engine3(engine, tmp_path: Path):
    """Ann and the hostile name share q1 and q2; Ann and Bob share q3."""
    files = [tmp_path / "questions.yaml"]
    files[0].write_text(QUESTIONS)
    for k, (author, rows) in enumerate(FORECASTS.items()):
        text = SOURCE.format(author=author.replace("'", "''")) + "".join(
            FORECAST.format(id=i, question=q, p=p, percent=round(p * 100)) for i, q, p in rows
        )
        files.append(tmp_path / f"author{k}.yaml")
        files[-1].write_text(text)
    with session_scope(engine) as session:
        service.import_forecasts(session, files, SCALE, actor="t", today=date(2022, 1, 2))
        for forecast_id, outcome in OUTCOMES.items():
            service.resolve_forecast(
                session, forecast_id, outcome, actor="t", today=date(2022, 1, 11)
            )
    return engine


def _report(engine, fmt: str, **filters: object) -> tuple[bytes, ScoringData, int]:
    with session_scope(engine) as session:
        card = service.scorecard(
            session, ScorecardFilter(as_of=AS_OF, resamples=RESAMPLES, **filters), SCALE
        )
        data = load_scored(session, card.filters)
        return service.report(session, card, fmt), data, card.filters.seed


def test_json_comparison_is_compare_on_the_same_forecasts(engine3):
    raw, data, seed = _report(engine3, "json")
    doc = json.loads(raw)
    # the pairs sharing the most questions first: the hostile name and Ann share two, Ann and
    # Bob one, Bob and the hostile name none (left out); names in a pair alphabetical
    pairs = [(HOSTILE, "Ann"), ("Ann", "Bob")]
    expected = compare(data, pairs=pairs, resamples=RESAMPLES, seed=seed)
    assert doc["comparison"] == json.loads(json.dumps(expected.to_json(per_forecast=False)))
    duel = head_to_head(data, HOSTILE, "Ann", resamples=RESAMPLES, seed=seed)
    assert doc["comparison"]["head_to_head"][0] == json.loads(json.dumps(duel.to_json()))
    # by hand: Ann's Brier 0.04 (0.8 on a yes) and 0.09 (0.3 on a no), the other's 0.36 on each
    first = doc["comparison"]["head_to_head"][0]
    assert first["questions"] == 2 and (first["wins"], first["losses"]) == (0, 2)
    assert first["brier"]["difference"] == pytest.approx(((0.36 - 0.04) + (0.36 - 0.09)) / 2)
    assert first["murphy"]["dominance"] == "b"  # Ann: nowhere worse under any proper score
    second = doc["comparison"]["head_to_head"][1]
    assert second["brier"]["difference"] == pytest.approx(0.09 - 0.01)  # 0.7 and 0.9 on a yes
    # what was there before is there unchanged
    assert doc["breakdowns"]["author"][0]["name"] == "Ann"


def test_csv_and_markdown_tables_hold_the_same_numbers(engine3):
    raw, data, seed = _report(engine3, "csv")
    pairs = [(HOSTILE, "Ann"), ("Ann", "Bob")]
    expected = compare(data, pairs=pairs, resamples=RESAMPLES, seed=seed)
    tables = csv_files(raw)
    header, *rows = tables["comparison_authors"]
    by_author = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    for a in expected.authors:
        name = "'" + a.author if a.author.startswith("=") else a.author
        row = by_author[name]
        assert int(row["with peers"]) == a.with_peers
        # values as the report shows them: 2 decimals for peer scores, 4 for Brier scores
        assert float(row["peer score"]) == pytest.approx(a.peer, abs=0.005)
        assert float(row["relative Brier"]) == pytest.approx(a.relative_brier, abs=5e-5)
    ann = by_author["Ann"]
    assert int(ann["n"]) == 3
    assert float(ann["Brier (0–1)"]) == pytest.approx((0.04 + 0.09 + 0.09) / 3, abs=5e-5)
    assert ann["sample size"] == "too few (n < 20)"
    # a formula-like name is neutralised in every table that shows it
    assert "'" + HOSTILE in by_author
    header, *duels = tables["comparison_head_to_head"]
    assert [d[:2] for d in duels] == [["'" + HOSTILE, "Ann"], ["Ann", "Bob"]]
    first = dict(zip(header, duels[0], strict=True))
    difference = expected.head_to_head[0].brier_difference
    assert float(first["difference a − b"]) == pytest.approx(difference, abs=5e-5)
    assert first["better under every proper score (Murphy)"] == "Ann"
    assert first["common questions"] == "2"

    md = _report(engine3, "md")[0].decode()
    section = md[md.index("## Comparison: forecasters") :]
    assert md_text(HOSTILE) in section and "<script>" not in md
    assert "| Ann | 3 | 0.0733 |" in section


def test_html_has_the_section_and_the_murphy_diagram_escaped(engine3):
    html = _report(engine3, "html")[0].decode()
    assert "<script>" not in html
    start = html.index('id="comparison_authors"')
    figure = html[html.index('<figure id="murphy-diagram">') :]
    figure = figure[: figure.index("</figure>")]
    assert start < html.index('id="murphy-diagram"')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in figure  # title, legend, caption
    assert figure.count("<polyline") == 2


def test_one_forecaster_has_no_comparison_section(engine3):
    raw, _, _ = _report(engine3, "json", author="Ann", exact_author=True)
    with session_scope(engine3) as session:
        card = service.scorecard(session, ScorecardFilter(as_of=AS_OF, author="Ann"), SCALE)
    doc = json.loads(raw)
    assert "comparison" not in doc and set(doc) == set(card.to_json()) | {"resolver", "summary"}
    for fmt in ("md", "html"):
        assert "Comparison" not in _report(engine3, fmt, author="Ann")[0].decode()
    assert not [t for t in csv_files(_report(engine3, "csv", author="Ann")[0]) if "compar" in t]


def test_the_report_file_counts_the_comparison_tables(engine3, tmp_path):
    with session_scope(engine3) as session:
        card = service.scorecard(session, ScorecardFilter(as_of=AS_OF, resamples=50), SCALE)
        alone = service.scorecard(
            session, ScorecardFilter(as_of=AS_OF, resamples=50, author="Bob"), SCALE
        )
        both = service.write_report(session, card, "md", tmp_path / "all.md")
        one = service.write_report(session, alone, "md", tmp_path / "bob.md")
    assert both.tables == one.tables + 2
    assert "## Comparison: head to head" in (tmp_path / "all.md").read_text()


def _data(authors: list[str], questions: list[int]) -> ScoringData:
    """Forecasts by ``authors[i]`` on question ``questions[i]`` (the pairing needs no more)."""
    names = sorted(set(authors))
    n = len(authors)
    return ScoringData(
        ids=[f"f{i}" for i in range(n)],
        p=np.full(n, 0.5),
        y=np.ones(n),
        opens=np.zeros(n, np.int64),
        closes=np.ones(n, np.int64),
        resolved=np.ones(n, np.int64),
        from_scale=np.zeros(n, bool),
        term_codes=np.zeros(n, np.int64),
        terms=["50%"],
        source_codes=np.zeros(n, np.int64),
        sources=["s"],
        author_codes=np.array([names.index(a) for a in authors]),
        authors=names,
        question_codes=np.array(questions),
        questions=[f"q{q}" for q in range(max(questions) + 1)],
    )


def test_pairs_are_those_sharing_the_most_questions_at_most_ten():
    # six authors on q0 (15 pairs with one question each); A and B also share q1 and q2, and
    # A forecasts q1 twice (counted once); G shares nothing
    authors = [*"ABCDEF", "A", "A", "B", "B", "G"]
    questions = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 3]
    authors += ["A"]
    questions += [2]
    pairs = shared_pairs(_data(authors, questions))
    assert pairs[0] == ("A", "B")  # three common questions
    assert len(pairs) == 10
    assert pairs[1:] == [
        ("A", "C"),
        ("A", "D"),
        ("A", "E"),
        ("A", "F"),
        ("B", "C"),
        ("B", "D"),
        ("B", "E"),
        ("B", "F"),
        ("C", "D"),
    ]
    assert shared_pairs(_data(["A", "G"], [0, 1])) == []


def test_the_section_reads_in_chromium(engine3, tmp_path, browser):
    report = tmp_path / "calibration.html"
    report.write_bytes(_report(engine3, "html")[0])
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.as_uri())
    assert page.locator("table.comparison_authors tbody tr").count() == 3
    assert page.locator("table.comparison_head_to_head tbody tr").count() == 2
    diagram = page.locator("#murphy-diagram svg")
    assert diagram.is_visible() and diagram.bounding_box()["width"] >= 300
    assert page.locator("#murphy-diagram polyline").count() == 2
    # the name is read as text, not run: whole in the title, shortened in the legend
    assert HOSTILE in page.locator("#murphy-diagram svg > title").text_content()
    assert page.locator("#murphy-diagram text", has_text='=HYPERLINK("http').count() == 1
    assert errors == []


def test_without_resamples_the_head_to_head_has_no_interval(engine3):
    with session_scope(engine3) as session:
        card = service.scorecard(session, ScorecardFilter(as_of=AS_OF, resamples=0), SCALE)
        doc = json.loads(service.report(session, card, "json"))
        md = service.report(session, card, "md").decode()
    assert [h["brier"]["interval"] for h in doc["comparison"]["head_to_head"]] == [None, None]
    assert "| Ann | Bob | 1 | 0.0900 | 0.0100 | 0.0800 | — | — |" in md
