"""Comparing forecasters: the authors' list, an author's record, two forecasters head to head,
and the baselines (markets, crowds) put beside an author.

Every comparison is drawn from the resolved forecasts past their close date (the scorecard's
rule), loaded with :func:`tracker.scoring.load_scored`; an author's record and a head to head
read only the forecasts on the author's questions, all that those scores depend on.  A baseline
enters a comparison with one author only, *at the author's dates*: each of the author's
statements on a question is paired with the baseline's standing value that day
(``baseline_at``), and the pair is scored over the same periods.  So "was Trenin better than
the market?" compares what each said on the same days, not the market's later, better-informed
prices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from tracker.baselines import BaselineSeries
from tracker.clock import today as utc_today
from tracker.domain import registry
from tracker.domain.registry import ForecastFilter, ForecastRow
from tracker.errors import InvalidInputError, NotFoundError
from tracker.models import Baseline, Forecast, Source, Status
from tracker.scoring import (
    MIN_JUDGED,
    AuthorComparison,
    Comparison,
    HeadToHead,
    Interval,
    ScorecardFilter,
    ScoringData,
    compare,
    forecast_brier,
    head_to_head,
    load_scored,
    mean_intervals,
)
from tracker.service._baselines import baseline_points
from tracker.service._scoring import scores_fingerprint

#: how a baseline is named beside the authors (``tracker compare Trenin "market:Manifold"``)
BASELINE_PREFIX = "market:"


@dataclass(frozen=True)
class AuthorRow:
    """One author in the authors' list: counts, mean Brier with its interval, comparative
    scores where they share questions.  ``too_few``: fewer than :data:`MIN_JUDGED` scored."""

    name: str
    forecasts: int
    resolved: int
    scored: int
    brier: float | None
    brier_interval: Interval | None
    too_few: bool
    comparison: AuthorComparison | None

    def to_json(self) -> dict[str, Any]:
        interval = self.brier_interval
        return {
            "name": self.name,
            "forecasts": self.forecasts,
            "resolved": self.resolved,
            "scored": self.scored,
            "brier": self.brier,
            "brier_interval": None if interval is None else [interval.low, interval.high],
            "too_few": self.too_few,
            "min_judged": MIN_JUDGED,
            "peer": self.comparison.to_json()["peer"] if self.comparison else None,
            "relative_brier": (
                self.comparison.to_json()["relative_brier"] if self.comparison else None
            ),
        }


def _counts(session: Session, author: str | None = None) -> dict[str, tuple[int, int]]:
    """(forecasts, resolved yes/no) by author (of one author)."""
    resolved = func.count(
        case((col(Forecast.status) == Status.RESOLVED.value, col(Forecast.outcome)))
    )
    query = (
        select(col(Source.author), func.count(col(Forecast.id)), resolved)
        .join(Source, col(Source.id) == col(Forecast.source_id))
        .group_by(col(Source.author))
    )
    if author is not None:
        query = query.where(col(Source.author) == author)
    return {name: (int(n), int(r or 0)) for name, n, r in session.execute(query)}


def _scored(session: Session, as_of: date | None, author: str | None = None) -> ScoringData:
    filters = ScorecardFilter(as_of=as_of, author=author, exact_author=author is not None)
    return load_scored(session, filters)


#: up to this many questions, an author's peers are read by question id (one bound parameter
#: each); beyond it every scored forecast is read
NEIGHBOURS_BY_ID = 5_000


def _neighbours(session: Session, as_of: date | None, author: str) -> ScoringData:
    """Every scored forecast on the questions of ``author``'s scored forecasts: all that their
    peer, relative and head-to-head scores depend on, so they equal those drawn from every
    forecast (the questions keep their order: each is coded at its first forecast by id)."""
    own = _scored(session, as_of, author)
    questions = {own.questions[int(c)] for c in own.question_codes}
    if not questions:
        return own
    if len(questions) > NEIGHBOURS_BY_ID:
        return _scored(session, as_of)
    filters = ScorecardFilter(as_of=as_of, questions=tuple(sorted(questions)))
    return load_scored(session, filters)


def list_authors(session: Session, *, as_of: date | None = None) -> list[AuthorRow]:
    """Every author with forecasts, most scored first: the mean Brier of their scored forecasts
    with a 95 % Student-t interval, and their peer and relative scores."""
    rows = _author_rows(_counts(session), _scored(session, as_of))
    rows.sort(key=lambda r: (-r.scored, -r.forecasts, r.name))
    return rows


def _author_rows(
    counts: dict[str, tuple[int, int]],
    data: ScoringData,
    comparison: Comparison | None = None,
) -> list[AuthorRow]:
    """The rows of the authors in ``counts``, scored on ``data`` (every scored forecast of
    theirs, and all on their questions); ``comparison``: ``compare(data)`` when known."""
    m = len(data.authors)
    brier = forecast_brier(data)
    n, mean, low, high = mean_intervals(data.author_codes, brier, m, bounds=(0.0, 1.0))
    if comparison is None and len(data):
        comparison = compare(data, resamples=0)
    by_author = {a.author: a for a in comparison.authors} if comparison else {}
    index = {name: i for i, name in enumerate(data.authors)}
    rows = []
    for name, (forecasts, resolved) in counts.items():
        i = index.get(name)
        scored = int(n[i]) if i is not None else 0
        rows.append(
            AuthorRow(
                name=name,
                forecasts=forecasts,
                resolved=resolved,
                scored=scored,
                brier=float(mean[i]) if scored else None,
                brier_interval=(
                    Interval(float(low[i]), float(high[i]))
                    if i is not None and scored >= 2
                    else None
                ),
                too_few=scored < MIN_JUDGED,
                comparison=by_author.get(name),
            )
        )
    return rows


def author_exists(session: Session, name: str) -> str:
    """``name`` when some source has that author; else a NotFoundError with the known ones."""
    known = session.exec(select(col(Source.author)).distinct()).all()
    if name not in known:
        close = sorted(a for a in known if name.lower() in a.lower())
        hint = f"did you mean {close[0]!r}?" if close else "see `tracker authors list`"
        raise NotFoundError("author", name, hint)
    return name


def author_forecasts(
    session: Session, name: str, *, today: date | None = None
) -> list[ForecastRow]:
    """Every forecast of the author (whole name), soonest close first."""
    rows = registry.list_forecasts(session, ForecastFilter(author=name, today=today))
    return [row for row in rows if row.author == name]


# --- baselines beside an author ---------------------------------------------------------------


@dataclass(frozen=True)
class _BaselineAtDates:
    """Builds the baseline's pseudo-forecasts at one author's dates (module docstring)."""

    data: ScoringData
    series: dict[str, list[BaselineSeries]]

    def names(self) -> list[str]:
        return sorted({s.name for found in self.series.values() for s in found})

    def paired(self, name: str) -> ScoringData:
        """The author's forecasts that the baseline ``name`` priced, and the baseline's
        pseudo-forecast on each (its value on each of the author's statement days)."""
        question_names = self.data.questions
        price: dict[int, Callable[[date], float | None]] = {}
        for code, question_id in enumerate(question_names):
            for found in self.series.get(question_id, []):
                if found.name == name:
                    price[code] = found.at
        keep = np.array(
            [
                int(q) in price and price[int(q)](date.fromordinal(int(o))) is not None
                for q, o in zip(self.data.question_codes, self.data.opens, strict=True)
            ],
            dtype=bool,
        )
        own = self.data.subset(keep)
        return _append_baseline(own, BASELINE_PREFIX + name, price)


def _append_baseline(
    own: ScoringData, label: str, price: dict[int, Callable[[date], float | None]]
) -> ScoringData:
    n = len(own)

    def at(q: int, day: int, fallback: float) -> float:
        value = price[q](date.fromordinal(day))
        return fallback if value is None else value

    market_p = np.array(
        [at(int(q), int(o), 0.5) for q, o in zip(own.question_codes, own.opens, strict=True)]
    )
    update_p = np.array(
        [
            at(int(own.question_codes[f]), int(d), float(market_p[f]))
            for f, d in zip(own.update_forecast, own.update_day, strict=True)
        ]
    )
    authors = [*own.authors, label]
    return replace(
        own,
        ids=[*own.ids, *(f"{label}@{i}" for i in own.ids)],
        p=np.concatenate([own.p, market_p]),
        y=np.concatenate([own.y, own.y]),
        opens=np.concatenate([own.opens, own.opens]),
        closes=np.concatenate([own.closes, own.closes]),
        resolved=np.concatenate([own.resolved, own.resolved]),
        from_scale=np.concatenate([own.from_scale, np.zeros(n, bool)]),
        term_codes=np.concatenate([own.term_codes, own.term_codes]),
        source_codes=np.concatenate([own.source_codes, own.source_codes]),
        author_codes=np.concatenate([own.author_codes, np.full(n, len(authors) - 1)]),
        authors=authors,
        question_codes=np.concatenate([own.question_codes, own.question_codes]),
        tag_forecast=np.empty(0, np.int64),
        tag_codes=np.empty(0, np.int64),
        update_forecast=np.concatenate([own.update_forecast, own.update_forecast + n]),
        update_day=np.concatenate([own.update_day, own.update_day]),
        update_p=np.concatenate([own.update_p, update_p]),
        corrected=np.zeros(2 * n, bool),
    )


def _baselines_of(session: Session, data: ScoringData) -> _BaselineAtDates:
    """The baselines of the questions of ``data``'s forecasts (its ``questions`` may name more:
    a subset keeps them all)."""
    questions = {data.questions[int(c)] for c in data.question_codes}
    return _BaselineAtDates(data, baseline_points(session, questions))


# --- head to head -------------------------------------------------------------------------------


def compare_forecasters(
    session: Session,
    a: str,
    b: str,
    *,
    as_of: date | None = None,
    resamples: int = 1000,
) -> HeadToHead:
    """``a`` against ``b`` on the questions both forecast (resolved, past their close date):
    mean Brier and log differences with paired bootstrap intervals, wins, and both Murphy
    diagrams.  Either may be a baseline, written ``market:<name>`` (scored at the other's
    dates; both may not be baselines)."""
    if a.startswith(BASELINE_PREFIX) and b.startswith(BASELINE_PREFIX):
        raise InvalidInputError("b", f"{a} and {b} are both baselines; compare an author with one")
    if a.startswith(BASELINE_PREFIX):
        flipped = compare_forecasters(session, b, a, as_of=as_of, resamples=resamples)
        return flipped.swapped()
    author_exists(session, a)
    if b.startswith(BASELINE_PREFIX):
        markets = _baselines_of(session, _scored(session, as_of, a))
        name = b.removeprefix(BASELINE_PREFIX)
        if name not in markets.names():
            raise NotFoundError(
                "baseline", name, f"none on {a}'s scored questions; see `tracker baselines list`"
            )
        data = markets.paired(name)
    else:
        author_exists(session, b)
        data = _neighbours(session, as_of, a)
        if b not in data.authors:  # no common question: an empty duel, or b has none scored
            data = _scored(session, as_of)
    return head_to_head(data, a, b, resamples=resamples)


# --- an author's record -------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    """An author's scored forecasts whose questions settled in one calendar quarter."""

    period: str  # "2022-Q3"
    forecasts: int
    brier: float
    cumulative_brier: float  # all their scored forecasts resolved up to the period's end
    peer: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "forecasts": self.forecasts,
            "brier": self.brier,
            "cumulative_brier": self.cumulative_brier,
            "peer": self.peer,
        }


