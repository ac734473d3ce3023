"""Reads of the articles page: the feeds an article search can be narrowed to."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.domain import registry
from tracker.models import Feed


def feed_choices(session: Session, most: int | None = None) -> list[tuple[int, str]] | None:
    """Every feed's id and name (its title, else its URL), by name: the articles page's feed
    filter; None when there are more than ``most`` (2,000 options made the page 145 KB: the
    filter is then the feed's number, which each hit's feed link fills in).  ``most``: default
    :data:`~tracker.domain.registry.PICK_LIST_MAX`."""
    most = registry.PICK_LIST_MAX if most is None else most
    if session.execute(select(func.count()).select_from(Feed)).scalar_one() > most:
        return None
    rows = session.execute(select(col(Feed.id), col(Feed.title), col(Feed.url)))
    return sorted(((row[0], row[1] or row[2]) for row in rows), key=lambda c: c[1].casefold())
