"""``/api/sources``: draft forecasts from an article, and save a source's forecasts (analysts
only), the web's "New source" page for scripts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tracker import service
from tracker.errors import ForecastImportError
from tracker.web.deps import AnalystDep, ScorecardsDep, SessionDep, SettingsDep
from tracker.web.schemas import WRITE_RESPONSES, ErrorOut
from tracker.web.source_schemas import (
    DraftOut,
    ExtractIn,
    SourceCreatedOut,
    SourceIn,
    problem_detail,
)

router = APIRouter(prefix="/api/sources", tags=["sources"])

SOURCE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **{k: v for k, v in WRITE_RESPONSES.items() if k != 404},
    409: {"model": ErrorOut, "description": "The key asked for is taken"},
    422: {
        "description": "The request does not fit the schema, or its forecasts cannot be saved "
        "as they are (a quote not in the text, an unknown term, an id of another source...): "
        "every problem, each located in the body (`loc`) with its forecast (`ctx`)"
    },
}
EXTRACT_RESPONSES: dict[int | str, dict[str, Any]] = {
    k: v for k, v in WRITE_RESPONSES.items() if k not in (404, 409)
}


@router.post(
    "",
    name="api_source_save",
    response_model=SourceCreatedOut,
    status_code=201,
    responses=SOURCE_RESPONSES,
)
def save_source(
    body: SourceIn,
    session: SessionDep,
    settings: SettingsDep,
    scorecards: ScorecardsDep,
    analyst: AnalystDep,
) -> Any:
    """Save a source and its forecasts: the forecast file ``<key>.yaml`` and its text
    ``sources/<key>.txt`` are written into TRACKER_FORECASTS_DIR and imported, all or nothing,
    with the validation of `tracker forecasts import`."""
    try:
        saved = service.save_source(
            session,
            settings,
            scorecards.scale,
            meta=body.source.meta(),
            text=body.text,
            forecasts=[forecast.candidate(body.text) for forecast in body.forecasts],
            actor=analyst.name,
            key=body.key,
        )
    except ForecastImportError as exc:
        ids = [forecast.id for forecast in body.forecasts]
        return JSONResponse({"detail": problem_detail(exc.problems, ids)}, status_code=422)
    folder = settings.resolved_forecasts_dir()
    return SourceCreatedOut(
        key=saved.key,
        file=saved.file.relative_to(folder).as_posix(),
        text_file=saved.text_file.relative_to(folder).as_posix(),
        forecasts=saved.forecast_ids,
    )


@router.post(
    "/extract", name="api_source_extract", response_model=DraftOut, responses=EXTRACT_RESPONSES
)
def extract(
    body: ExtractIn,
    session: SessionDep,
    settings: SettingsDep,
    scorecards: ScorecardsDep,
    _analyst: AnalystDep,
) -> DraftOut:
    """The predictions found in an article (its text; or, without a text, the page at
    ``url``), each a draft forecast to edit and send back to ``POST /api/sources``.  Nothing is
    saved."""
    draft = service.draft_source(
        session, settings, scorecards.scale, text=body.text, url=body.url, meta=body.source.meta()
    )
    return DraftOut.of(draft)
