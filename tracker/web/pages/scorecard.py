"""The scorecard page (scores, counts, diagrams, the calibration table, the costliest forecasts
and sortable breakdowns for the chosen filters), the page of one calibration bin's forecasts, and
the page that explains the scores.

Sorting is done here, on the server, from query parameters (``sort_author=-brier``), with links
in the table headers: no script needed (the CSP allows none inline anyway)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator, Field

from tracker import service
from tracker.reports import corp_diagram, reliability_diagram, sharpness_histogram
from tracker.scoring import GROUP_COLUMNS, GroupRow, Scorecard, ScoreColumn
from tracker.web.deps import ReaderDep, ScorecardsDep, SessionDep
from tracker.web.scorecards import PAGE_RESAMPLES, ScorecardForm
from tracker.web.templating import render

router = APIRouter(include_in_schema=False)

#: the measures the breakdown tables show (the brief ones of :data:`tracker.scoring.GROUP_COLUMNS`)
BRIEF: tuple[ScoreColumn, ...] = tuple(c for c in GROUP_COLUMNS if c.brief)
#: (key, header, numeric) of the breakdown tables' columns: the group's name, then the measures
COLUMNS: list[tuple[str, str, bool]] = [("name", "", False)] + [
    (c.key, c.label, True) for c in BRIEF
]
SORT_KEYS = frozenset(key for column, _, _ in COLUMNS for key in (column, f"-{column}"))


def _sort_key(value: str) -> str:
    if value not in SORT_KEYS:
        raise ValueError(f"sort by one of: {', '.join(sorted(SORT_KEYS))}")
    return value


SortKey = Annotated[str, AfterValidator(_sort_key)]
BreakdownPage = Annotated[int, Field(ge=1, le=100_000)]
BREAKDOWNS = ("author", "source", "tag")
#: rows of a breakdown table at a time: with a thousand authors the whole tables made the page
#: 0.8 MB and most of its time went into rendering them (issue 18, large profile)
BREAKDOWN_PER_PAGE = 50


class ScorecardPageQuery(ScorecardForm):
    sort_author: SortKey = "-count"
    sort_source: SortKey = "-count"
    sort_tag: SortKey = "-count"
    page_author: BreakdownPage = 1
    page_source: BreakdownPage = 1
    page_tag: BreakdownPage = 1


@dataclass(frozen=True)
class Header:
    label: str
    numeric: bool
    href: str
    aria_sort: str | None  # "ascending" / "descending" on the sorted column


@dataclass(frozen=True)
class Breakdown:
    """One breakdown table: a page of its rows in the chosen order (``first`` the 1-based number of
    the first row shown, ``total`` the rows in all), with links to the pages around it."""

    by: str
    headers: list[Header]
    rows: list[GroupRow]
    first: int = 1
    total: int = 0
    page: int = 1
    pages: int = 1
    prev_href: str | None = None
    next_href: str | None = None
    columns: tuple[ScoreColumn, ...] = BRIEF


def sort_rows(rows: list[GroupRow], key: str) -> list[GroupRow]:
    """Rows by ``key`` (``-`` first: descending); ties by name, so the order is stable."""
    field = key.lstrip("-")
    by_name = sorted(rows, key=lambda r: r.name.casefold())
    return sorted(
        by_name,
        key=lambda r: getattr(r, field) if field != "name" else r.name.casefold(),
        reverse=key.startswith("-"),
    )


def breakdown(
    by: str, rows: list[GroupRow], query: ScorecardPageQuery, params: dict[str, str]
) -> Breakdown:
    current = getattr(query, f"sort_{by}")
    headers = []
    for key, label, numeric in COLUMNS:
        if current.lstrip("-") == key:  # clicking the sorted column reverses it
            target = key if current.startswith("-") else f"-{key}"
            aria = "descending" if current.startswith("-") else "ascending"
        else:  # numbers start high-to-low, names A to Z
            target, aria = (f"-{key}" if numeric else key), None
        resorted = {k: v for k, v in params.items() if k != f"page_{by}"}  # a new order: page 1
        href = "?" + urlencode({**resorted, f"sort_{by}": target}) + f"#by-{by}"
        headers.append(Header(label or by, numeric, href, aria))
    pages = max(1, -(-len(rows) // BREAKDOWN_PER_PAGE))
    page = min(getattr(query, f"page_{by}"), pages)
    start = (page - 1) * BREAKDOWN_PER_PAGE

    def page_href(number: int) -> str | None:
        if not 1 <= number <= pages or number == page:
            return None
        return "?" + urlencode({**params, f"page_{by}": str(number)}) + f"#by-{by}"

    return Breakdown(
        by,
        headers,
        sort_rows(rows, current)[start : start + BREAKDOWN_PER_PAGE],
        first=start + 1,
        total=len(rows),
        page=page,
        pages=pages,
        prev_href=page_href(page - 1),
        next_href=page_href(page + 1),
    )


def filter_params(query: ScorecardForm) -> dict[str, str]:
    """The scorecard's filters alone (no sort order, no page), as query parameters: what a link
    to the same scorecard, its JSON or one of its bins carries."""
    return ScorecardForm.model_validate(
        query.model_dump(include=set(ScorecardForm.model_fields))
    ).params()


@router.get("/scorecard", name="scorecard")
def scorecard_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
    query: Annotated[ScorecardPageQuery, Query()],
) -> Response:
    card = scorecards.get(session, query.scoring_filter(PAGE_RESAMPLES))
    params = query.params()  # filters and sort orders, kept by every link
    filters = filter_params(query)
    return render(
        request,
        "scorecard/page.html",
        {
            "card": card,
            "query": query,
            "filters": filters,
            "choices": service.filter_choices(session),
            "breakdowns": [
                breakdown(by, card.breakdowns.get(by, []), query, params) for by in BREAKDOWNS
            ],
            "diagrams": {
                "reliability": reliability_diagram(card, bin_links(request, card, filters)),
                "sharpness": sharpness_histogram(card),
                "corp": corp_diagram(card),
            },
        },
    )


def bin_links(request: Request, card: Scorecard, filters: dict[str, str]) -> list[str]:
    """Where each calibration bin of ``card`` leads: its forecasts, under the same filters."""
    query = f"?{urlencode(filters)}" if filters else ""
    return [
        request.app.url_path_for("scorecard_bin", k=str(k)) + query
        for k in range(len(card.calibration))
    ]


#: forecasts a calibration bin's page lists at a time
BIN_PER_PAGE = 100


class BinPageQuery(ScorecardForm):
    page: int = Field(default=1, ge=1, le=100_000)


@router.get("/scorecard/bins/{k}", name="scorecard_bin")
def bin_page(
    request: Request,
    k: int,
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
    query: Annotated[BinPageQuery, Query()],
) -> Response:
    """The forecasts of calibration bin ``k`` (0 the lowest) of the scorecard for the filters,
    costliest first, with the bin's row as the scorecard shows it."""
    scoring_filter = query.scoring_filter(0)
    found = service.calibration_bin(
        session, scoring_filter, k, scorecards.scale, page=query.page, per_page=BIN_PER_PAGE
    )
    filters = filter_params(query)
    return render(
        request,
        "scorecard/bin.html",
        {"found": found, "filters": filters, "scoring_filter": scoring_filter},
    )


@router.get("/scorecard/scores", name="scores_explained")
def scores_explained(request: Request, _reader: ReaderDep) -> Response:
    """How each forecast's scores, the costliest list and the calibration bins are computed."""
    return render(request, "scorecard/about.html")
