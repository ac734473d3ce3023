"""The articles pages: a search (or the newest articles) with filters and cursor pages; one
article with the forecasts it is evidence for and, for analysts, "Propose as evidence for...";
and detaching evidence attached by hand from a forecast's page.

Article texts come from other people's servers: the templates escape them, snippets are marked
from their structured parts (never HTML), and links pass through ``safe_url``.  Everything works
without JavaScript: finding a forecast is a GET, attaching is a POST form per candidate.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from tracker import service
from tracker.errors import InvalidInputError
from tracker.web.deps import AnalystDep, ReaderDep, SessionDep
from tracker.web.schemas import (
    MAX_ID,
    PRINTABLE,
    ArticleListForm,
    ArticlePageOut,
    ForecastHitOut,
    SearchText,
)
from tracker.web.templating import render

router = APIRouter(include_in_schema=False)
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: candidates shown by the "Propose as evidence for..." search
CANDIDATES = 10
#: the cursors of earlier pages kept for the Previous link (a search reads forward only)
TRAIL = 30
#: separates the cursors of the trail, and stands for the first page in it (neither is in the
#: url-safe base64 of a cursor)
TRAIL_SEP = "."
FIRST_PAGE = "~"


def _links(form: ArticleListForm, next_cursor: str | None) -> dict[str, Any]:
    """The query strings of the First, Previous and Next links: the filters, a cursor, and the
    trail of the cursors of the pages before it."""
    base = form.model_dump(mode="json", exclude={"cursor", "trail"}, exclude_defaults=True)
    trail = form.trail.split(TRAIL_SEP) if form.trail else []
    links: dict[str, Any] = {"first": base if form.cursor else None, "next": None, "prev": None}
    if next_cursor:
        behind = [*trail, form.cursor or FIRST_PAGE][-TRAIL:]
        links["next"] = {**base, "cursor": next_cursor, "trail": TRAIL_SEP.join(behind)}
    if form.cursor and trail:
        before, rest = trail[-1], trail[:-1]
        links["prev"] = {**base, **({} if before == FIRST_PAGE else {"cursor": before})}
        if rest:
            links["prev"]["trail"] = TRAIL_SEP.join(rest)
    return links


@router.get("/articles", name="articles")
def articles_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    form: Annotated[ArticleListForm, Query()],
) -> Response:
    """The search box and filters, and one page of what they find (newest articles without q).
    A search the syntax cannot take shows its one-line message above the box, with a 400."""
    error, found = None, None
    try:
        found = service.search_articles(
            session, form.query(), cursor=form.cursor, per_page=form.per_page
        )
    except InvalidInputError as exc:
        error = str(exc)
    return render(
        request,
        "articles/list.html",
        {
            "form": form,
            "error": error,
            "page": ArticlePageOut.of(found) if found else None,
            "feeds": service.feed_choices(session),
            "links": _links(form, found.next_cursor if found else None),
        },
        status_code=400 if error else 200,
    )


class CandidateQuery(BaseModel):
    fq: SearchText | None = Field(default=None, description="the forecast search")


def _candidates(session: Session, text: str | None) -> tuple[list[ForecastHitOut], str | None]:
    if not text or not text.strip():
        return [], None
    try:
        found = service.search_forecast_text(session, text, None, per_page=CANDIDATES)
    except InvalidInputError as exc:
        return [], str(exc)
    return [ForecastHitOut.of(hit) for hit in found.items], None


@router.get("/articles/{article_id}", name="article")
def article_page(
    request: Request,
    article_id: ArticleId,
    session: SessionDep,
    reader: ReaderDep,
    query: Annotated[CandidateQuery, Query()],
) -> Response:
    """The article, the forecasts it is evidence for, and (for a signed-in analyst) the forecasts
    a search finds, each with a form to attach the article to it."""
    view = service.article_view(session, article_id)
    analyst = reader is not None and reader.via == "session"
    candidates, error = _candidates(session, query.fq) if analyst else ([], None)
    return render(
        request,
        "articles/page.html",
        {
            "view": view,
            "a": view.article,
            "fq": query.fq or "",
            "candidates": candidates,
            "error": error,
            "can_attach": analyst,
        },
        status_code=400 if error else 200,
    )


class AttachForm(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the form also carries csrf_token

    forecast_id: str = Field(max_length=200, pattern=PRINTABLE)
    side: str = Field(default="", max_length=10)
    note: str = Field(default="", max_length=2000, pattern=PRINTABLE)


@router.post("/articles/{article_id}/attach", name="article_attach")
def attach(
    request: Request,
    article_id: ArticleId,
    form: Annotated[AttachForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    """Attach the article to the chosen forecast; on to the forecast's evidence list."""
    done = service.attach_evidence(
        session,
        article_id=article_id,
        forecast_id=form.forecast_id,
        side=form.side,
        actor=analyst.name,
        note=form.note,
    )
    url = request.app.url_path_for("forecast", forecast_id=form.forecast_id)
    notice = "attached" if done.counts else "attached_outside"
    return RedirectResponse(f"{url}?done={notice}#evidence", status_code=303)


class DetachForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    note: str = Field(default="", max_length=2000, pattern=PRINTABLE)


@router.post("/forecasts/{forecast_id}/evidence/{evidence_id}/detach", name="evidence_detach")
def detach(
    request: Request,
    forecast_id: Annotated[str, Path(max_length=200, pattern=PRINTABLE)],
    evidence_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    form: Annotated[DetachForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    """Detach evidence attached by hand, from the forecast's page."""
    service.detach_evidence(
        session,
        evidence_id=evidence_id,
        actor=analyst.name,
        forecast_id=forecast_id,
        note=form.note or None,
    )
    url = request.app.url_path_for("forecast", forecast_id=forecast_id)
    return RedirectResponse(f"{url}?done=detached#evidence", status_code=303)
