"""Use cases on baselines: import a file, add a market, list them, pull them (now, or queued by
the beat), and read their points for comparisons.

Every rule is :mod:`tracker.baselines`'s: a file is checked whole and refused with every
problem, a market is given by its slug or URL, pulls go through the feeds' guarded client and
back off on failure without losing a stored point.  Imports and additions are in the audit log
(entity ``baseline``); pulls, like feed polls, are not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from tracker import baselines
from tracker.baselines import (
    BaselineImport,
    BaselineInfo,
    BaselineSeries,
    ManifoldClient,
    PullResult,
)
from tracker.clock import utcnow
from tracker.domain import audit
from tracker.errors import InvalidInputError
from tracker.service._taskruns import recorded_run
from tracker.service._unit import unit_of_work
from tracker.settings import Settings, parse_interval

#: the name the beat's run is recorded under (and the task's, after ``tracker.``)
PULL_DUE_BASELINES = "pull_due_baselines"


def import_baseline_file(
    session: Session, path: Path | str, *, actor: str, now: datetime | None = None
) -> BaselineImport:
    """Store every row of a CSV or JSON baseline file, or none: a
    :class:`~tracker.errors.BaselineFileError` lists every problem (probabilities outside 0 to
    1, unknown questions, dates outside a question's window, duplicate rows ...)."""
    done = baselines.import_baseline_file(session, Path(path), now=now or utcnow())
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="baseline",
        entity_id=str(path)[:200],
        detail={
            "baselines": [[name, question] for name, question, _new in done.baselines],
            "added": done.written.added,
            "changed": done.written.changed,
        },
    )
    return done


def add_market_baseline(
    session: Session,
    question_id: str,
    market: str,
    *,
    name: str = "Manifold",
    interval: timedelta | str | None = None,
    actor: str,
    now: datetime | None = None,
) -> BaselineInfo:
    """A Manifold market (its slug or page URL) as a baseline on a question, pulled at once and
    then every ``interval`` (default: the settings' ``baseline_pull_interval_s``)."""
    slug = baselines.market_slug(market)
    baseline = baselines.add_market_baseline(
        session,
        question_id.strip(),
        provider=baselines.PROVIDER,
        slug=slug,
        name=name,
        interval_s=None if interval is None else int(_interval(interval).total_seconds()),
        now=now or utcnow(),
    )
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="baseline",
        entity_id=str(baseline.id),
        detail={"name": baseline.name, "question": question_id, "market": slug},
    )
    return BaselineInfo(baseline, 0, None, None, None)


def _interval(value: timedelta | str) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        return parse_interval(value)
    except ValueError as exc:
        raise InvalidInputError("interval", str(exc)) from exc


def list_baselines(session: Session, question_id: str | None = None) -> list[BaselineInfo]:
    """Every baseline (of one question), with its stored points and its pull state."""
    return baselines.list_baselines(session, question_id)


def baseline_points(
    session: Session, question_ids: Iterable[str]
) -> dict[str, list[BaselineSeries]]:
    """The baselines of each question with their daily points (``baseline_at(series, day)``
    reads the standing value on a day); questions without baselines are left out."""
    return baselines.series_of(session, question_ids)


def baselines_to_pull(
    session: Session,
    *,
    baseline_ids: Sequence[int] = (),
    all_baselines: bool = False,
    now: datetime | None = None,
) -> list[int]:
    """The baselines `tracker baselines pull` pulls: those named (checked to exist), every
    pulled one, or the due ones."""
    if baseline_ids:
        return [baselines.get_baseline(session, i).id or i for i in baseline_ids]
    if all_baselines:
        return baselines.pulled_baseline_ids(session)
    return baselines.due_baseline_ids(session, now or utcnow())


def pull_baseline(
    engine: Engine,
    settings: Settings,
    baseline_id: int,
    client: ManifoldClient | None = None,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> PullResult:
    """Pull one baseline if it is due (``force``: due or not).  Idempotent; a failure is
    recorded on the baseline (kind, message, since when) and retried with backoff, never
    raised, and no stored point is lost."""
    return pull_baselines(engine, settings, [baseline_id], client=client, force=force, now=now)[0]


def pull_baselines(
    engine: Engine,
    settings: Settings,
    baseline_ids: Sequence[int],
    *,
    force: bool,
    client: ManifoldClient | None = None,
    now: datetime | None = None,
    progress: Callable[[PullResult], None] | None = None,
) -> list[PullResult]:
    """Pull each baseline in turn, in this process, on one client (the settings' when none is
    given); ``progress(result)`` after each."""
    own = client is None
    client = client or baselines.make_manifold_client(settings)
    interval = timedelta(seconds=settings.baseline_pull_interval_s)
    results = []
    try:
        for baseline_id in baseline_ids:
            result = baselines.pull_baseline(
                engine,
                client,
                baseline_id,
                default_interval=interval,
                now=now or utcnow(),
                force=force,
            )
            results.append(result)
            if progress is not None:
                progress(result)
    finally:
        if own:
            client.close()
    return results


def pull_due_baselines(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    client: ManifoldClient | None = None,
    progress: Callable[[PullResult], None] | None = None,
) -> list[PullResult]:
    """Pull every baseline due now, in this process."""
    now = now or utcnow()
    with unit_of_work(engine) as session:
        due = baselines.due_baseline_ids(session, now)
    return pull_baselines(
        engine, settings, due, force=False, client=client, now=now, progress=progress
    )


def queue_due_baselines(
    engine: Engine, enqueue: Callable[[int], object], *, now: datetime | None = None
) -> int:
    """The beat's tick: ``enqueue(baseline_id)`` a pull of each baseline due now; returns how
    many (the run is recorded for `tracker status`)."""
    with recorded_run(engine, PULL_DUE_BASELINES) as run:
        with unit_of_work(engine) as session:
            due = baselines.due_baseline_ids(session, now or utcnow())
        for baseline_id in due:
            enqueue(baseline_id)
        run.detail = f"{len(due)} baseline(s) due, pull tasks queued"
    return len(due)
