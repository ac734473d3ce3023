"""A forecast's statements: the author's probability on each date, and corrections of them.

Every statement is a :class:`~tracker.models.ProbabilityUpdate` row: the initial one (the
forecast's own probability, dated ``opens``), later ones of the author (each with its date, quote
and link), and corrections.  The rules:

- **One statement a day.**  A later statement is dated after ``opens`` (that day holds the
  initial one), on or before ``closes``, and not in the future.  A statement on a day that already
  has one is a correction of it, not a second statement.
- **Resolved forecasts.**  A statement dated before the day the forecast was resolved (or annulled)
  may still be added: it was made while the forecast was open and is entered late.  One dated that
  day or later came after the outcome was known and is refused.
- **Corrections** fix a data-entry error (the wrong number was typed): a new row of kind
  ``correction`` pointing at the statement's first row, with the same date and a note saying why.
  Of a statement and its corrections the newest row is in force (:meth:`History.standing`); the
  others stay, marked replaced, so the history shows what was fixed.  A correction never adds a
  period to the time-weighted score.  Correcting a resolved forecast moves its score after the
  outcome was known: the forecast is flagged ``corrected_after_resolution`` for the scorecard.
- **The standing values** (``Forecast.probability``, ``estimate``, ``vague``,
  ``probability_from_scale``) are those of the latest statement in force, by date
  (:func:`restate`).

Every change writes an audit entry.  Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlmodel import Session, col, select

from tracker.domain import audit
from tracker.domain.scale import EstimativeScale
from tracker.errors import InvalidInputError, NotFoundError
from tracker.models import (
    Forecast,
    ProbabilityUpdate,
    StatementKind,
    StatementOrigin,
    Status,
)
from tracker.urls import safe_url

#: audit actions of this module
RECORDED, CORRECTED, REMOVED = "statement", "correct", "remove_statement"
_CONTROL = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r") | {"\x7f"}


@dataclass(frozen=True)
class Value:
    """A probability as stated: the number, the words, and how the number was found."""

    probability: float
    estimate: str
    from_scale: bool = False
    vague: bool = False

    def same(self, row: ProbabilityUpdate) -> bool:
        return (self.probability, self.estimate) == (row.probability, row.estimate)

    def describe(self) -> str:
        return f"{self.probability:g} ({self.estimate!r})"


@dataclass(frozen=True)
class Statement:
    """A statement to record: its value on ``as_of``, with the author's words and where."""

    as_of: date
    value: Value
    quote: str | None = None
    url: str | None = None
    note: str | None = None

    def text(self) -> tuple[str | None, str | None, str | None]:
        return self.quote, self.url, self.note


def read_value(scale: EstimativeScale, probability: float | None, estimate: str | None) -> Value:
    """A value from what a person gave: a probability, a verbal term, or both.  A term alone
    takes its probability from the scale (an unknown term is an ``UnknownTermError``); a number
    alone is written as a percentage ("60%")."""
    term = (estimate or "").strip() or None
    if probability is None and term is None:
        raise InvalidInputError("probability", "give a probability (0 to 1) or an estimative term")
    if probability is not None and not 0.0 <= probability <= 1.0:
        raise InvalidInputError("probability", f"{probability:g} is not between 0 and 1")
    if term is None:
        assert probability is not None
        return Value(probability, f"{round(probability * 100, 1):g}%")
    _check_text("estimate", term)
    entry = scale.find(term)
    vague = bool(entry and entry.vague)
    if probability is None:
        return Value(scale.probability(term), term, from_scale=True, vague=vague)
    return Value(probability, term, vague=vague)


def _check_text(field_name: str, text: str) -> None:
    if any(ch in _CONTROL for ch in text):
        raise InvalidInputError(field_name, "control characters are not allowed")


def _clean_text(field_name: str, text: str | None) -> str | None:
    text = (text or "").strip() or None
    if text is not None:
        _check_text(field_name, text)
    return text


def entered_statement(
    as_of: date,
    value: Value,
    *,
    quote: str | None = None,
    url: str | None = None,
    note: str | None = None,
) -> Statement:
    """A statement as a person typed it, its texts checked: the link must be an http(s) URL."""
    link = _clean_text("url", url)
    if link is not None and (len(link) > 2000 or safe_url(link) is None):
        raise InvalidInputError("url", f"{link[:100]!r} is not an http(s) link")
    return Statement(
        as_of, value, quote=_clean_text("quote", quote), url=link, note=_clean_text("note", note)
    )


