"""``/api/feeds``: the feeds and their health; add, enable, disable, remove (analysts only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from tracker import service
from tracker.web.deps import AnalystDep, ReaderDep, SessionDep, SettingsDep
from tracker.web.schemas import (
    ERROR_RESPONSES,
    FEED_RESPONSES,
    MAX_ID,
    FeedDisableIn,
    FeedFullTextIn,
    FeedIn,
    FeedOut,
    FeedPageOut,
    FeedRemovedOut,
    FeedsQuery,
)

router = APIRouter(prefix="/api/feeds", tags=["feeds"])
FeedId = Annotated[int, Path(ge=1, le=MAX_ID, description="the feed's id")]


@router.get("", name="api_feeds", response_model=FeedPageOut, responses=ERROR_RESPONSES)
def list_feeds(
    session: SessionDep, _reader: ReaderDep, query: Annotated[FeedsQuery, Query()]
) -> FeedPageOut:
    """The feeds a page at a time (``next_cursor``), failing ones first (most failures first),
    then disabled ones, then the rest; with how many there are, failing and disabled."""
    found = service.feeds_page(session, cursor=query.cursor, per_page=query.per_page)
    return FeedPageOut.of(found, query.old_page_note())


@router.post(
    "", name="api_feed_add", response_model=FeedOut, status_code=201, responses=FEED_RESPONSES
)
def add_feed(
    body: FeedIn, session: SessionDep, settings: SettingsDep, analyst: AnalystDep
) -> FeedOut:
    """Add a feed (http or https; it is polled at once).  The address is checked again at every
    poll: private, loopback and link-local addresses are refused unless
    TRACKER_ALLOW_PRIVATE_FEEDS is set."""
    added = service.add_feed(
        session,
        body.url,
        interval=body.interval,
        title=body.title,
        full_text=body.full_text,
        publisher=body.publisher or None,
        default_interval=settings.poll_interval,
        actor=analyst.name,
    )
    return FeedOut.of(added)


@router.post(
    "/{feed_id}/enable", name="api_feed_enable", response_model=FeedOut, responses=FEED_RESPONSES
)
def enable_feed(feed_id: FeedId, session: SessionDep, analyst: AnalystDep) -> FeedOut:
    """Resume polling (also after HTTP 410 Gone); the feed is due at once."""
    return FeedOut.of(service.enable_feed(session, feed_id, actor=analyst.name))


@router.post(
    "/{feed_id}/disable",
    name="api_feed_disable",
    response_model=FeedOut,
    responses=FEED_RESPONSES,
)
def disable_feed(
    feed_id: FeedId, body: FeedDisableIn, session: SessionDep, analyst: AnalystDep
) -> FeedOut:
    """Stop polling a feed until it is enabled again."""
    return FeedOut.of(
        service.disable_feed(session, feed_id, reason=body.reason, actor=analyst.name)
    )


@router.post(
    "/{feed_id}/full-text",
    name="api_feed_full_text",
    response_model=FeedOut,
    responses=FEED_RESPONSES,
)
def set_full_text(
    feed_id: FeedId, body: FeedFullTextIn, session: SessionDep, analyst: AnalystDep
) -> FeedOut:
    """Fetch (or stop fetching) each new article's page for its full text."""
    return FeedOut.of(service.set_full_text(session, feed_id, body.full_text, actor=analyst.name))


@router.delete(
    "/{feed_id}", name="api_feed_remove", response_model=FeedRemovedOut, responses=FEED_RESPONSES
)
def remove_feed(feed_id: FeedId, session: SessionDep, analyst: AnalystDep) -> FeedRemovedOut:
    """Remove a feed; its articles are kept."""
    kept = service.remove_feed(session, feed_id, actor=analyst.name)
    return FeedRemovedOut(id=feed_id, articles_kept=kept)
