"""Author pages (``/authors``, ``/authors/{name}``), a head to head (``/compare``) and question
pages (``/questions``, ``/questions/{id}``).  Each parses its input, calls the use-case layer
and renders; the charts are drawn by :mod:`tracker.web.line_charts`."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.convertors import Convertor, register_url_convertor

from tracker import service
from tracker.clock import today
from tracker.domain import registry
from tracker.reports import reliability_diagram
from tracker.scoring import HeadToHead
from tracker.service import AuthorRecord, QuestionView
from tracker.web.deps import ReaderDep, ScorecardsDep, SessionDep
from tracker.web.line_charts import Series, murphy_chart, probability_lines, scores_by_period
from tracker.web.pages.scorecard import bin_links
from tracker.web.schemas import OLD_PAGE_NOTE, Text
from tracker.web.scorecards import PAGE_RESAMPLES, ScorecardQuery
from tracker.web.templating import render


class AuthorNamePath(Convertor[str]):
    """An author's name as one URL path segment: any text, "/", "?" and "#" included (a name
    comes from a file), written percent-encoded by ``path_for`` and decoded by the server
    before routing (so the pattern takes "/" too)."""

    regex = ".+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return quote(value, safe="")


#: the path convertor of every route that names an author: ``/authors/{name:author_name}``
register_url_convertor("author_name", AuthorNamePath())

router = APIRouter(include_in_schema=False)

AuthorName = Annotated[str, Path(min_length=1, max_length=300, description="the author's name")]
QuestionId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


@router.get("/authors", name="authors")
def authors_page(
    request: Request, session: SessionDep, _reader: ReaderDep, scorecards: ScorecardsDep
) -> Response:
    rows = scorecards.authors(session)
    return render(request, "authors/list.html", {"rows": rows, "min_judged": service.MIN_JUDGED})


def _author_filters(name: str) -> dict[str, str]:
    """The scorecard filter of one author (whole name), as query parameters."""
    return {"author": name, "exact_author": "true"}


def _over_time_chart(record: AuthorRecord) -> object:
    periods = [p.period for p in record.over_time]
    if not periods:
        return None
    n = max(1, len(periods) - 1)
    return scores_by_period(
        f"{record.name}: Brier by quarter",
        periods,
        [
            Series(
                "Brier in the quarter", [(i / n, p.brier) for i, p in enumerate(record.over_time)]
            ),
            Series(
                "running Brier",
                [(i / n, p.cumulative_brier) for i, p in enumerate(record.over_time)],
            ),
        ],
    )


@router.get("/authors/{name:author_name}", name="author")
def author_page(
    request: Request,
    name: AuthorName,
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
) -> Response:
    """An author's record: scores with intervals, calibration (each bin opens its forecasts),
    scores over time, by topic, comparisons, and every forecast with its own score."""
    service.author_exists(session, name)
    filters = _author_filters(name)
    card = scorecards.get(
        session, ScorecardQuery(author=name, exact_author=True).scoring_filter(PAGE_RESAMPLES)
    )
    record = scorecards.author_record(session, name, PAGE_RESAMPLES)
    forecasts, scores = scorecards.author_forecasts(session, name)
    rivals = [r.name for r in scorecards.authors(session) if r.name != name]
    rivals += [service.BASELINE_PREFIX + b for b in _baseline_names(record)]
    return render(
        request,
        "authors/page.html",
        {
            "record": record,
            "card": card,
            "filters": filters,
            "reliability": reliability_diagram(card, bin_links(request, card, filters)),
            "over_time_chart": _over_time_chart(record),
            "forecasts": forecasts,
            "scores": scores,
            "peer": record.peer_by_forecast,
            # a pick list of up to PICK_LIST_MAX names; beyond, the other name is typed (a
            # thousand authors were 1,000 options on every author's page)
            "rivals": rivals if len(rivals) <= registry.PICK_LIST_MAX else None,
            "can_compare": bool(rivals),
            "min_judged": service.MIN_JUDGED,
            "compare_href": lambda other: "/compare?" + urlencode({"a": name, "b": other}),
        },
    )


def _baseline_names(record: AuthorRecord) -> list[str]:
    return [
        h.b.removeprefix(service.BASELINE_PREFIX)
        for h in record.head_to_head
        if h.b.startswith(service.BASELINE_PREFIX)
    ]


class CompareQuery(BaseModel):
    a: Text = Field(description="an author, or a baseline written market:NAME")
    b: Text = Field(description="another author, or a baseline written market:NAME")


def murphy_of(duel: HeadToHead) -> object:
    return murphy_chart(
        f"Murphy diagram: {duel.a} and {duel.b}",
        [float(t) for t in duel.thresholds],
        [(duel.a, [float(v) for v in duel.murphy_a]), (duel.b, [float(v) for v in duel.murphy_b])],
    )


@router.get("/compare", name="compare")
def compare_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    query: Annotated[CompareQuery, Query()],
    scorecards: ScorecardsDep,
) -> Response:
    """Two forecasters head to head on their common questions, with the Murphy diagram."""
    duel = scorecards.head_to_head(session, query.a, query.b, PAGE_RESAMPLES)
    return render(request, "authors/compare.html", {"duel": duel, "murphy": murphy_of(duel)})


@router.get("/questions", name="questions")
def questions_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    cursor: Annotated[str | None, Query()] = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    """The questions, a page at a time (``page``: an old numbered link; past the first, the
    first page with a note)."""
    found = service.list_questions(session, cursor=cursor, per_page=50)
    note = OLD_PAGE_NOTE if (page or 1) > 1 and not cursor else None
    return render(request, "questions/list.html", {"found": found, "note": note})


def question_chart(view: QuestionView) -> object:
    q = view.question
    authors = [f.author for f in view.forecasts]
    lines = [
        (
            f.author if authors.count(f.author) == 1 else f"{f.author} ({f.forecast_id})",
            f.statements,
        )
        for f in view.forecasts
    ]
    lines += [(f"{b.name} ({b.kind})", b.points) for b in view.baselines]
    resolved = None
    if view.resolution is not None:
        day = min(view.resolution.resolved_at.date(), q.closes)
        resolved = (day, f"resolved {view.resolution.outcome}")
    first = min([q.opens] + [d for _, points in lines for d, _ in points[:1]])
    return probability_lines(f"Probabilities on {q.id} over time", lines, first, q.closes, resolved)


@router.get("/questions/{question_id}", name="question")
def question_page(
    request: Request, question_id: QuestionId, session: SessionDep, _reader: ReaderDep
) -> Response:
    """A question: every forecaster's probability over time on one chart, with the baselines
    and the resolution."""
    view = service.question_view(session, question_id, today=today())
    scores = service.own_scores(session, [f.forecast_id for f in view.forecasts])
    return render(
        request,
        "questions/page.html",
        {"view": view, "chart": question_chart(view), "scores": scores},
    )
