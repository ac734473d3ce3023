"""The forecast registry: importing forecast files and reading forecasts back.

An import is all-or-nothing: :func:`load_files` validates every file first and raises
one :class:`~tracker.errors.ForecastImportError` listing every problem; only then does
:func:`import_files` check what needs the database and write, in the caller's single
transaction.  Re-importing is idempotent: nothing is duplicated.

A file's statements (:mod:`tracker.domain.statements`) are kept equal to the file:

- the top-level ``probability`` / ``estimate`` is the initial statement, the one the quote makes.
  Changed in the file, it *replaces* that statement's value (a correction noted "changed in
  FILE", or with the forecast's ``correction:`` text).  Before dated statements existed such a
  change became a new statement dated the day of the import, which invented a statement the
  author never made that day; a later statement now goes under ``updates:`` with its date.
- each ``updates:`` entry is a statement of its date: a new entry is added, a changed one is
  corrected, one taken out of the file is removed (with its corrections).  Statements entered
  with `tracker forecasts update` are left alone (an entry of the same date takes one over).
- on a **resolved** forecast, changing or removing a statement would move a score already
  known: the import is refused, naming the file, the forecast and the field, unless the forecast
  carries ``correction: "why"`` (a data-entry fix, applied as corrections with that note and
  flagged on the scorecard).  New entries dated before the resolution day are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tracker import search
from tracker._seek import Key, keyset_page, read_page
from tracker.clock import today as utc_today
from tracker.clock import utcnow
from tracker.domain import audit, lifecycle, statements
from tracker.domain.resolution_rules import resolved_by_hand
from tracker.domain.scale import EstimativeScale
from tracker.domain.statements import History, Statement, Value, Window
from tracker.errors import ForecastFileError, ForecastImportError, NotFoundError
from tracker.models import (
    AuditEntry,
    Forecast,
    ForecastTag,
    ProbabilityUpdate,
    Question,
    Resolution,
    Source,
    StatementKind,
    StatementOrigin,
    Status,
)
from tracker.paging import KeysetPage

if TYPE_CHECKING:  # the file parser (YAML, pydantic models) loads when a file is read
    from tracker.domain.forecast_files import (
        FileLimits,
        ForecastFile,
        ForecastSpec,
        ParsedForecast,
        QuestionFile,
        QuestionSpec,
    )


@dataclass
class ImportReport:
    """What an import did.  ``probability_changes`` are changes of the standing probability
    (forecast, from, to); ``statements`` the statements added (forecast, date),
    ``corrections`` the values replaced (forecast, date, from, to), ``removed`` the statements
    taken out of a file (forecast, date)."""

    files: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    probability_changes: list[tuple[str, float, float]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    statements: list[tuple[str, date]] = field(default_factory=list)
    corrections: list[tuple[str, date, float, float]] = field(default_factory=list)
    removed: list[tuple[str, date]] = field(default_factory=list)
    #: questions created (defined in question files, or inline by new forecasts)
    questions: list[str] = field(default_factory=list)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the ``*.yaml`` / ``*.yml`` files directly inside it."""
    result: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            result.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        else:
            result.append(path)
    return result


def load_files(
    paths: Iterable[Path], scale: EstimativeScale, limits: FileLimits | None = None
) -> list[ForecastFile | QuestionFile]:
    """Validate every file (forecast files and question files); raise one ForecastImportError
    with all problems, or return them all.  ``limits``: how large a file and its source text
    may be (the defaults of :class:`~tracker.domain.forecast_files.FileLimits`)."""
    from tracker.domain.forecast_files import FileLimits, QuestionFile, load_forecast_file

    files, problems = [], []
    owner: dict[str, tuple[Path, int]] = {}
    expanded = expand_paths(paths)
    if not expanded:
        raise ForecastImportError(
            [ForecastFileError(", ".join(map(str, paths)) or ".", "no forecast files found")]
        )
    for path in expanded:
        loaded, file_problems = load_forecast_file(path, scale, limits or FileLimits())
        problems += file_problems
        if loaded is None:
            continue
        ids = (
            [(q.id, line) for q, line in loaded.questions]
            if isinstance(loaded, QuestionFile)
            else [(f.spec.id, f.line) for f in loaded.forecasts]
        )
        for item_id, line in ids:
            first = owner.setdefault(item_id, (path, line))
            if first != (path, line):
                problems.append(
                    ForecastFileError(
                        path,
                        f"duplicate id (already used in {first[0]}:{first[1]})",
                        line=line,
                        forecast_id=item_id,
                        field="id",
                    )
                )
        files.append(loaded)
    if problems:
        raise ForecastImportError(problems)
    return files


