"""Questions: the list, and one question with every forecaster's probability over time, its
baselines and its resolution (the question page, `tracker questions show`, the API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker._seek import Key, read_page
from tracker.baselines import BaselineSeries
from tracker.clock import today as utc_today
from tracker.domain import lifecycle, registry, statements
from tracker.models import Forecast, Question, Resolution, Source
from tracker.paging import KeysetPage
from tracker.service._baselines import baseline_points


@dataclass(frozen=True)
class QuestionRow:
    id: str
    text: str
    closes: date
    status: str
    outcome: str | None
    forecasts: int
    authors: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "closes": self.closes.isoformat(),
            "status": self.status,
            "outcome": self.outcome,
            "forecasts": self.forecasts,
            "authors": self.authors,
        }


#: the questions list's order: soonest close first
QUESTION_KEYS = (Key(col(Question.closes), date), Key(col(Question.id), str))


def list_questions(
    session: Session,
    *,
    today: date | None = None,
    cursor: str | None = None,
    per_page: int = 50,
) -> KeysetPage[QuestionRow]:
    """The page at ``cursor`` (None: the first) of the questions with their forecasters,
    soonest close first (questions no forecast stands on included: a question file may define
    them ahead); ``total`` counts them all."""
    day = today or utc_today()
    found, following, earlier = read_page(
        session,
        select(Question),
        QUESTION_KEYS,
        lambda row: (row[0].closes, row[0].id),
        cursor=cursor,
        per_page=per_page,
    )
    questions = [row[0] for row in found]
    total = session.exec(select(func.count()).select_from(Question)).one()
    authors: dict[str, list[str]] = {q.id: [] for q in questions}
    counts: dict[str, int] = dict.fromkeys(authors, 0)
    if questions:
        rows = session.execute(
            select(col(Forecast.question_id), col(Source.author))
            .join(Source, col(Source.id) == col(Forecast.source_id))
            .where(col(Forecast.question_id).in_(list(authors)))
            .order_by(col(Source.author))
        )
        for question_id, author in rows:
            counts[question_id] += 1
            if author not in authors[question_id]:
                authors[question_id].append(author)
    items = [
        QuestionRow(
            q.id,
            q.text,
            q.closes,
            lifecycle.status_on(q, day).value,
            q.outcome,
            counts[q.id],
            authors[q.id],
        )
        for q in questions
    ]
    return KeysetPage(items, following, per_page, total, cursor, earlier)


@dataclass(frozen=True)
class Standing:
    """One forecast on the question: who, and each statement in force (day, probability)."""

    forecast_id: str
    author: str
    source: str
    estimate: str
    probability: float
    statements: list[tuple[date, float]]

    def to_json(self) -> dict[str, Any]:
        return {
            "forecast_id": self.forecast_id,
            "author": self.author,
            "source": self.source,
            "estimate": self.estimate,
            "probability": self.probability,
            "statements": [{"as_of": d.isoformat(), "probability": p} for d, p in self.statements],
        }


@dataclass
class QuestionView:
    """A question with everything on it, for its page."""

    question: Question
    status: str
    forecasts: list[Standing] = field(default_factory=list)
    baselines: list[BaselineSeries] = field(default_factory=list)
    resolution: Resolution | None = None

    def to_json(self) -> dict[str, Any]:
        q, resolution = self.question, self.resolution
        return {
            "id": q.id,
            "text": q.text,
            "criteria": q.criteria,
            "opens": q.opens.isoformat(),
            "closes": q.closes.isoformat(),
            "defined_in": q.defined_in,
            "status": self.status,
            "outcome": q.outcome,
            "resolution": None
            if resolution is None
            else {
                "outcome": resolution.outcome,
                "resolved_at": resolution.resolved_at.isoformat(),
                "resolved_by": resolution.resolved_by,
                "note": resolution.note,
            },
            "forecasts": [f.to_json() for f in self.forecasts],
            "baselines": [
                {
                    "name": b.name,
                    "kind": b.kind,
                    "points": [{"day": d.isoformat(), "probability": p} for d, p in b.points],
                }
                for b in self.baselines
            ],
        }


def question_view(session: Session, question_id: str, *, today: date | None = None) -> QuestionView:
    """One question: its forecasters' statements over time, its baselines, its resolution."""
    question = registry.get_question(session, question_id)
    view = QuestionView(question, lifecycle.status_on(question, today or utc_today()).value)
    on_it = session.execute(
        select(Forecast, Source)
        .join(Source, col(Source.id) == col(Forecast.source_id))
        .where(col(Forecast.question_id) == question_id)
        .order_by(col(Forecast.opens), col(Forecast.id))
    ).all()
    for forecast, source in on_it:
        standing = statements.history(session, forecast.id).standing()
        view.forecasts.append(
            Standing(
                forecast.id,
                source.author,
                source.key,
                forecast.estimate,
                forecast.probability,
                [(row.as_of, row.probability) for row in standing],
            )
        )
    view.baselines = baseline_points(session, [question_id]).get(question_id, [])
    view.resolution = lifecycle.active_resolution(session, question_id)
    return view
