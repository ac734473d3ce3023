"""The exports page: calibration report downloads for the chosen filters (the files come from
``/api/reports/calibration``, which the page links to with the filters in the query string)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tracker import service
from tracker.reports import ReportFormat
from tracker.web.deps import ReaderDep, ScorecardsDep, SessionDep
from tracker.web.exports import DESCRIPTIONS, file_name
from tracker.web.scorecards import PAGE_RESAMPLES, ScorecardForm
from tracker.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/exports", name="exports")
def exports_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
    query: Annotated[ScorecardForm, Query()],
) -> Response:
    card = scorecards.get(session, query.scoring_filter(PAGE_RESAMPLES))
    base = request.app.url_path_for("api_report")
    downloads = [
        {
            "format": fmt.value,
            "href": f"{base}?{urlencode({**query.params(), 'format': fmt.value})}",
            "file": file_name(card, fmt),
            "what": DESCRIPTIONS[fmt],
        }
        for fmt in ReportFormat
    ]
    return render(
        request,
        "exports/page.html",
        {
            "card": card,
            "query": query,
            "filters": query.params(),
            "choices": service.filter_choices(session),
            "downloads": downloads,
        },
    )
