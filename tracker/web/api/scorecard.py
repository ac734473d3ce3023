"""``/api/scorecard`` (the scorecard as JSON), ``/api/scorecard/bins/{k}`` (a calibration bin's
forecasts) and ``/api/reports/calibration`` (report downloads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import Field

from tracker import service
from tracker.reports import ReportFormat
from tracker.web.deps import ReaderDep, ScorecardsDep, SessionDep
from tracker.web.exports import CSV_TABLE_TYPE, MEDIA_TYPES, report_response
from tracker.web.schemas import ERROR_RESPONSES, CalibrationBinOut
from tracker.web.scorecards import REPORT_RESAMPLES, ScorecardQuery, one_value_each

router = APIRouter(prefix="/api", tags=["scorecard"], dependencies=[Depends(one_value_each)])


class ScorecardApiQuery(ScorecardQuery):
    resamples: int = Field(
        default=REPORT_RESAMPLES,
        ge=0,
        le=REPORT_RESAMPLES,
        description="bootstrap resamples behind the intervals (0: none)",
    )


class ReportQuery(ScorecardQuery):
    format: ReportFormat = Field(
        description="html, pdf, csv (a zip of one file per table), json, png or md"
    )
    table: str | None = Field(
        None, max_length=60, description="csv only: this one table as a CSV file (its name)"
    )


@router.get(
    "/scorecard", name="api_scorecard", response_model=dict[str, Any], responses=ERROR_RESPONSES
)
def scorecard(
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
    query: Annotated[ScorecardApiQuery, Query()],
) -> Response:
    """The scorecard of the resolved forecasts past their close date that match the filters:
    scores with bootstrap intervals, counts, Murphy and CORP decompositions, calibration tables,
    breakdowns by author, source and tag.  The shape is versioned (``schema_version``) and
    described in docs/scorecard-json.md.  Sent as kept with the card, written once
    (:meth:`~tracker.web.scorecards.ScorecardCache.json`)."""
    body = scorecards.json(session, query.scoring_filter(query.resamples))
    return Response(body, media_type="application/json")


class BinQuery(ScorecardQuery):
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=100, ge=1, le=500)


@router.get(
    "/scorecard/bins/{k}",
    name="api_scorecard_bin",
    response_model=CalibrationBinOut,
    responses={**ERROR_RESPONSES, 404: {**ERROR_RESPONSES[404], "description": "No such bin"}},
)
def calibration_bin(
    k: Annotated[int, Path(ge=0, le=99, description="the bin's number, 0 the lowest")],
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
    query: Annotated[BinQuery, Query()],
) -> CalibrationBinOut:
    """Calibration bin ``k`` of the scorecard for the filters (``n_bins`` equal bins, 0 the
    lowest; a bin past the last is a 404): its range, count, mean forecast and observed frequency
    as the scorecard's calibration table has them, and one page of its forecasts with their own
    scores, costliest (highest Brier) first."""
    filters = query.scoring_filter(0)
    found = service.calibration_bin(
        session, filters, k, scorecards.scale, page=query.page, per_page=query.per_page
    )
    return CalibrationBinOut.of(found, filters)


@router.get(
    "/reports/calibration",
    name="api_report",
    response_class=Response,
    responses={
        200: {
            "description": "The report file (Content-Disposition: attachment)",
            "content": {t.split(";")[0]: {} for t in (*MEDIA_TYPES.values(), CSV_TABLE_TYPE)},
        },
        **ERROR_RESPONSES,
    },
)
def calibration_report(
    session: SessionDep,
    _reader: ReaderDep,
    scorecards: ScorecardsDep,
    query: Annotated[ReportQuery, Query()],
) -> Response:
    """The calibration report for the filters, as a file: what `tracker report calibration` writes
    (bootstrap with 1,000 resamples)."""
    card = scorecards.get(session, query.scoring_filter(REPORT_RESAMPLES))
    data = service.report(session, card, query.format, query.table)
    return report_response(card, query.format, data, query.table)