# --- the history -------------------------------------------------------------------------------


@dataclass
class History:
    """Every row of a forecast's statements, in date order, and which of them are in force."""

    rows: list[ProbabilityUpdate]
    _current: dict[int, ProbabilityUpdate] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for row in sorted(self.rows, key=lambda r: r.id or 0):
            self._current[root_id(row)] = row  # the newest row of each statement wins

    def root(self, statement_id: int) -> ProbabilityUpdate:
        return next(r for r in self.rows if r.id == statement_id)

    def standing(self) -> list[ProbabilityUpdate]:
        """The rows in force, one per statement, by date (then by when the statement was first
        recorded)."""
        return sorted(self._current.values(), key=lambda r: (r.as_of, root_id(r)))

    def replaced(self) -> set[int]:
        """Ids of the rows a correction replaced."""
        current = {id(r) for r in self._current.values()}
        return {r.id for r in self.rows if id(r) not in current and r.id is not None}

    def current(self, statement_id: int) -> ProbabilityUpdate:
        return self._current[statement_id]

    def statements(self) -> list[tuple[ProbabilityUpdate, ProbabilityUpdate]]:
        """(first row, row in force) of every statement, by date."""
        return [(self.root(root_id(r)), r) for r in self.standing()]

    def initial(self) -> ProbabilityUpdate | None:
        """The first row of the initial statement."""
        return next((r for r in self.rows if r.kind == StatementKind.INITIAL.value), None)

    def top(self) -> ProbabilityUpdate | None:
        """The first row of the statement a forecast file's top-level probability stands for: the
        initial one, or (for rows from before dated statements) the latest probability a
        re-import dated its own day."""
        candidates = [
            first
            for first, _ in self.statements()
            if first.kind == StatementKind.INITIAL.value
            or first.origin == StatementOrigin.REIMPORT.value
        ]
        return candidates[-1] if candidates else None

    def dated(self, as_of: date) -> ProbabilityUpdate | None:
        """The first row of the statement dated ``as_of``, if any."""
        return next((first for first, _ in self.statements() if first.as_of == as_of), None)


def root_id(row: ProbabilityUpdate) -> int:
    """The id of the statement a row belongs to (its first row)."""
    found = row.corrects_id if row.corrects_id is not None else row.id
    assert found is not None  # stored rows only
    return found


def history(session: Session, forecast_id: str) -> History:
    rows = session.exec(
        select(ProbabilityUpdate)
        .where(col(ProbabilityUpdate.forecast_id) == forecast_id)
        .order_by(col(ProbabilityUpdate.as_of), col(ProbabilityUpdate.id))
    ).all()
    return History(list(rows))


def restate(forecast: Forecast, known: History) -> bool:
    """Make the forecast's standing values those of its latest statement in force; True when
    its probability changed."""
    standing = known.standing()
    if not standing:
        return False
    latest = standing[-1]
    changed = forecast.probability != latest.probability
    forecast.probability, forecast.estimate = latest.probability, latest.estimate
    forecast.vague, forecast.probability_from_scale = latest.vague, latest.from_scale
    return changed


# --- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """What the dates of a forecast's statements are checked against."""

    opens: date
    closes: date
    resolved_on: date | None = None  # the day it was resolved or annulled

    @classmethod
    def of(cls, forecast: Forecast) -> Window:
        resolved = forecast.status in (Status.RESOLVED.value, Status.ANNULLED.value)
        day = forecast.resolved_at.date() if resolved and forecast.resolved_at else None
        return cls(forecast.opens, forecast.closes, day)