def _quarter(ordinal: int) -> str:
    day = date.fromordinal(ordinal)
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def scores_over_time(data: ScoringData, brier: np.ndarray, peer: np.ndarray) -> list[PeriodRow]:
    """By quarter of the day each question settled (its close date, or the day it was resolved
    when earlier): how many were scored, their mean Brier, the running mean.  Not the day the
    resolution was recorded, which a back-fill puts years late."""
    settled = np.minimum(data.closes, data.resolved)
    quarters = [_quarter(int(day)) for day in settled]
    rows, total, count = [], 0.0, 0
    for quarter in sorted(set(quarters)):
        mask = np.array([q == quarter for q in quarters], dtype=bool)
        total, count = total + float(brier[mask].sum()), count + int(mask.sum())
        peers = peer[mask][~np.isnan(peer[mask])]
        rows.append(
            PeriodRow(
                quarter,
                int(mask.sum()),
                float(brier[mask].mean()),
                total / count,
                float(peers.mean()) if len(peers) else None,
            )
        )
    return rows


@dataclass
class AuthorRecord:
    """What an author's page shows (besides their scorecard and forecasts, read apart)."""

    name: str
    row: AuthorRow
    sources: list[tuple[str, str, date | None]]  # (key, title, published)
    over_time: list[PeriodRow] = field(default_factory=list)
    head_to_head: list[HeadToHead] = field(default_factory=list)
    peer_by_forecast: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.row.to_json(),
            "sources": [
                {"key": k, "title": t, "published": p.isoformat() if p else None}
                for k, t, p in self.sources
            ],
            "over_time": [r.to_json() for r in self.over_time],
            "head_to_head": [h.to_json() for h in self.head_to_head],
        }