def import_files(
    session: Session,
    files: Sequence[ForecastFile | QuestionFile],
    *,
    today: date,
    actor: str,
    scale: EstimativeScale | None = None,
) -> ImportReport:
    """Write validated files in the caller's transaction (see :func:`load_files`).  What only the
    database can tell (ids of another source, questions referred to, statements of resolved
    forecasts, dates of new statements) is checked first: one :class:`ForecastImportError`
    lists every problem, and nothing is written.  ``scale`` tells which statements' terms are
    vague (default: the built-in scale).

    Questions come first (question files, then those defined inline), so a forecast may refer
    to a question defined in the same import."""
    from tracker.domain.forecast_files import ForecastFile, QuestionFile

    forecast_files = [f for f in files if isinstance(f, ForecastFile)]
    question_files = [f for f in files if isinstance(f, QuestionFile)]
    _refuse_foreign_ids(session, forecast_files)
    windows = _question_windows(session, forecast_files, question_files)
    plans = _plan_statements(
        session, forecast_files, windows, today=today, scale=scale or EstimativeScale.builtin()
    )
    report = ImportReport(files=len(files))
    for question_file in question_files:
        for spec, _ in question_file.questions:
            _upsert_question(
                session,
                spec.id,
                _question_values(spec),
                question_file.defined_in,
                today=today,
                actor=actor,
                report=report,
            )
    sources = {f.key: _upsert_source(session, f, actor) for f in forecast_files}
    inline_first = sorted(
        ((f, p) for f in forecast_files for p in f.forecasts),
        key=lambda pair: pair[1].spec.question_id is not None,
    )
    for forecast_file, parsed in inline_first:
        _upsert_forecast(
            session,
            sources[forecast_file.key],
            parsed,
            plans[parsed.spec.id],
            today=today,
            actor=actor,
            report=report,
        )
    session.flush()
    # the search index, in step: every forecast of the files (a source's new title counts too)
    search.index_forecasts(session, [p.spec.id for f in forecast_files for p in f.forecasts])
    report.closed = lifecycle.close_expired(session, today)
    return report


def _question_windows(
    session: Session, forecast_files: Sequence[ForecastFile], question_files: Sequence[QuestionFile]
) -> dict[str, tuple[date, date]]:
    """The window (opens, closes) of the question of each forecast in ``forecast_files``.
    Refused in one :class:`ForecastImportError`: a reference to a question that is neither
    stored nor defined in this import, a forecast dated after its question closes, and a
    question id that a question file and a forecast of another source both define."""
    defined: dict[str, tuple[date, date]] = {}
    problems: list[ForecastFileError] = []
    for question_file in question_files:
        for spec, line in question_file.questions:
            defined[spec.id] = (spec.opens, spec.closes)
            owner = session.get(Question, spec.id)
            if owner is not None and owner.defined_in != question_file.defined_in:
                problems.append(
                    ForecastFileError(
                        question_file.path,
                        f"this id already belongs to a question defined in "
                        f"{owner.defined_in!r}; choose another id",
                        line=line,
                        forecast_id=spec.id,
                        field="id",
                    )
                )
    for forecast_file in forecast_files:
        for parsed in forecast_file.forecasts:
            inline = parsed.spec
            if inline.question_id is None and inline.closes is not None:
                defined[inline.id] = (inline.opens, inline.closes)
    windows: dict[str, tuple[date, date]] = {}
    for forecast_file in forecast_files:
        for parsed in forecast_file.forecasts:
            ref = parsed.spec.question_id or parsed.spec.id
            window = defined.get(ref) or _stored_window(session, ref)
            if window is None:
                problems.append(
                    ForecastFileError(
                        forecast_file.path,
                        f"no question {ref!r}: define it in a question file "
                        "(`questions:`) or inline in a forecast, or check the id",
                        line=parsed.line,
                        forecast_id=parsed.spec.id,
                        field="question",
                    )
                )
            elif parsed.spec.opens > window[1]:
                problems.append(
                    ForecastFileError(
                        forecast_file.path,
                        f"opens {parsed.spec.opens} is after question {ref!r} closes ({window[1]})",
                        line=parsed.line,
                        forecast_id=parsed.spec.id,
                        field="opens",
                    )
                )
            else:
                windows[parsed.spec.id] = window
    if problems:
        raise ForecastImportError(problems)
    return windows


def _stored_window(session: Session, question_id: str) -> tuple[date, date] | None:
    question = session.get(Question, question_id)
    return (question.opens, question.closes) if question is not None else None


def _refuse_foreign_ids(session: Session, files: Sequence[ForecastFile]) -> None:
    problems = []
    for forecast_file in files:
        ids = [p.spec.id for p in forecast_file.forecasts]
        rows = session.exec(
            select(col(Forecast.id), col(Source.key)).join(Source).where(col(Forecast.id).in_(ids))
        ).all()
        for forecast_id, key in rows:
            if key != forecast_file.key:
                line = next(p.line for p in forecast_file.forecasts if p.spec.id == forecast_id)
                problems.append(
                    ForecastFileError(
                        forecast_file.path,
                        f"this id already belongs to source {key!r}; choose another id",
                        line=line,
                        forecast_id=forecast_id,
                        field="id",
                    )
                )
    if problems:
        raise ForecastImportError(problems)


