"""``tracker resolve``, ``tracker review``, ``tracker confirm``, ``tracker reject``,
``tracker resolver-stats`` and ``tracker demo``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tracker import resolution
from tracker.cli._app import app, console, current_user, error_console, state, today
from tracker.cli.forecasts import OutputFormat
from tracker.db import session_scope
from tracker.domain import lifecycle
from tracker.errors import TrackerError
from tracker.models import Outcome


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise TrackerError(f"{option}: {text!r} is not a date; write it as YYYY-MM-DD") from exc


def _progress_bar(label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=error_console,
        transient=not error_console.is_terminal,
    )


@app.command()
def resolve(
    ctx: typer.Context,
    as_of: Annotated[
        Optional[str],
        typer.Option(
            help="the day the deadline check uses (YYYY-MM-DD; default "
            "today): replays use the replayed day"
        ),
    ] = None,
    auto_confirm: Annotated[
        bool,
        typer.Option(
            "--auto-confirm",
            help="turn proposals with an outcome into resolutions at once (demo, batch back-fills)",
        ),
    ] = False,
    rematch: Annotated[
        bool,
        typer.Option(
            "--rematch",
            help="match every stored article again, not only new ones "
            "(after adding forecasts; adds no duplicate evidence)",
        ),
    ] = False,
    by: Annotated[
        Optional[str], typer.Option(help="who auto-confirms (default: your user name)")
    ] = None,
) -> None:
    """Match unprocessed articles against the forecasts, then run the deadline check."""
    st = state(ctx)
    engine = st.ready_engine()
    day = _day(as_of, "--as-of") or today()
    with session_scope(engine) as session:
        lifecycle.close_expired(session, today())
    with _progress_bar("matching articles") as bar:
        task = bar.add_task("match", total=None)
        matched = resolution.catch_up(
            engine,
            resolution.RuleSet(),
            rematch=rematch,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    with session_scope(engine) as session:
        deadline = resolution.check_deadlines(session, day)
    console.print(
        f"Matched {matched.articles} article(s): {matched.evidence} new evidence row(s) "
        f"({matched.negated} negated, shown to reviewers only) for {len(matched.forecasts)} forecast(s)."
    )
    for problem in matched.rule_problems:
        error_console.print(f"  skipped: {problem}", markup=False, highlight=False)
    made = matched.proposals + deadline
    console.print(
        f"Deadline check as of {day}: {len(deadline)} proposal(s); {len(made)} new proposal(s) in all."
    )
    if auto_confirm:
        with session_scope(engine) as session:
            report = resolution.auto_confirm(session, actor=by or current_user())
        console.print(
            f"Auto-confirmed {len(report.confirmed)} proposal(s); "
            f"{len(report.left_for_review)} need an analyst (disputed or not yet resolvable)."
        )
    with session_scope(engine) as session:
        waiting = sum(resolution.counts_by_kind(session).values())
    if waiting:
        console.print(f"{waiting} proposal(s) wait for review: `tracker review`.")


def _print_item(item: resolution.ReviewItem) -> None:
    p, f = item.proposal, item.forecast
    proposed = (p.outcome or "?").upper()
    console.print(
        f"\n[bold]Proposal {p.id}[/bold]  {f.id}: [bold]{proposed}[/bold] ({p.kind.replace('_', ' ')}, "
        f"made {p.created_at:%Y-%m-%d})",
        highlight=False,
    )
    console.print(f"  {f.question}", markup=False, highlight=False)
    console.print(f"  {p.reason}", markup=False, highlight=False, style="dim")
    counting = [e for e in item.evidence if e.counts]
    negated = [e for e in item.evidence if e.negated]
    if counting:
        table = Table(
            "side",
            "published",
            "publisher",
            "sentence",
            "url",
            title="Evidence",
            title_justify="left",
        )
        for e in counting:
            table.add_row(
                e.side, f"{e.published_at:%Y-%m-%d}", e.publisher, e.sentence, e.url or ""
            )
        console.print(table)
    if negated:
        table = Table(
            "side",
            "published",
            "publisher",
            "sentence",
            title="Negated (does not count)",
            title_justify="left",
            style="dim",
        )
        for e in negated:
            table.add_row(e.side, f"{e.published_at:%Y-%m-%d}", e.publisher, e.sentence)
        console.print(table)
    hint = "--outcome yes|no " if item.needs_outcome else ""
    console.print(
        f"  `tracker confirm {p.id} {hint}` or `tracker reject {p.id} --note ...`",
        markup=False,
        highlight=False,
        style="dim",
    )


@app.command()
def review(
    ctx: typer.Context,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    limit: Annotated[Optional[int], typer.Option(min=1, help="at most this many proposals")] = None,
) -> None:
    """Proposals waiting for an analyst (disputed ones included), oldest first, with their evidence."""
    with session_scope(state(ctx).ready_engine()) as session:
        items = resolution.review_queue(session, limit=limit)
    if format is OutputFormat.json:
        print(json.dumps([item.to_json() for item in items], indent=2, ensure_ascii=False))
        return
    if not items:
        console.print("No proposal waits for review.")
        return
    console.print(f"{len(items)} proposal(s) wait for review, oldest first.")
    for item in items:
        _print_item(item)


@app.command()
def confirm(
    ctx: typer.Context,
    proposal_id: Annotated[
        int, typer.Argument(metavar="ID", help="the proposal (see `tracker review`)")
    ],
    outcome: Annotated[
        Optional[Outcome],
        typer.Option(
            help="decide another outcome than the proposed one (needed for disputed proposals)"
        ),
    ] = None,
    note: Annotated[Optional[str], typer.Option(help="why, for the audit log")] = None,
    by: Annotated[
        Optional[str], typer.Option(help="who confirms (default: your user name)")
    ] = None,
) -> None:
    """Confirm a proposal: its forecast is resolved (the evidence links are kept)."""
    with session_scope(state(ctx).ready_engine()) as session:
        resolved = resolution.confirm(
            session, proposal_id, actor=by or current_user(), outcome=outcome, note=note
        )
        forecast_id, final = resolved.forecast_id, resolved.outcome
    console.print(f"Proposal {proposal_id} confirmed: {forecast_id} resolved {final}.")


@app.command()
def reject(
    ctx: typer.Context,
    proposal_id: Annotated[
        int, typer.Argument(metavar="ID", help="the proposal (see `tracker review`)")
    ],
    note: Annotated[str, typer.Option(help="why the proposal is wrong (required)")],
    by: Annotated[Optional[str], typer.Option(help="who rejects (default: your user name)")] = None,
) -> None:
    """Reject a proposal; the forecast stays unresolved, and the same proposal is not made again
    unless a new publisher reports."""
    with session_scope(state(ctx).ready_engine()) as session:
        proposal = resolution.reject(session, proposal_id, actor=by or current_user(), note=note)
        forecast_id = proposal.forecast_id
    console.print(f"Proposal {proposal_id} rejected; {forecast_id} stays unresolved.")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@app.command("resolver-stats")
def resolver_stats(
    ctx: typer.Context,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    author: Annotated[Optional[str], typer.Option(help="author name, or part of it")] = None,
    source: Annotated[
        Optional[str], typer.Option(help="source key (the forecast file's name)")
    ] = None,
    tag: Annotated[Optional[str], typer.Option(help="only forecasts with this tag")] = None,
) -> None:
    """How good the resolver's proposals are: confusion matrix against analysts' outcomes,
    fates, precision by kind, publisher and tag."""
    with session_scope(state(ctx).ready_engine()) as session:
        stats = resolution.resolver_stats(session, author=author, source=source, tag=tag)
    if format is OutputFormat.json:
        print(json.dumps(stats.to_json(), indent=2, ensure_ascii=False))
        return
    from tracker.cli.scoring import _rich
    from tracker.reports import resolver_tables

    for table in resolver_tables(stats):
        console.print(_rich(table))


@app.command()
def demo(
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            help="also write the calibration report here (calibration.html and calibration.json)",
            file_okay=False,
        ),
    ] = None,
    data_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--data-dir",
            help="keep the demo's database, broker and "
            "worker log in this empty or new folder (default: a temporary "
            "one, removed afterwards)",
            file_okay=False,
        ),
    ] = None,
    as_of: Annotated[
        Optional[str],
        typer.Option(
            help="the day of the deadline check (YYYY-MM-DD; default today, "
            "past every close date of the source article)"
        ),
    ] = None,
    forecasts: Annotated[
        Optional[Path],
        typer.Option(
            "--forecasts",
            help="the forecasts/ folder with replay/ (default: the checkout's)",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Replay 2022–2024 news as feeds on 127.0.0.1 and resolve the source article's forecasts
    through the real Celery tasks (embedded mode); prints the scorecard."""
    import tempfile

    from tracker.demo import run_demo

    day = _day(as_of, "--as-of")
    with tempfile.TemporaryDirectory(prefix="tracker-demo-") as scratch:
        folder = data_dir or Path(scratch)
        with Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=error_console,
        ) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int | None) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            result = run_demo(
                folder, forecasts_dir=forecasts, as_of=day, out=out, progress=progress
            )
    _print_demo(result, kept=data_dir)