def author_record(
    session: Session, name: str, *, as_of: date | None = None, resamples: int = 1000
) -> AuthorRecord:
    """An author's record: their row of the authors' list, their sources, their scores by
    quarter, and head to head against every author and baseline they share a question with."""
    author_exists(session, name)
    around = _neighbours(session, as_of, name)
    comparison = compare(around, resamples=0) if len(around) else None
    counts = {name: _counts(session, name).get(name, (0, 0))}  # a source, yet no forecast
    row = _author_rows(counts, around, comparison)[0]
    sources = session.exec(
        select(col(Source.key), col(Source.title), col(Source.published))
        .where(col(Source.author) == name)
        .order_by(col(Source.published), col(Source.key))
    ).all()
    record = AuthorRecord(name, row, [(key, title, day) for key, title, day in sources])
    if comparison is None or name not in around.authors:
        return record
    mine = around.author_codes == around.authors.index(name)
    own = around.subset(mine)
    record.over_time = scores_over_time(own, comparison.brier[mine], comparison.peer[mine])
    record.peer_by_forecast = {
        i: float(p) for i, p in zip(own.ids, comparison.peer[mine], strict=True) if p == p
    }
    record.head_to_head = _rivals(session, around, own, name, resamples)
    return record


def _rivals(
    session: Session, everyone: ScoringData, own: ScoringData, name: str, resamples: int
) -> list[HeadToHead]:
    """Head to head against each author sharing a question, then each baseline that priced
    one of the author's questions (at the author's dates)."""
    mine = set(own.question_codes.tolist())
    others = sorted(
        {
            everyone.authors[int(a)]
            for a, q in zip(everyone.author_codes, everyone.question_codes, strict=True)
            if int(q) in mine and everyone.authors[int(a)] != name
        }
    )
    found = [head_to_head(everyone, name, other, resamples=resamples) for other in others]
    markets = _baselines_of(session, own)
    for market in markets.names():
        paired = markets.paired(market)
        if BASELINE_PREFIX + market in paired.authors and len(paired):
            found.append(head_to_head(paired, name, BASELINE_PREFIX + market, resamples=resamples))
    return found


def comparison_fingerprint(session: Session) -> tuple[object, ...]:
    """What the authors' list and records depend on: the scores' fingerprint
    (:func:`~tracker.service.scores_fingerprint`) and the baselines' points
    (:func:`baseline_points_fingerprint`), which a pull or an import changes without an audit
    entry.  For caches."""
    return (*scores_fingerprint(session), *baseline_points_fingerprint(session))


def baseline_points_fingerprint(session: Session) -> tuple[object, ...]:
    """The baselines' points: how many baselines, the newest one, and how many writes of points
    all of them had (``Baseline.points_version``, one more per write of a baseline's points, in
    that write's transaction).  Read from the baselines, one row each: the points themselves
    (a count, the newest write and a total of 200,000 values) were most of an author page."""
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.max(col(Baseline.id)), 0),
            func.coalesce(func.sum(col(Baseline.points_version)), 0),
        ).select_from(Baseline)
    ).one()
    return (int(row[0]), int(row[1]), int(row[2]))


def scoring_day(as_of: date | None) -> date:
    return as_of or utc_today()