def _upsert_source(session: Session, forecast_file: ForecastFile, actor: str) -> Source:
    spec = forecast_file.source
    values: dict[str, Any] = {
        "title": spec.title,
        "author": spec.author,
        "publisher": spec.publisher,
        "url": spec.url,
        "published": spec.published,
    }
    source = session.exec(select(Source).where(col(Source.key) == forecast_file.key)).first()
    if source is None:
        source = Source(key=forecast_file.key, **values)
        session.add(source)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="source", entity_id=source.key)
        return source
    changed = {k: v for k, v in values.items() if getattr(source, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(source, key, value)
        audit.record(
            session,
            actor=actor,
            action="update",
            entity="source",
            entity_id=source.key,
            detail={"fields": sorted(changed)},
        )
    return source


def _question_values(spec: ForecastSpec | QuestionSpec) -> dict[str, Any]:
    """A question as a file defines it (a question file's entry, or a forecast's inline
    question): its text, window and resolution rules."""
    resolution = spec.resolution
    assert resolution is not None and spec.closes is not None  # checked with the file
    return {
        "text": spec.question,
        "opens": spec.opens,
        "closes": spec.closes,
        "criteria": resolution.criteria,
        "yes_when": resolution.yes_when.model_dump() if resolution.yes_when else None,
        "no_when": resolution.no_when.model_dump() if resolution.no_when else None,
        "min_sources": resolution.min_sources,
        "default_at_close": resolution.default_at_close,
    }


def _forecast_values(parsed: ParsedForecast, source: Source, question: Question) -> dict[str, Any]:
    """The forecast's own fields from the file (its statements are apart: :class:`_Plan`), and
    the copy of its question's (see :mod:`tracker.models`)."""
    spec = parsed.spec
    return {
        "source_id": source.id,
        "question_id": question.id,
        "question": question.text,
        "quote": spec.quote,
        "opens": spec.opens,
        "closes": question.closes,
        "criteria": question.criteria,
        "yes_when": question.yes_when,
        "no_when": question.no_when,
        "min_sources": question.min_sources,
        "default_at_close": question.default_at_close,
        "extra": _jsonable(spec.free_form()) or None,
    }


def _upsert_question(
    session: Session,
    question_id: str,
    values: dict[str, Any],
    defined_in: str,
    *,
    today: date,
    actor: str,
    report: ImportReport,
) -> Question:
    """A question as its file defines it, created or brought up to date; a closed one whose
    close date moved into the future is open again (and its forecasts with it)."""
    question = session.get(Question, question_id)
    if question is None:
        question = Question(id=question_id, defined_in=defined_in, **values)
        session.add(question)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="question",
            entity_id=question_id,
            to_status=question.status,
        )
        report.questions.append(question_id)
        return question
    changed = sorted(k for k, v in values.items() if getattr(question, k) != v)
    if not changed:
        return question
    for key in changed:
        setattr(question, key, values[key])
    question.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="question",
        entity_id=question.id,
        detail={"fields": changed},
    )
    if question.status == Status.CLOSED.value and question.closes >= today:
        lifecycle.extend(session, question, actor=actor)
    return question


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- a file's statements ------------------------------------------------------------------------


@dataclass
class _Plan:
    """What an import does to one forecast's statements, worked out before anything is written.

    ``change`` pairs a statement's row in force with its new value from the file (applied as a
    correction), ``retext`` a statement's first row with the file's words, link and note."""

    parsed: ParsedForecast
    path: Path
    forecast: Forecast | None
    known: History
    top: Statement
    add: list[Statement] = field(default_factory=list)
    change: list[tuple[ProbabilityUpdate, Statement]] = field(default_factory=list)
    retext: list[tuple[ProbabilityUpdate, Statement]] = field(default_factory=list)
    remove: list[ProbabilityUpdate] = field(default_factory=list)
    problems: list[ForecastFileError] = field(default_factory=list)

    def problem(self, message: str, field_name: str) -> None:
        self.problems.append(
            ForecastFileError(
                self.path,
                message,
                line=self.parsed.line,
                forecast_id=self.parsed.spec.id,
                field=field_name,
            )
        )

    def correction_note(self) -> str:
        return self.parsed.spec.correction or f"changed in {self.path.name}"

    def refuses_changes(self) -> bool:
        """A resolved forecast's statements change only as corrections the file asks for."""
        resolved = self.forecast is not None and self.forecast.status == Status.RESOLVED.value
        return resolved and not self.parsed.spec.correction

    def refusal(self) -> str:
        forecast = self.forecast
        assert forecast is not None
        day = forecast.resolved_at.date().isoformat() if forecast.resolved_at else "?"
        return (
            f"the forecast is resolved ({forecast.outcome}, on {day}) and this would move its "
            "score; for a later statement of the author run `tracker forecasts update "
            f"{forecast.id} --as-of DATE` (or add it under `updates:` with its date); to fix a "
            'data-entry error add `correction: "why"` to the forecast'
        )


