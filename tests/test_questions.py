"""Questions shared across forecasters: several authors' forecasts on one question, question
files, resolution once per question, and the migration that split questions from forecasts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlmodel import func, select

from tests.conftest import ARTICLE_FILE
from tests.test_resolution import Corpus, match_all, pending
from tracker import db, service
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.errors import ForecastImportError
from tracker.models import Evidence, Forecast, Proposal, Question, Resolution
from tracker.scoring import ScorecardFilter

SCALE = EstimativeScale.builtin()
DAY = date(2022, 1, 25)
QUESTION = "us-implements-russian-demands"

SECOND_AUTHOR = f"""
source:
  title: A second view of the talks
  author: Andrey Kortunov
  published: 2022-01-24
forecasts:
  - id: kortunov-demands
    question: {QUESTION}
    quote: "Washington might yet accept part of it."
    estimate: might
    probability: 0.2
    opens: 2022-01-24
    tags: [diplomacy]
"""

QUESTION_FILE = """
questions:
  - id: ukraine-ceasefire-2022
    question: Will Russia and Ukraine agree a ceasefire by 2022-12-31?
    opens: 2022-01-01
    closes: 2022-12-31
    resolution:
      criteria: YES if both governments announce a general ceasefire before closes.
      yes_when:
        all: [ceasefire]
        any: [agreed a ceasefire, ceasefire agreed]
      min_sources: 2
      default_at_close: no
"""

ON_THE_QUESTION_FILE = """
source:
  title: Two columnists on a ceasefire
  author: {author}
  published: 2022-02-01
forecasts:
  - id: {id}
    question: ukraine-ceasefire-2022
    quote: "A ceasefire is {word}."
    estimate: {word}
    opens: 2022-02-01
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def do_import(engine, *paths: Path, today: date = DAY) -> registry.ImportReport:
    files = registry.load_files(list(paths), SCALE)
    with session_scope(engine) as session:
        return registry.import_files(session, files, today=today, actor="tester")


@pytest.fixture
def two_authors(engine, tmp_path):
    do_import(engine, ARTICLE_FILE, write(tmp_path, "kortunov.yaml", SECOND_AUTHOR))
    return engine


def test_a_forecast_can_refer_to_another_authors_question(two_authors):
    with session_scope(two_authors) as session:
        forecast = registry.get_forecast(session, "kortunov-demands")
        question = registry.get_question(session, QUESTION)
        on_it = session.exec(select(Forecast.id).where(Forecast.question_id == QUESTION)).all()
    assert forecast.question_id == QUESTION and sorted(on_it) == ["kortunov-demands", QUESTION]
    # the question gives the close date and the rules; the forecast keeps its own date and words
    assert forecast.closes == question.closes == date(2022, 12, 31)
    assert forecast.opens == date(2022, 1, 24) and forecast.probability == 0.2
    assert forecast.question == question.text and question.defined_in == "trenin-2022-01-21"


def test_evidence_and_review_happen_once_and_resolve_every_forecast(two_authors):
    corpus = Corpus(two_authors)
    for n, site in enumerate(["https://one.example/", "https://two.example/"]):
        corpus.add(
            "Washington accepted Russian demands",
            "Russia said that the US accepted Russian demands on NATO.",
            "2022-03-01",
            url=f"{site}story-{n}",
            feed=f"{site}rss",
            site=site,
        )
    match_all(two_authors)
    proposals = pending(two_authors)
    assert list(proposals) == [QUESTION]  # one proposal, on the question
    with session_scope(two_authors) as session:
        rows = session.exec(select(Evidence.question_id, func.count()).group_by("question_id"))
        assert dict(rows.all()) == {QUESTION: 2}
        service.confirm_proposal(session, proposals[QUESTION].id, actor="ana")
    with session_scope(two_authors) as session:
        states = session.exec(
            select(Forecast.id, Forecast.status, Forecast.outcome).where(
                Forecast.question_id == QUESTION
            )
        ).all()
        (resolution,) = session.exec(select(Resolution)).all()
    assert sorted(states) == [
        ("kortunov-demands", "resolved", "yes"),
        (QUESTION, "resolved", "yes"),
    ]
    assert resolution.question_id == QUESTION


def test_resolving_by_hand_through_any_forecast_resolves_the_question(two_authors):
    with session_scope(two_authors) as session:
        service.resolve_forecast(session, "kortunov-demands", "no", actor="ana", today=DAY)
    with session_scope(two_authors) as session:
        assert registry.get_question(session, QUESTION).outcome == "no"
        assert registry.get_forecast(session, QUESTION).status == "resolved"
        service.reopen_forecast(session, QUESTION, actor="ben", note="wrong reading", today=DAY)
    with session_scope(two_authors) as session:
        assert registry.get_forecast(session, "kortunov-demands").status == "open"
        history = registry.forecast_detail(session, "kortunov-demands", DAY).audit
    assert [e.action for e in history if e.entity == "question"] == ["create", "resolve", "reopen"]


