"""The scorecard as the web app serves it: filters from the query string, and a cache.

Scores are computed at query time (nothing is stored), by :func:`tracker.service.scorecard`
in SQL and numpy.  Most of that time is the bootstrap and the CORP band, and nothing in them
changes until the data does, so a computed :class:`~tracker.scoring.Scorecard` is kept per
filter together with a *fingerprint* of the database (:func:`tracker.service.scores_fingerprint`):
how many committed transactions wrote the audit log (one row, counted at each commit).  Every
status change, resolution, reopening and import writes an audit entry, so a changed fingerprint
means the card may be stale and it is computed again.  The day is part
of the key too (only forecasts past their close date *as of today* are scored).

Concurrent requests for the same filter wait for the first one's computation instead of all
computing it (per-key lock).  The cache is per process and bounded (least recently used out).

The authors' list, each author's record (peer, relative and head-to-head scores, ~100 ms
each at 10,000 forecasts), each author's forecasts with their own scores and each head to head
are kept the same way, by day, under :func:`tracker.service.comparison_fingerprint`: the
scores' fingerprint and the baselines' points, which a market pull changes without an audit
entry.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field
from sqlmodel import Session

from tracker import service
from tracker.clock import today
from tracker.domain.registry import ForecastRow
from tracker.domain.scale import EstimativeScale
from tracker.scoring import HeadToHead, OwnScore, Scorecard, ScorecardFilter
from tracker.service import AuthorRecord, AuthorRow
from tracker.web.schemas import BlankIsUnset, Text

#: bootstrap resamples behind the page's intervals (the CLI and the downloads use 1,000): enough
#: for intervals to two decimals, and a fifth of the cost when the cache is cold
PAGE_RESAMPLES = 200
REPORT_RESAMPLES = 1000
#: far ends for a date range given on one side only
EARLIEST, LATEST = date(1900, 1, 1), date(9999, 12, 30)


def _iso_day(value: Any) -> Any:
    """A day is written YYYY-MM-DD (pydantic alone would also read a number as a timestamp)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]


class ScorecardQuery(BaseModel):
    """Which resolved forecasts the scorecard covers (query string of the page, the API, the
    exports)."""

    author: Text | None = Field(
        default=None, description="author name, or part of it (case-insensitive)"
    )
    exact_author: bool = Field(
        default=False,
        description="the author name as a whole (an author's page), not part of one",
    )
    source: Text | None = Field(default=None, description="source key (the forecast file's name)")
    tag: Text | None = Field(default=None, description="only forecasts with this tag")
    resolved_from: Day | None = Field(
        default=None, description="only forecasts resolved on or after this day"
    )
    resolved_to: Day | None = Field(
        default=None, description="only forecasts resolved on or before this day"
    )
    n_bins: int = Field(
        default=10, ge=2, le=100, description="probability bins of the calibration table"
    )

    def scoring_filter(self, resamples: int) -> ScorecardFilter:
        """The filter of today's scorecard (the day is part of the cache key: forecasts become
        scorable at midnight); a range given backwards is a ScoringError (400)."""
        between = None
        if self.resolved_from or self.resolved_to:
            between = (self.resolved_from or EARLIEST, self.resolved_to or LATEST)
        return ScorecardFilter(
            author=self.author or None,
            exact_author=self.exact_author and bool(self.author),
            source=self.source or None,
            tag=self.tag or None,
            resolved_between=between,
            as_of=today(),
            n_bins=self.n_bins,
            resamples=resamples,
        )

    def params(self) -> dict[str, str]:
        """The filters set, as query parameters (for links that keep them)."""
        return {
            k: str(v)
            for k, v in self.model_dump(mode="json", exclude_defaults=True).items()
            if v not in (None, "")
        }


def one_value_each(request: Request) -> None:
    """A filter given twice (``?tag=a&tag=b``) is refused (422) rather than read as its last
    value: which one was meant cannot be known."""
    seen: set[str] = set()
    for key, _ in request.query_params.multi_items():
        if key in seen:
            given = request.query_params.getlist(key)
            problem = {"type": "repeated", "loc": ("query", key), "msg": "give it once"}
            raise RequestValidationError([{**problem, "input": given}])
        seen.add(key)


class ScorecardForm(BlankIsUnset, ScorecardQuery):
    """The same, as the page's filter form sends it: an empty field means "any"."""


#: an author's forecasts, and the own scores of those scored, by forecast id
AuthorForecasts = tuple[list[ForecastRow], dict[str, OwnScore]]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    fingerprint: tuple[object, ...]
    value: V