def _file_statements(parsed: ParsedForecast, scale: EstimativeScale) -> list[Statement]:
    """The ``updates:`` entries of a forecast as statements of origin file."""
    spec = parsed.spec
    without_number = {u.as_of for u in spec.updates if u.probability is None}
    found = []
    for update in parsed.updates:
        term = scale.find(update.estimate)
        value = Value(
            update.probability,
            update.estimate,
            from_scale=update.as_of in without_number,
            vague=bool(term and term.vague),
        )
        found.append(Statement(update.as_of, value, update.quote, update.url, update.note))
    return found


def _plan_statements(
    session: Session,
    files: Sequence[ForecastFile],
    windows: dict[str, tuple[date, date]],
    *,
    today: date,
    scale: EstimativeScale,
) -> dict[str, _Plan]:
    """Every forecast's plan; raises one ForecastImportError with every problem found."""
    plans: dict[str, _Plan] = {}
    for forecast_file in files:
        for parsed in forecast_file.forecasts:
            forecast = session.get(Forecast, parsed.spec.id)
            plans[parsed.spec.id] = _plan(
                parsed,
                forecast_file.path,
                forecast,
                statements.history(session, forecast.id) if forecast else History([]),
                closes=windows[parsed.spec.id][1],
                today=today,
                scale=scale,
            )
    problems = [p for plan in plans.values() for p in plan.problems]
    if problems:
        raise ForecastImportError(problems)
    return plans


def _plan(
    parsed: ParsedForecast,
    path: Path,
    forecast: Forecast | None,
    known: History,
    *,
    closes: date,
    today: date,
    scale: EstimativeScale,
) -> _Plan:
    spec = parsed.spec
    top = Statement(
        spec.opens,
        Value(parsed.probability, spec.estimate, parsed.probability_from_scale, parsed.vague),
        quote=spec.quote,
    )
    plan = _Plan(parsed, path, forecast, known, top)
    resolved_on = Window.of(forecast).resolved_on if forecast else None
    _plan_top(plan)
    _plan_updates(
        plan, _file_statements(parsed, scale), Window(spec.opens, closes, resolved_on), today
    )
    return plan


def _was(row: ProbabilityUpdate) -> str:
    return Value(row.probability, row.estimate).describe()


def _plan_top(plan: _Plan) -> None:
    first = plan.known.top()
    if first is None:
        return  # a new forecast: its initial statement is made with it
    in_force = plan.known.current(statements.root_id(first))
    if plan.top.value.same(in_force):
        return
    if plan.refuses_changes():
        plan.problem(
            f"the probability changes from {_was(in_force)} to {plan.top.value.describe()}: "
            + plan.refusal(),
            "probability",
        )
        return
    quote = plan.top.quote if first.kind == StatementKind.INITIAL.value else in_force.quote
    plan.change.append((in_force, replace(plan.top, as_of=in_force.as_of, quote=quote)))


def _plan_updates(plan: _Plan, entries: list[Statement], window: Window, today: date) -> None:
    top = plan.known.top()
    """Entries (one a day: the file's check) matched with the statements of their dates."""
    by_day: dict[date, list[ProbabilityUpdate]] = {}
    for first, _ in plan.known.statements():
        if first.kind != StatementKind.INITIAL.value and first is not top:
            by_day.setdefault(first.as_of, []).append(first)
    taken: set[int] = set()
    for entry in entries:
        match = _match(by_day.get(entry.as_of, []))
        if match is not None:
            taken.add(statements.root_id(match))
            _plan_entry(plan, match, entry)
            continue
        problem = statements.date_problem(window, entry.as_of, today)
        if problem:
            plan.problem(f"the update of {entry.as_of}: {problem}", "updates")
        else:
            plan.add.append(entry)
    for firsts in by_day.values():
        for first in firsts:
            if first.origin == StatementOrigin.FILE.value and first.id not in taken:
                _plan_removal(plan, first)


def _match(firsts: list[ProbabilityUpdate]) -> ProbabilityUpdate | None:
    """The statement an entry of that date stands for: one from the file, else one entered by a
    person (the file takes it over), else one from a re-import."""
    order = [StatementOrigin.FILE.value, StatementOrigin.ENTERED.value]
    return min(
        firsts,
        key=lambda f: order.index(f.origin) if f.origin in order else len(order),
        default=None,
    )


def _plan_entry(plan: _Plan, first: ProbabilityUpdate, entry: Statement) -> None:
    in_force = plan.known.current(statements.root_id(first))
    if not entry.value.same(in_force):
        if plan.refuses_changes():
            plan.problem(
                f"the update of {entry.as_of} changes from {_was(in_force)} to "
                f"{entry.value.describe()}: " + plan.refusal(),
                "updates",
            )
            return
        plan.change.append((in_force, entry))
    plan.retext.append((first, entry))


