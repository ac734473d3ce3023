"""One page of a longer list, as every list that pages returns it (forecasts, evidence, the
review queue): the items, how many there are on all pages, and where this page is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

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