class FingerprintCache(Generic[K, V]):
    """Computed values by key, each valid while the fingerprint it was computed under holds;
    one computation per key at a time (per-key lock), least recently used out past
    ``maxsize``."""

    def __init__(self, maxsize: int = 64) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._locks: dict[K, threading.Lock] = {}
        self._guard = threading.Lock()
        self.computed = 0  # how many values were computed (the tests and the benchmark read it)

    def get(self, key: K, fingerprint: tuple[object, ...], compute: Callable[[], V]) -> V:
        """The value for ``key``: from the cache while ``fingerprint`` holds, else computed."""
        with self._lock_for(key):
            with self._guard:
                entry = self._entries.get(key)
                if entry is not None and entry.fingerprint == fingerprint:
                    self._entries.move_to_end(key)
                    return entry.value
            value = compute()
            with self._guard:
                self.computed += 1
                self._entries[key] = _Entry(fingerprint, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.maxsize:
                    old, _ = self._entries.popitem(last=False)
                    self._locks.pop(old, None)
            return value

    def _lock_for(self, key: K) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def _once_per_transaction(session: Session, key: str, compute: Callable[[], V]) -> V:
    """``compute()``, once per transaction of ``session``: a page asks several caches, and each
    fingerprint is a query (a row by its key, the baselines), a round trip each time."""
    transaction = session.get_transaction()
    memo = session.info.get(key)
    if memo is not None and transaction is not None and memo[0] is transaction:
        return memo[1]  # type: ignore[no-any-return]
    value = compute()
    session.info[key] = (session.get_transaction(), value)
    return value


def _scores_fingerprint(session: Session) -> tuple[object, ...]:
    """:func:`tracker.service.scores_fingerprint`, once per request."""
    return _once_per_transaction(
        session, "tracker.web.scores_fingerprint", lambda: service.scores_fingerprint(session)
    )


def _comparison_fingerprint(session: Session) -> tuple[object, ...]:
    """:func:`tracker.service.comparison_fingerprint`, once per request (the scores' part shared
    with the scorecard's): an author's page asks for the record, the forecasts, the authors'
    list and a scorecard."""
    return _once_per_transaction(
        session,
        "tracker.web.comparison_fingerprint",
        lambda: (*_scores_fingerprint(session), *service.baseline_points_fingerprint(session)),
    )


class ScorecardCache:
    """Computed scorecards by filter, valid while the database's fingerprint holds; and the
    authors' list, author records, authors' forecasts and head to heads, drawn from the same
    scores (and the baselines' points: :func:`tracker.service.comparison_fingerprint`), by day
    (and author)."""

    def __init__(self, scale: EstimativeScale | None = None, maxsize: int = 64) -> None:
        self.scale = scale or EstimativeScale.builtin()
        self.maxsize = maxsize
        self._cards: FingerprintCache[ScorecardFilter, Scorecard] = FingerprintCache(maxsize)
        self._json: FingerprintCache[ScorecardFilter, bytes] = FingerprintCache(maxsize)
        self._records: FingerprintCache[tuple[str, date, int], AuthorRecord] = FingerprintCache(
            maxsize
        )
        self._authors: FingerprintCache[date, list[AuthorRow]] = FingerprintCache(4)
        self._forecasts: FingerprintCache[tuple[str, date], AuthorForecasts] = FingerprintCache(
            maxsize
        )
        self._duels: FingerprintCache[tuple[str, str, date, int], HeadToHead] = FingerprintCache(
            maxsize
        )

    @property
    def computed(self) -> int:
        """How many cards were computed (the tests and the benchmark read it)."""
        return self._cards.computed

    def get(self, session: Session, filters: ScorecardFilter) -> Scorecard:
        """The scorecard for ``filters``: from the cache while the fingerprint holds, else
        computed."""
        return self._cards.get(
            filters,
            _scores_fingerprint(session),
            lambda: service.scorecard(session, filters, self.scale),
        )

    def json(self, session: Session, filters: ScorecardFilter) -> bytes:
        """:meth:`get`'s card as the API's JSON, written once per card: at 100,000 forecasts it
        is 770 KB, and checking and writing it on every request took longer than the rest of
        the request."""
        return self._json.get(
            filters,
            _scores_fingerprint(session),
            lambda: bytes(JSONResponse(self.get(session, filters).to_json()).body),
        )

    def author_record(self, session: Session, name: str, resamples: int) -> AuthorRecord:
        """Today's :func:`tracker.service.author_record` of ``name``."""
        day = today()
        return self._records.get(
            (name, day, resamples),
            _comparison_fingerprint(session),
            lambda: service.author_record(session, name, as_of=day, resamples=resamples),
        )

    def authors(self, session: Session) -> list[AuthorRow]:
        """Today's :func:`tracker.service.list_authors`."""
        day = today()
        return self._authors.get(
            day,
            _comparison_fingerprint(session),
            lambda: service.list_authors(session, as_of=day),
        )

    def author_forecasts(self, session: Session, name: str) -> AuthorForecasts:
        """Today's forecasts of ``name`` (:func:`tracker.service.author_forecasts`) and the own
        scores of those scored (:func:`tracker.service.own_scores`)."""
        day = today()

        def compute() -> AuthorForecasts:
            rows = service.author_forecasts(session, name, today=day)
            return rows, service.own_scores(session, [row.id for row in rows])

        return self._forecasts.get((name, day), _comparison_fingerprint(session), compute)

    def head_to_head(self, session: Session, a: str, b: str, resamples: int) -> HeadToHead:
        """Today's :func:`tracker.service.compare_forecasters` of ``a`` and ``b``."""
        day = today()
        return self._duels.get(
            (a, b, day, resamples),
            _comparison_fingerprint(session),
            lambda: service.compare_forecasters(session, a, b, as_of=day, resamples=resamples),
        )