def _plan_removal(plan: _Plan, first: ProbabilityUpdate) -> None:
    if plan.refuses_changes():
        plan.problem(
            f"the update of {first.as_of} is no longer in the file, but it was scored: put it "
            'back, or add `correction: "why"` to the forecast to remove it as a data-entry error',
            "updates",
        )
        return
    plan.remove.append(first)


def _apply(
    session: Session, forecast: Forecast, plan: _Plan, *, actor: str, report: ImportReport
) -> bool:
    """Write a plan; True when the statements changed."""
    retexted = [
        statements.retext(plan.known, first, entry, StatementOrigin.FILE)
        for first, entry in plan.retext
    ]
    initial = plan.known.initial()
    if initial is not None:
        statements.move_initial(plan.known, initial, forecast.opens, plan.top.quote or "")
    note = plan.correction_note()
    for in_force, entry in plan.change:
        fixed = replace(entry, note=note)
        statements.correct(
            session, forecast, in_force, fixed, actor=actor, origin=StatementOrigin.FILE
        )
        report.corrections.append(
            (forecast.id, entry.as_of, in_force.probability, entry.value.probability)
        )
    for first in plan.remove:
        statements.remove(session, forecast, plan.known, first, actor=actor)
        report.removed.append((forecast.id, first.as_of))
    for entry in plan.add:
        statements.add_statement(session, forecast, entry, origin=StatementOrigin.FILE, actor=actor)
        report.statements.append((forecast.id, entry.as_of))
    return bool(plan.change or plan.remove or plan.add or any(retexted))


def _upsert_forecast(
    session: Session,
    source: Source,
    parsed: ParsedForecast,
    plan: _Plan,
    *,
    today: date,
    actor: str,
    report: ImportReport,
) -> None:
    ref = parsed.spec.question_id
    question = (
        get_question(session, ref)
        if ref is not None
        else _upsert_question(
            session,
            parsed.spec.id,
            _question_values(parsed.spec),
            source.key,
            today=today,
            actor=actor,
            report=report,
        )
    )
    values = _forecast_values(parsed, source, question)
    forecast = session.get(Forecast, parsed.spec.id)
    if forecast is None:
        _create_forecast(session, parsed, plan, values, actor=actor, report=report)
        return
    changed = sorted(k for k, v in values.items() if getattr(forecast, k) != v)
    for key in changed:
        setattr(forecast, key, values[key])
    if _set_tags(session, forecast.id, parsed.spec.tags):
        changed.append("tags")
    old = forecast.probability
    if _apply(session, forecast, plan, actor=actor, report=report):
        changed.append("statements")
    session.flush()
    if statements.restate(forecast, statements.history(session, forecast.id)):
        report.probability_changes.append((forecast.id, old, forecast.probability))
    if not changed:
        report.unchanged.append(forecast.id)
        return
    forecast.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="forecast",
        entity_id=forecast.id,
        detail={"fields": changed},
    )
    report.updated.append(forecast.id)


def _create_forecast(
    session: Session,
    parsed: ParsedForecast,
    plan: _Plan,
    values: dict[str, Any],
    *,
    actor: str,
    report: ImportReport,
) -> None:
    top = plan.top.value
    question = session.get(Question, values["question_id"])
    assert question is not None  # created just before
    forecast = Forecast(
        id=parsed.spec.id,
        status=question.status,
        outcome=question.outcome,
        resolved_at=question.resolved_at,
        probability=top.probability,
        estimate=top.estimate,
        vague=top.vague,
        probability_from_scale=top.from_scale,
        **values,
    )
    session.add(forecast)
    session.flush()
    statements.add_initial(session, forecast, top, quote=parsed.spec.quote, actor=actor)
    _set_tags(session, forecast.id, parsed.spec.tags)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="forecast",
        entity_id=forecast.id,
        to_status=forecast.status,
        detail={"probability": top.probability},
    )
    for entry in plan.add:
        statements.add_statement(session, forecast, entry, origin=StatementOrigin.FILE, actor=actor)
        report.statements.append((forecast.id, entry.as_of))
    session.flush()
    statements.restate(forecast, statements.history(session, forecast.id))
    report.created.append(forecast.id)


def _set_tags(session: Session, forecast_id: str, tags: list[str]) -> bool:
    """Make the forecast's tags exactly ``tags``; True when something changed."""
    current = {
        t.tag: t
        for t in session.exec(
            select(ForecastTag).where(col(ForecastTag.forecast_id) == forecast_id)
        )
    }
    wanted = set(tags)
    for tag in current.keys() - wanted:
        session.delete(current[tag])
    for tag in wanted - current.keys():
        session.add(ForecastTag(forecast_id=forecast_id, tag=tag))
    return current.keys() != wanted