def _print_demo(result, kept: Path | None) -> None:  # noqa: ANN001 - a DemoResult
    from tracker.cli.scoring import _rich
    from tracker.reports._tables import summary_table

    table = Table(
        "forecast",
        "p",
        "outcome",
        "how",
        "decided on",
        "publishers",
        title=f"{len(result.rows)} forecast(s) resolved from {result.articles} articles of "
        f"{result.feeds} feeds ({result.evidence} evidence rows)",
    )
    for row in result.rows:
        how = (row.proposal_kind or "-").replace("_", " ")
        table.add_row(
            row.forecast_id,
            f"{row.probability:.0%}",
            row.outcome or row.status,
            how,
            row.decisive_on.isoformat() if row.decisive_on else "-",
            ", ".join(row.publishers),
        )
    console.print(table)
    console.print(_rich(summary_table(result.scorecard)))
    if result.left_for_review:
        console.print(
            f"{result.left_for_review} proposal(s) were left for an analyst (disputed or not yet resolvable)."
        )
    for path in result.reports:
        console.print(f"Wrote {path}", markup=False)
    console.print(
        f"Demo finished in {result.seconds['total']:.1f} s"
        + (f"; its data is kept in {kept}" if kept else " (its temporary data dir was removed)")
        + ".",
        markup=False,
    )
