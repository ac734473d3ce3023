"""The feeds page: each feed's health, failing ones first; add, enable, disable and remove forms.

Feed titles and error texts come from other people's servers: the template escapes them, and
the only links are the feed's own URL and its site's, each through ``safe_url``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from tracker import service
from tracker.errors import InvalidInputError
from tracker.settings import Settings
from tracker.web.deps import AnalystDep, ReaderDep, SessionDep, SettingsDep
from tracker.web.schemas import MAX_ID, PRINTABLE, FeedOut
from tracker.web.templating import render

router = APIRouter(include_in_schema=False)
FeedId = Annotated[int, Path(ge=1, le=MAX_ID)]
Done = Literal["added", "enabled", "disabled", "removed", "full_text_on", "full_text_off"]
NOTICES = {
    "added": "The feed is added; it will be polled shortly.",
    "full_text_on": "Each new article's page of this feed will be fetched for its full text.",
    "full_text_off": "Article pages of this feed are no longer fetched.",
    "enabled": "The feed is enabled; it is due now.",
    "disabled": "The feed is disabled.",
    "removed": "The feed is removed; its articles are kept.",
}


class AddFeedForm(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the form also carries csrf_token

    url: str = Field(max_length=2000, pattern=PRINTABLE)
    title: str = Field(default="", max_length=500, pattern=PRINTABLE)
    interval: str = Field(default="", max_length=20, pattern=PRINTABLE)
    full_text: bool = False
    publisher: str = Field(default="", max_length=255, pattern=PRINTABLE)


class FullTextForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    full_text: bool = False


class DisableFeedForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: str = Field(default="", max_length=2000, pattern=PRINTABLE)


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    *,
    notice: str | None = None,
    error: str | None = None,
    form: AddFeedForm | None = None,
    status_code: int = 200,
    cursor: str | None = None,
) -> Response:
    found = service.feeds_page(session, cursor=cursor)
    return render(
        request,
        "feeds/page.html",
        {
            "feeds": [FeedOut.of(health) for health in found.page.items],
            "page": found.page,
            "notice": notice,
            "error": error,
            "form": form,
            "default_interval": int(settings.poll_interval.total_seconds()),
            "failing": found.failing,
            "disabled": found.disabled,
        },
        status_code=status_code,
    )


@router.get("/feeds", name="feeds")
def feeds_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    done: Annotated[Done | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Response:
    """The feeds a page at a time (``cursor``), failing ones first."""
    return _page(request, session, settings, notice=NOTICES.get(done or ""), cursor=cursor)


def _back(request: Request, done: str) -> Response:
    return RedirectResponse(request.app.url_path_for("feeds") + f"?done={done}", status_code=303)


@router.post("/feeds", name="feed_add")
def add_feed(
    request: Request,
    form: Annotated[AddFeedForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    analyst: AnalystDep,
) -> Response:
    try:
        service.add_feed(
            session,
            form.url,
            title=form.title.strip() or None,
            interval=form.interval.strip() or None,
            full_text=form.full_text,
            publisher=form.publisher.strip() or None,
            default_interval=settings.poll_interval,
            actor=analyst.name,
        )
    except InvalidInputError as exc:  # not an error page: the form again, with the message
        return _page(request, session, settings, error=str(exc), form=form, status_code=400)
    return _back(request, "added")


@router.post("/feeds/{feed_id}/enable", name="feed_enable")
def enable_feed(
    request: Request, feed_id: FeedId, session: SessionDep, analyst: AnalystDep
) -> Response:
    service.enable_feed(session, feed_id, actor=analyst.name)
    return _back(request, "enabled")


@router.post("/feeds/{feed_id}/disable", name="feed_disable")
def disable_feed(
    request: Request,
    feed_id: FeedId,
    form: Annotated[DisableFeedForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    service.disable_feed(session, feed_id, reason=form.reason.strip() or None, actor=analyst.name)
    return _back(request, "disabled")


@router.post("/feeds/{feed_id}/full-text", name="feed_full_text")
def set_full_text(
    request: Request,
    feed_id: FeedId,
    form: Annotated[FullTextForm, Form()],
    session: SessionDep,
    analyst: AnalystDep,
) -> Response:
    service.set_full_text(session, feed_id, form.full_text, actor=analyst.name)
    return _back(request, "full_text_on" if form.full_text else "full_text_off")


@router.post("/feeds/{feed_id}/remove", name="feed_remove")
def remove_feed(
    request: Request, feed_id: FeedId, session: SessionDep, analyst: AnalystDep
) -> Response:
    service.remove_feed(session, feed_id, actor=analyst.name)
    return _back(request, "removed")
