"""Pages of a longer list: :class:`Page` (numbered pages: the items, how many there are on all
pages, and where this page is) and :class:`KeysetPage` (read after a cursor, for long lists)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from tracker.errors import InvalidInputError

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, an empty one when nothing matches)."""
        return max(1, -(-self.total // self.per_page))


def offset_of(page: int, per_page: int) -> int:
    """The number of items before ``page``; pages and page sizes start at 1."""
    if page < 1 or per_page < 1:
        raise InvalidInputError(
            "page", f"pages and page sizes start at 1 (got page={page}, per_page={per_page})"
        )
    return (page - 1) * per_page


# --- keyset (seek) pages -------------------------------------------------------------------
#
# A long list is read in pages that start *after* the last row shown, not at an offset: the
# database seeks to the sort key in its index instead of counting the rows before it, so page
# 5,000 costs what page 1 does, and a row inserted meanwhile neither repeats nor hides a row
# on the next page.  The position is handed to the client as an opaque cursor: the last row's
# sort key as JSON, url-safe base64.  It is data, not a secret: decoding checks its shape and
# types, and a forged cursor can only move the reader to another place in a list it may read.

CursorValue = str | int | float | bool | date | datetime | None

_MAX_CURSOR = 1_000


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One page of a list read by keyset: ``next_cursor`` reads the page after it (None on the
    last page); ``total`` is how many rows match on all pages, where the list counts them."""

    items: list[T]
    next_cursor: str | None
    per_page: int
    total: int | None = None
    #: the cursor this page was read from (None: the first page)
    cursor: str | None = None
    #: the cursor of the page before this one (None: this is the first page)
    prev_cursor: str | None = None


def encode_cursor(values: tuple[CursorValue, ...]) -> str:
    """The cursor of a row whose sort key is ``values`` (dates and datetimes as ISO strings)."""
    plain = [_plain(v) for v in values]
    raw = json.dumps(plain, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, kinds: tuple[type, ...]) -> tuple[Any, ...]:
    """The sort key in ``token``, each value of the type in ``kinds`` (``type(None)`` is not a
    kind: a value may be None where the column may be).  A cursor that is not one this list
    made raises :class:`InvalidInputError` naming ``cursor``."""
    if len(token) > _MAX_CURSOR:
        raise InvalidInputError("cursor", "is too long; use the link of the page you were on")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError("cursor", "is not a page position this list made") from exc
    if not isinstance(plain, list) or len(plain) != len(kinds):
        raise InvalidInputError("cursor", "is not a page position this list made")
    return tuple(_typed(value, kind) for value, kind in zip(plain, kinds, strict=True))


def _plain(value: CursorValue) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _typed(value: Any, kind: type) -> Any:
    if value is None:
        return None
    try:
        if kind is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if kind is date and isinstance(value, str):
            return date.fromisoformat(value)
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind in (str, int, bool) and type(value) is kind:
            return value
    except ValueError as exc:
        raise InvalidInputError("cursor", "is not a page position this list made") from exc
    raise InvalidInputError("cursor", "is not a page position this list made")