def test_a_question_file_defines_questions_that_forecasts_share(engine, tmp_path):
    questions = write(tmp_path, "ceasefire-questions.yaml", QUESTION_FILE)
    first = write(
        tmp_path, "a.yaml", ON_THE_QUESTION_FILE.format(author="A", id="a-ceasefire", word="likely")
    )
    text = ON_THE_QUESTION_FILE.format(author="B", id="b-ceasefire", word="unlikely")
    second = write(tmp_path, "b.yaml", text)
    report = do_import(engine, first, second, questions)
    assert "ukraine-ceasefire-2022" in report.questions
    with session_scope(engine) as session:
        question = registry.get_question(session, "ukraine-ceasefire-2022")
        assert question.defined_in == "questions/ceasefire-questions"
        assert session.exec(select(func.count()).select_from(Question)).one() == 1
        service.resolve_forecast(session, "a-ceasefire", "no", actor="ana", today=date(2023, 1, 5))
    with session_scope(engine) as session:
        card = service.scorecard(session, ScorecardFilter(as_of=date(2023, 2, 1)), SCALE)
    # both authors' forecasts are scored on the one resolution
    assert card.to_json()["scores"]["count"] == 2


def test_a_reference_to_an_unknown_question_is_refused_whole(engine, tmp_path):
    wrong = SECOND_AUTHOR.replace(QUESTION, "us-implements-russian-demandz")
    with pytest.raises(ForecastImportError) as caught:
        do_import(engine, ARTICLE_FILE, write(tmp_path, "kortunov.yaml", wrong))
    (problem,) = caught.value.problems
    assert (problem.forecast_id, problem.field) == ("kortunov-demands", "question")
    assert "no question 'us-implements-russian-demandz'" in str(problem)
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Forecast)).one() == 0


def test_a_reference_may_not_restate_the_questions_close_date_or_rules(tmp_path):
    text = SECOND_AUTHOR + "    closes: 2022-06-30\n    resolution: manual\n"
    with pytest.raises(ForecastImportError) as caught:
        registry.load_files([write(tmp_path, "kortunov.yaml", text)], SCALE)
    assert {(p.field, p.forecast_id) for p in caught.value.problems} == {
        ("closes", "kortunov-demands"),
        ("resolution", "kortunov-demands"),
    }
    assert all("gives the close date and the resolution" in str(p) for p in caught.value.problems)


def test_an_inline_question_still_needs_its_close_date(tmp_path):
    text = SECOND_AUTHOR.replace(f"question: {QUESTION}", "question: Will it happen by June?")
    with pytest.raises(ForecastImportError) as caught:
        registry.load_files([write(tmp_path, "kortunov.yaml", text)], SCALE)
    assert {p.field for p in caught.value.problems} == {"closes", "resolution"}


def test_a_bad_question_file_lists_every_problem(tmp_path):
    text = QUESTION_FILE.replace("closes: 2022-12-31", "closes: 2021-12-31").replace(
        "default_at_close: no", "default_at_close: no\n      min_sourcse: 3"
    )
    with pytest.raises(ForecastImportError) as caught:
        registry.load_files([write(tmp_path, "q.yaml", text)], SCALE)
    messages = [str(p) for p in caught.value.problems]
    assert any("min_sourcse" in m and "did you mean 'min_sources'" in m for m in messages)


def _scorecard_json(engine, as_of: date) -> dict:
    with session_scope(engine) as session:
        card = service.scorecard(session, ScorecardFilter(as_of=as_of), SCALE)
    data = card.to_json()
    return json.loads(json.dumps(data, default=str))


def test_the_seed_migrates_with_the_same_scores(engine):
    """The seed's forecasts, resolved, read the same scorecard on a database taken back to
    revision 0008 (one table, no questions) and brought forward again by migration 0009."""
    do_import(engine, ARTICLE_FILE)
    with session_scope(engine) as session:
        ids = sorted(session.exec(select(Forecast.id)).all())
        for n, forecast_id in enumerate(ids):
            outcome = "yes" if n % 3 == 0 else "no"
            service.resolve_forecast(session, forecast_id, outcome, actor="ana", today=DAY)
    as_of = date(2030, 1, 1)
    before = _scorecard_json(engine, as_of)
    config = db.alembic_config(engine)
    command.downgrade(config, "0008")
    assert "question" not in inspect(engine).get_table_names()
    command.upgrade(config, "head")
    after = _scorecard_json(engine, as_of)
    assert len(ids) == 20 and before["scores"]["count"] == 20
    before.pop("generated_at", None), after.pop("generated_at", None)
    assert after == before
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Question)).one() == 20
        assert session.exec(select(func.count()).select_from(Resolution)).one() == 20
        assert all(f.question_id == f.id for f in session.exec(select(Forecast)))
        assert session.exec(select(func.count()).select_from(Proposal)).one() == 0