# --- reading ----------------------------------------------------------------------------------


@dataclass
class ForecastRow:
    id: str
    status: str
    outcome: str | None
    probability: float
    estimate: str
    vague: bool
    opens: date
    closes: date
    tags: list[str]
    author: str
    source: str
    question: str
    #: no evidence rules and no default at close: only an analyst resolves it (`resolution: manual`)
    manual: bool = False
    #: the question the forecast stands on (its own id when it defined it inline)
    question_id: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["opens"], data["closes"] = self.opens.isoformat(), self.closes.isoformat()
        return data


class ForecastSort(str, Enum):
    """The orders a forecast list can be read in; a leading '-' means descending."""

    CLOSES = "closes"
    CLOSES_DESC = "-closes"
    OPENS = "opens"
    OPENS_DESC = "-opens"
    PROBABILITY = "probability"
    PROBABILITY_DESC = "-probability"
    ID = "id"
    AUTHOR = "author"
    STATUS = "status"


def _keys(sort: ForecastSort, today: date) -> tuple[Key, ...]:
    """The sort key of ``sort``, the forecast's id last (it breaks ties, and makes the key
    unique for keyset pages)."""
    leading: tuple[Key, ...] = {
        ForecastSort.CLOSES: (Key(col(Forecast.closes), date),),
        ForecastSort.CLOSES_DESC: (Key(col(Forecast.closes), date, descending=True),),
        ForecastSort.OPENS: (Key(col(Forecast.opens), date),),
        ForecastSort.OPENS_DESC: (Key(col(Forecast.opens), date, descending=True),),
        ForecastSort.PROBABILITY: (Key(col(Forecast.probability), float),),
        ForecastSort.PROBABILITY_DESC: (Key(col(Forecast.probability), float, descending=True),),
        ForecastSort.ID: (),
        ForecastSort.AUTHOR: (Key(col(Source.author), str), Key(col(Forecast.closes), date)),
        ForecastSort.STATUS: (
            Key(lifecycle.status_column(today), str),
            Key(col(Forecast.closes), date),
        ),
    }[sort]
    return (*leading, Key(col(Forecast.id), str))


@dataclass(frozen=True)
class ForecastFilter:
    """Which forecasts to list.  ``text`` is a full-text query (README, "Search syntax": question,
    quote, criteria, author, source), or a forecast's exact id;
    ``status`` is the status on ``today`` (default: today, UTC; see
    :func:`tracker.domain.lifecycle.status_on`)."""

    text: str | None = None
    status: Status | None = None
    tag: str | None = None
    author: str | None = None
    source: str | None = None
    today: date | None = None

    def day(self) -> date:
        return self.today or utc_today()

    def apply(self, query: Any) -> Any:
        if self.text:  # the full-text index (README, "Search syntax"), or an exact id
            query = query.where(search.forecast_text_condition(self.text))
        if self.status:
            query = query.where(lifecycle.status_is(Status(self.status), self.day()))
        if self.tag:
            query = query.where(
                col(Forecast.id).in_(
                    select(col(ForecastTag.forecast_id)).where(
                        col(ForecastTag.tag) == self.tag.strip().lower()
                    )
                )
            )
        if self.author:
            query = query.where(col(Source.author).icontains(self.author, autoescape=True))
        if self.source:
            query = query.where(col(Source.key) == self.source)
        return query


#: one page of a forecast list
ForecastPage = KeysetPage[ForecastRow]


def list_forecasts(session: Session, where: ForecastFilter) -> list[ForecastRow]:
    """Every forecast matching ``where`` (author: case-insensitive substring), soonest close
    first."""
    query = where.apply(sa_select(*_ROW_COLUMNS).join(Source))
    found = session.execute(query.order_by(col(Forecast.closes), col(Forecast.id))).all()
    tags = _tags_of(session, [row.id for row in found])
    day = where.day()
    return [_row_of(row, row, tags, day) for row in found]


def search_forecasts(
    session: Session,
    where: ForecastFilter,
    *,
    sort: ForecastSort = ForecastSort.CLOSES,
    cursor: str | None = None,
    per_page: int = 50,
) -> ForecastPage:
    """The page of the matching forecasts at ``cursor`` (None: the first), read by keyset on
    the sort key and the id (see :mod:`tracker._seek`); ``total`` counts every match.

    The page is read as its keys alone, then its forecasts by id (a "deferred join"): a search
    matching thousands of forecasts sorted them whole, quotes and criteria included, for 50.
    A search's first page counts its matches in the same query (``count(*) OVER ()``: the
    database has every match in hand to sort them), not in a second pass over the index."""
    day = where.day()
    keys = _keys(sort, day)
    columns: list[Any] = [key.expr for key in keys]
    counted_here = cursor is None and bool(where.text)
    if counted_here:
        columns.append(func.count().over())
    narrow = select(*columns).select_from(Forecast)
    if where.author or where.source or sort is ForecastSort.AUTHOR:
        narrow = narrow.join(Source)
    n = len(keys)
    found, following, earlier = read_page(
        session,
        where.apply(narrow),
        keys,
        lambda row: tuple(row[:n]),
        cursor=cursor,
        per_page=per_page,
    )
    rows = _rows_in_order(session, [row[n - 1] for row in found], day)
    total = (int(found[0][n]) if found else 0) if counted_here else _count(session, where)
    return keyset_page(
        rows,
        per_page=per_page,
        cursor=cursor,
        next_cursor=following,
        prev_cursor=earlier,
        total=total,
    )