def date_problem(window: Window, as_of: date, today: date) -> str | None:
    """Why a later statement cannot be dated ``as_of`` (None when it can)."""
    if as_of <= window.opens:
        return (
            f"{as_of} is not after the forecast opens ({window.opens}), a day that holds its "
            "initial statement; date the statement later, or correct the initial one"
        )
    if as_of > window.closes:
        return f"{as_of} is after the forecast closes ({window.closes})"
    if as_of > today:
        return f"{as_of} is in the future (today is {today})"
    if window.resolved_on is not None and as_of >= window.resolved_on:
        return (
            f"{as_of} is not before the day the forecast was resolved ({window.resolved_on}): a "
            "statement made once the outcome was known cannot be scored; only statements made "
            f"while it was open (dated before {window.resolved_on}) can be added"
        )
    return None


# --- changes -----------------------------------------------------------------------------------


def _row(
    forecast: Forecast,
    statement: Statement,
    *,
    kind: StatementKind,
    origin: StatementOrigin,
    actor: str,
    corrects: int | None = None,
) -> ProbabilityUpdate:
    value = statement.value
    # what a person typed is checked the same on both engines (a file's fields already were)
    audit.check_text("quote", statement.quote, audit.MAX_DETAIL)
    audit.check_text("url", statement.url, 2000)  # the column's length
    audit.check_text("note", statement.note, audit.MAX_DETAIL)
    return ProbabilityUpdate(
        forecast_id=forecast.id,
        as_of=statement.as_of,
        probability=value.probability,
        estimate=value.estimate,
        vague=value.vague,
        from_scale=value.from_scale,
        quote=statement.quote,
        url=statement.url,
        note=statement.note,
        kind=kind.value,
        origin=origin.value,
        actor=actor,
        corrects_id=corrects,
    )


def add_initial(
    session: Session, forecast: Forecast, value: Value, *, quote: str, actor: str
) -> ProbabilityUpdate:
    """The initial statement of a new forecast (dated ``opens``)."""
    row = _row(
        forecast,
        Statement(forecast.opens, value, quote=quote),
        kind=StatementKind.INITIAL,
        origin=StatementOrigin.FILE,
        actor=actor,
    )
    session.add(row)
    return row


def add_statement(
    session: Session,
    forecast: Forecast,
    statement: Statement,
    *,
    origin: StatementOrigin,
    actor: str,
) -> ProbabilityUpdate:
    """Record a later statement (its date already checked), audit-logged."""
    row = _row(forecast, statement, kind=StatementKind.UPDATE, origin=origin, actor=actor)
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action=RECORDED,
        entity="forecast",
        entity_id=forecast.id,
        detail={
            "as_of": statement.as_of.isoformat(),
            "probability": statement.value.probability,
            "estimate": statement.value.estimate,
            "origin": origin.value,
        },
    )
    return row


def correct(
    session: Session,
    forecast: Forecast,
    in_force: ProbabilityUpdate,
    statement: Statement,
    *,
    actor: str,
    origin: StatementOrigin | None = None,
) -> ProbabilityUpdate:
    """Replace the value of the statement whose row in force is ``in_force`` (a data-entry fix;
    ``statement.note`` says why; the date stays the statement's), audit-logged.  A resolved
    forecast is flagged ``corrected_after_resolution``."""
    if not statement.note:
        raise InvalidInputError("note", "a correction needs a note saying what was wrong")
    statement = replace(statement, as_of=in_force.as_of)
    row = _row(
        forecast,
        statement,
        kind=StatementKind.CORRECTION,
        origin=origin or StatementOrigin(in_force.origin),
        actor=actor,
        corrects=root_id(in_force),
    )
    session.add(row)
    after_resolution = forecast.status == Status.RESOLVED.value
    if after_resolution:
        forecast.corrected_after_resolution = True
    audit.record(
        session,
        actor=actor,
        action=CORRECTED,
        entity="forecast",
        entity_id=forecast.id,
        detail={
            "as_of": statement.as_of.isoformat(),
            "from": in_force.probability,
            "to": statement.value.probability,
            "estimate": statement.value.estimate,
            "note": statement.note,
            "after_resolution": after_resolution,
        },
    )
    return row


def remove(
    session: Session, forecast: Forecast, known: History, first: ProbabilityUpdate, *, actor: str
) -> None:
    """Delete a statement with its corrections (an entry taken out of a forecast file),
    audit-logged with the value it had."""
    in_force = known.current(root_id(first))
    for row in known.rows:
        if row.corrects_id == first.id:
            session.delete(row)
    session.flush()  # the corrections first: they point at the statement
    session.delete(first)
    audit.record(
        session,
        actor=actor,
        action=REMOVED,
        entity="forecast",
        entity_id=forecast.id,
        detail={"as_of": first.as_of.isoformat(), "probability": in_force.probability},
    )
    if forecast.status == Status.RESOLVED.value:
        forecast.corrected_after_resolution = True


