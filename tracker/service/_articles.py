"""Reads of the articles page: the feeds an article search can be narrowed to."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.models import Feed


def feed_choices(session: Session) -> list[tuple[int, str]]:
    """Every feed's id and name (its title, else its URL), by name: the articles page's feed
    filter.  Two columns of the feed table, no counts: the page stays cheap with thousands of
    feeds."""
    rows = session.execute(select(col(Feed.id), col(Feed.title), col(Feed.url)))
    return sorted(((row[0], row[1] or row[2]) for row in rows), key=lambda c: c[1].casefold())