#: what a list shows of a forecast and its source: columns, not ORM objects (building 50
#: forecasts and their sources as models was a tenth of a forecasts page on PostgreSQL)
_ROW_COLUMNS = (
    col(Forecast.id),
    col(Forecast.status),
    col(Forecast.outcome),
    col(Forecast.probability),
    col(Forecast.estimate),
    col(Forecast.vague),
    col(Forecast.opens),
    col(Forecast.closes),
    col(Forecast.question),
    col(Forecast.yes_when),
    col(Forecast.no_when),
    col(Forecast.default_at_close),
    col(Forecast.question_id),
    col(Source.author),
    col(Source.key),
)


def _rows_in_order(session: Session, ids: list[str], today: date) -> list[ForecastRow]:
    """The rows of the forecasts of ``ids``, in that order."""
    if not ids:
        return []
    query = sa_select(*_ROW_COLUMNS).join(Source).where(col(Forecast.id).in_(ids))
    by_id = {row.id: row for row in session.execute(query)}
    tags = _tags_of(session, ids)
    return [_row_of(by_id[i], by_id[i], tags, today) for i in ids if i in by_id]


def _count(session: Session, where: ForecastFilter) -> int:
    """How many forecasts match ``where``.  The source is joined only for a filter that reads
    it (author, source; the text is the index's, which holds the author too): without one,
    counting 100,000 forecasts reads the id index alone (0.2 ms, not 30 ms on SQLite); every
    forecast has its source, so the join never changes the count."""
    query = select(func.count(col(Forecast.id))).select_from(Forecast)
    if where.author or where.source:
        query = query.join(Source)
    total: int = session.exec(where.apply(query)).one()
    return total


#: the most values a filter's pick list shows; above it the filter is a text field: a thousand
#: authors and sources made every forecasts page 117 KB and rendering them most of its time
PICK_LIST_MAX = 200


@dataclass
class FilterChoices:
    """The values a forecast list can be filtered by, for pick lists; ``authors`` or ``sources``
    is None when there are more than :data:`PICK_LIST_MAX` (typed, not picked)."""

    statuses: list[str]
    tags: list[str]
    authors: list[str] | None
    sources: list[tuple[str, str]] | None


#: the pick lists in one round trip: each kind with its place in its list, A to Z by the
#: database's collation; the tags by a "loose index scan" (every distinct tag, one step of the
#: tag index each: ``SELECT DISTINCT`` read all 200,000 rows of a big tag table on every forecasts
#: page, and PostgreSQL has no skip scan)
_CHOICES = text(
    """WITH RECURSIVE found(tag, n) AS (
         SELECT min(tag), 1 FROM forecast_tag
         UNION ALL
         SELECT (SELECT min(t.tag) FROM forecast_tag t WHERE t.tag > found.tag), found.n + 1
         FROM found WHERE found.tag IS NOT NULL
       ),
       authors AS (
         SELECT author, row_number() OVER (ORDER BY author) AS n
         FROM (SELECT DISTINCT author FROM source) AS a
         ORDER BY author LIMIT :most
       ),
       sources AS (
         SELECT "key", title, row_number() OVER (ORDER BY "key") AS n
         FROM source ORDER BY "key" LIMIT :most
       )
       SELECT 0 AS kind, n, author AS value, NULL AS title FROM authors
       UNION ALL SELECT 1, n, "key", title FROM sources
       UNION ALL SELECT 2, n, tag, NULL FROM found WHERE tag IS NOT NULL"""
)


def filter_choices(session: Session, most: int | None = None) -> FilterChoices:
    """``most``: the longest pick list (default :data:`PICK_LIST_MAX`).  One query (three were
    a tenth of a forecasts page on PostgreSQL, in round trips)."""
    most = PICK_LIST_MAX if most is None else most
    lists: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    rows = session.execute(_CHOICES, {"most": most + 1}).all()
    for kind, _n, value, title in sorted(rows, key=lambda row: (row[0], row[1])):
        lists[kind].append(value if kind != 1 else (value, title))
    authors, sources, tags = lists
    return FilterChoices(
        statuses=[s.value for s in Status],
        tags=[str(tag) for tag in tags],
        authors=authors if len(authors) <= most else None,
        sources=sources if len(sources) <= most else None,
    )