def _chain(known: History, first: ProbabilityUpdate) -> list[ProbabilityUpdate]:
    """A statement's rows: its first row and its corrections."""
    return [r for r in known.rows if r is first or r.corrects_id == first.id]


def retext(
    known: History, first: ProbabilityUpdate, statement: Statement, origin: StatementOrigin
) -> bool:
    """Give a statement the words, link and note of ``statement`` (its value unchanged) and
    ``origin``; True when something changed.  The note is the first row's (a correction's own
    note says why it was made); the words and link are every row's."""
    if (first.quote, first.url, first.note, first.origin) == (*statement.text(), origin.value):
        return False
    first.note = statement.note
    for row in _chain(known, first):
        row.quote, row.url, row.origin = statement.quote, statement.url, origin.value
    return True


def move_initial(known: History, initial: ProbabilityUpdate, opens: date, quote: str) -> None:
    """Keep the initial statement dated ``opens`` and worded as the forecast's quote (both may
    change in its file)."""
    for row in _chain(known, initial):
        row.as_of, row.quote = opens, quote


# --- the use cases' steps ----------------------------------------------------------------------


def record_update(
    session: Session,
    forecast: Forecast,
    statement: Statement,
    *,
    actor: str,
    today: date,
) -> ProbabilityUpdate:
    """A later statement entered by a person: its date checked (see the module's rules), the
    forecast restated."""
    known = history(session, forecast.id)
    problem = date_problem(Window.of(forecast), statement.as_of, today)
    if problem:
        raise InvalidInputError("as_of", f"forecast {forecast.id!r}: {problem}")
    if known.dated(statement.as_of) is not None:
        raise InvalidInputError(
            "as_of",
            f"forecast {forecast.id!r} already has a statement dated {statement.as_of}; to fix "
            f"its value use `tracker forecasts correct {forecast.id} --as-of {statement.as_of}`",
        )
    row = add_statement(session, forecast, statement, origin=StatementOrigin.ENTERED, actor=actor)
    session.flush()
    restate(forecast, history(session, forecast.id))
    return row


def record_correction(
    session: Session,
    forecast: Forecast,
    scale: EstimativeScale,
    probability: float | None,
    estimate: str | None,
    *,
    note: str | None,
    actor: str,
    statement_on: date | None = None,
) -> ProbabilityUpdate:
    """Correct the value of the statement dated ``statement_on`` (default: the initial one).  A
    probability alone fixes the number and keeps the author's words; a term alone takes its
    probability from the scale."""
    value = read_value(scale, probability, estimate)
    note = _clean_text("note", note)
    if not note:
        raise InvalidInputError(
            "note", f"correcting forecast {forecast.id!r} needs a note saying what was wrong"
        )
    known = history(session, forecast.id)
    first = known.dated(statement_on) if statement_on else known.initial()
    if first is None:
        dates = ", ".join(f.as_of.isoformat() for f, _ in known.statements())
        raise NotFoundError(
            "statement", f"{forecast.id} on {statement_on}", f"its statements are dated {dates}"
        )
    in_force = known.current(root_id(first))
    if estimate is None or not estimate.strip():
        value = Value(value.probability, in_force.estimate, vague=in_force.vague)
    if value.same(in_force):
        raise InvalidInputError(
            "probability",
            f"the statement of {first.as_of} already stands at {value.describe()}; "
            "nothing to correct",
        )
    fixed = Statement(first.as_of, value, quote=in_force.quote, url=in_force.url, note=note)
    row = correct(session, forecast, in_force, fixed, actor=actor)
    session.flush()
    restate(forecast, history(session, forecast.id))
    return row


def standing_of(rows: Iterable[ProbabilityUpdate]) -> list[ProbabilityUpdate]:
    """The rows in force among a forecast's rows (for charts and tables)."""
    return History(list(rows)).standing()
