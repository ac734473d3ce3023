"""Keyset (seek) reads of a long list, shared by every list that pages by cursor.

A list declares its sort key as :class:`Key` parts (the last one unique: a row's id), and
:func:`read_page` reads the page after (or before) a cursor: ``WHERE`` the row sorts after the
cursor's key, ``ORDER BY`` the key, ``LIMIT`` one more than a page (to learn whether another
page follows).  The database seeks to the key in its index: page 5,000 costs what page 1 does,
and a row inserted meanwhile neither repeats nor hides a row of the next page.

A cursor is :func:`tracker.paging.encode_cursor` of a direction mark and the key of the row it
points at: ``">"`` reads the rows after that row (the next page), ``"<"`` the rows before it
(the previous page, read in reverse order and turned round).  NULLs sort last in either
direction, on both engines (SQLite puts them first and PostgreSQL last unless told).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import and_, false, or_, tuple_
from sqlalchemy.orm import Session

from tracker.errors import InvalidInputError
from tracker.paging import CursorValue, KeysetPage, decode_cursor, encode_cursor

R = TypeVar("R")

_NEXT, _PREV = ">", "<"
#: the most rows a page may hold (a bigger per_page is refused, not silently cut)
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Key:
    """One part of a list's sort key: a column or expression, the Python type of its value (for
    decoding a cursor), its direction, and whether it may be NULL."""

    expr: Any
    kind: type
    descending: bool = False
    nullable: bool = False


@dataclass(frozen=True)
class Position:
    """Where a cursor points: the key of a row, and whether to read after it or before it."""

    values: tuple[Any, ...]
    before: bool


def parse_cursor(cursor: str | None, keys: Sequence[Key]) -> Position | None:
    """The position in ``cursor`` (None: the first page).  A cursor of another list, or one
    forged, is an InvalidInputError naming ``cursor``."""
    if not cursor:
        return None
    mark, *values = decode_cursor(cursor, (str, *(k.kind for k in keys)))
    if mark not in (_NEXT, _PREV):
        raise InvalidInputError("cursor", "is not a page position this list made")
    for key, value in zip(keys, values, strict=True):
        if value is None and not key.nullable:
            raise InvalidInputError("cursor", "is not a page position this list made")
    return Position(tuple(values), before=mark == _PREV)


def cursor_at(values: tuple[CursorValue, ...], *, before: bool = False) -> str:
    """The cursor reading the rows after (``before``: before) the row whose key is ``values``."""
    return encode_cursor((_PREV if before else _NEXT, *values))


def order_by(keys: Sequence[Key], *, reverse: bool = False) -> list[Any]:
    """The ``ORDER BY`` of ``keys`` (``reverse``: the other way round, NULLs then first)."""
    clauses = []
    for key in keys:
        clause = key.expr.desc() if key.descending != reverse else key.expr.asc()
        if key.nullable:
            clause = clause.nulls_first() if reverse else clause.nulls_last()
        clauses.append(clause)
    return clauses


def beyond(keys: Sequence[Key], values: Sequence[Any], *, reverse: bool = False) -> Any:
    """The condition "sorts strictly after ``values``" in the order of ``keys`` (``reverse``:
    strictly before).  One row-value comparison where every part runs the same way and none
    may be NULL (an index range on both engines); else the expanded form
    ``(a > x) OR (a = x AND (b > y OR (b = y AND ...)))``, led by ``a >= x`` so that the first
    column still bounds an index scan."""
    directions = {k.descending for k in keys}
    if len(directions) == 1 and not any(k.nullable for k in keys):
        columns, bounds = tuple_(*(k.expr for k in keys)), tuple_(*values)
        return columns < bounds if directions.pop() != reverse else columns > bounds
    condition: Any = false()
    for key, value in reversed(list(zip(keys, values, strict=True))):
        after, equal = _part(key, value, reverse=reverse)
        condition = or_(after, and_(equal, condition))
    first, value = keys[0], values[0]
    if value is not None and not first.nullable:
        lead = first.expr <= value if first.descending != reverse else first.expr >= value
        condition = and_(lead, condition)
    return condition


def _part(key: Key, value: Any, *, reverse: bool) -> tuple[Any, Any]:
    """(this part sorts strictly after ``value``, this part equals ``value``), NULLs last
    (``reverse``: first, since the order is turned round)."""
    expr = key.expr
    if value is None:  # the cursor's row has NULL here
        return (expr.is_not(None) if reverse else false()), expr.is_(None)
    after = expr < value if key.descending != reverse else expr > value
    if key.nullable and not reverse:
        after = or_(after, expr.is_(None))
    return after, expr == value


def check_per_page(per_page: int) -> int:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInputError(
            "per_page", f"must be between 1 and {MAX_PER_PAGE} (got {per_page})"
        )
    return per_page


def read_page(
    session: Session,
    query: Any,
    keys: Sequence[Key],
    key_of: Callable[[Any], tuple[CursorValue, ...]],
    *,
    cursor: str | None,
    per_page: int,
) -> tuple[list[Any], str | None, str | None]:
    """The rows of ``query`` (a ``select`` with its filters, no order) on the page at
    ``cursor``: (rows, next cursor, previous cursor); ``key_of`` gives a row's key.  A
    previous page that reaches the start of the list is the first page, full."""
    check_per_page(per_page)
    position = parse_cursor(cursor, keys)
    if position is not None and position.before:
        rows = _read(session, query, keys, position, per_page, reverse=True)
        if len(rows) > per_page:  # more rows before these
            page = rows[:per_page][::-1]
            return page, cursor_at(key_of(page[-1])), cursor_at(key_of(page[0]), before=True)
        position = None  # the start of the list: the first page, whole
    rows = _read(session, query, keys, position, per_page, reverse=False)
    page = rows[:per_page]
    following = cursor_at(key_of(page[-1])) if len(rows) > per_page else None
    if position is None:
        return page, following, None
    earlier = cursor_at(key_of(page[0]) if page else position.values, before=True)
    return page, following, earlier


def _read(
    session: Session,
    query: Any,
    keys: Sequence[Key],
    position: Position | None,
    per_page: int,
    *,
    reverse: bool,
) -> list[Any]:
    if position is not None:
        query = query.where(beyond(keys, position.values, reverse=reverse))
    query = query.order_by(*order_by(keys, reverse=reverse)).limit(per_page + 1)
    return list(session.execute(query).all())


def keyset_page(
    items: list[R],
    *,
    per_page: int,
    cursor: str | None,
    next_cursor: str | None,
    prev_cursor: str | None,
    total: int | None = None,
) -> KeysetPage[R]:
    """A :class:`KeysetPage` of ``items`` (the presented rows of :func:`read_page`'s)."""
    return KeysetPage(items, next_cursor, per_page, total, cursor, prev_cursor)