def _row_of(f: Any, s: Any, tags: dict[str, list[str]], today: date) -> ForecastRow:
    """The list's row of forecast ``f`` and source ``s`` (one row of :data:`_ROW_COLUMNS` for
    both)."""
    return ForecastRow(
        id=f.id,
        status=lifecycle.status_on(f, today).value,
        outcome=f.outcome,
        probability=f.probability,
        estimate=f.estimate,
        vague=f.vague,
        opens=f.opens,
        closes=f.closes,
        tags=tags.get(f.id, []),
        author=s.author,
        source=s.key,
        question=f.question,
        manual=resolved_by_hand(f.yes_when, f.no_when, f.default_at_close),
        question_id=f.question_id,
    )


def _tags_of(session: Session, forecast_ids: list[str]) -> dict[str, list[str]]:
    """Each forecast's tags, A to Z.  Sorted here, not by the query: asked to order by tag,
    SQLite walked the whole tag index in order rather than look up a page's 50 forecasts (130 ms
    at 200,000 tags, not 1 ms)."""
    tags: dict[str, list[str]] = {}
    if not forecast_ids:
        return tags
    rows = session.exec(
        select(col(ForecastTag.forecast_id), col(ForecastTag.tag)).where(
            col(ForecastTag.forecast_id).in_(forecast_ids)
        )
    )
    for forecast_id, tag in rows:
        tags.setdefault(forecast_id, []).append(tag)
    for names in tags.values():
        names.sort()
    return tags


def _history(session: Session, forecast: Forecast) -> list[AuditEntry]:
    """The audit entries of a forecast and of its question, oldest first (before migration 0009
    a question's transitions were recorded under the forecast)."""
    of_forecast = and_(
        col(AuditEntry.entity) == "forecast", col(AuditEntry.entity_id) == forecast.id
    )
    of_question = and_(
        col(AuditEntry.entity) == "question", col(AuditEntry.entity_id) == forecast.question_id
    )
    return list(
        session.exec(
            select(AuditEntry).where(or_(of_forecast, of_question)).order_by(col(AuditEntry.id))
        )
    )


def get_question(session: Session, question_id: str) -> Question:
    question = session.get(Question, question_id)
    if question is None:
        raise NotFoundError("question", question_id, "see `tracker questions list` for the ids")
    return question


def lead_forecast(session: Session, question_id: str) -> Forecast | None:
    """The forecast that defined the question inline (same id), else the first on it by id."""
    inline = session.get(Forecast, question_id)
    if inline is not None and inline.question_id == question_id:
        return inline
    return session.exec(
        select(Forecast)
        .where(col(Forecast.question_id) == question_id)
        .order_by(col(Forecast.id))
        .limit(1)
    ).first()


def question_of(session: Session, forecast_id: str) -> Question:
    """The question the forecast stands on (whose resolution is the forecast's)."""
    return get_question(session, get_forecast(session, forecast_id).question_id)


def get_forecast(session: Session, forecast_id: str) -> Forecast:
    forecast = session.get(Forecast, forecast_id)
    if forecast is None:
        raise NotFoundError("forecast", forecast_id, "see `tracker forecasts list` for the ids")
    return forecast


@dataclass
class ForecastDetail:
    """A forecast with everything about it.  ``status`` is its status on the day it was read
    (see :func:`tracker.domain.lifecycle.status_on`); show it rather than ``forecast.status``."""

    forecast: Forecast
    status: Status
    source: Source
    tags: list[str]
    #: every row of its statements (corrections and the rows they replaced too), by date
    updates: list[ProbabilityUpdate]
    resolutions: list[Resolution]
    audit: list[AuditEntry]
    #: ids of the rows a correction replaced (shown struck through, never scored)
    replaced: set[int] = field(default_factory=set)

    def standing(self) -> list[ProbabilityUpdate]:
        """The statements in force, by date: what the forecast's probability was, day by day."""
        return [u for u in self.updates if u.id not in self.replaced]

    @property
    def corrected(self) -> bool:
        """A statement's value was corrected (a data-entry fix)."""
        return bool(self.replaced)


def forecast_detail(
    session: Session, forecast_id: str, today: date | None = None
) -> ForecastDetail:
    forecast = get_forecast(session, forecast_id)
    source = session.get(Source, forecast.source_id)
    assert source is not None  # a foreign key
    history = statements.history(session, forecast_id)
    return ForecastDetail(
        forecast=forecast,
        status=lifecycle.status_on(forecast, today or utc_today()),
        source=source,
        tags=_tags_of(session, [forecast_id]).get(forecast_id, []),
        updates=history.rows,
        replaced=history.replaced(),
        resolutions=list(
            session.exec(
                select(Resolution)
                .where(col(Resolution.question_id) == forecast.question_id)
                .order_by(col(Resolution.id))
            )
        ),
        audit=_history(session, forecast),
    )
