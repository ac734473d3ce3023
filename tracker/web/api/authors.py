"""``/api/authors`` (the authors' list and an author's record), ``/api/compare`` (two
forecasters head to head) and ``/api/questions`` (questions with every forecaster's
statements, the baselines and the resolution): the data of the author and question pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from tracker import service
from tracker.clock import today
from tracker.web.deps import ReaderDep, ScorecardsDep, SessionDep
from tracker.web.pages import authors as _author_pages  # noqa: F401 - registers "author_name"
from tracker.web.schemas import ERROR_RESPONSES, CursorQuery, KeysetPageOut
from tracker.web.scorecards import PAGE_RESAMPLES, ScorecardQuery

router = APIRouter(prefix="/api", tags=["authors"])


@router.get(
    "/authors", name="api_authors", response_model=list[dict[str, Any]], responses=ERROR_RESPONSES
)
def authors(
    session: SessionDep, _reader: ReaderDep, scorecards: ScorecardsDep
) -> list[dict[str, Any]]:
    """Every author: forecasts, scored ones, mean Brier with its 95% interval and ``too_few``
    (under ``min_judged`` scored), peer and relative Brier where they share questions."""
    return [row.to_json() for row in scorecards.authors(session)]


@router.get(
    "/authors/{name:author_name}",
    name="api_author",
    response_model=dict[str, Any],
    responses=ERROR_RESPONSES,
)
def author(
    name: Annotated[str, Path(min_length=1, max_length=300)],
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
) -> dict[str, Any]:
    """An author's record (scores, by quarter, head to head with every author and baseline on
    a common question) and their scorecard (calibration, by topic)."""
    service.author_exists(session, name)
    record = scorecards.author_record(session, name, PAGE_RESAMPLES)
    card = scorecards.get(
        session, ScorecardQuery(author=name, exact_author=True).scoring_filter(PAGE_RESAMPLES)
    )
    return {**record.to_json(), "scorecard": card.to_json()}


@router.get(
    "/compare", name="api_compare", response_model=dict[str, Any], responses=ERROR_RESPONSES
)
def compare(
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
    a: Annotated[str, Query(min_length=1, max_length=300, description="an author or market:NAME")],
    b: Annotated[str, Query(min_length=1, max_length=300, description="an author or market:NAME")],
    resamples: Annotated[int, Query(ge=0, le=1000)] = 1000,
) -> dict[str, Any]:
    """``a`` against ``b`` on their common questions: Brier and log differences (a - b) with
    paired bootstrap intervals, wins, and both Murphy diagrams with the dominance verdict."""
    return scorecards.head_to_head(session, a, b, resamples).to_json()


class QuestionListQuery(CursorQuery):
    per_page: int = Field(default=50, ge=1, le=500)


@router.get(
    "/questions", name="api_questions", response_model=dict[str, Any], responses=ERROR_RESPONSES
)
def questions(
    session: SessionDep,
    _reader: ReaderDep,
    query: Annotated[QuestionListQuery, Query()],
) -> dict[str, Any]:
    """Questions, soonest close first, with their forecasters, a page at a time (``cursor``:
    a ``next_cursor`` or ``prev_cursor`` of the page before)."""
    found = service.list_questions(session, cursor=query.cursor, per_page=query.per_page)
    return {
        "total": found.total,
        **KeysetPageOut.paging(found, query.old_page_note()),
        "items": [q.to_json() for q in found.items],
    }


@router.get(
    "/questions/{question_id}",
    name="api_question",
    response_model=dict[str, Any],
    responses=ERROR_RESPONSES,
)
def question(
    question_id: Annotated[str, Path(min_length=1, max_length=200)],
    session: SessionDep,
    _reader: ReaderDep,
) -> dict[str, Any]:
    """A question: every forecaster's statements (day, probability), the baselines' daily
    points, the resolution, and each resolved forecast's own scores."""
    view = service.question_view(session, question_id, today=today())
    scores = service.own_scores(session, [f.forecast_id for f in view.forecasts])
    data = view.to_json()
    for item in data["forecasts"]:
        score = scores.get(item["forecast_id"])
        item["score"] = score.to_json() if score else None
    return data
