"""``tracker resolve``, ``tracker review``, ``tracker confirm``, ``tracker reject`` and
``tracker resolver-stats``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tracker.states import Outcome

if TYPE_CHECKING:
    from tracker import service
    from tracker.resolution import ReviewItem

from tracker.cli._app import (
    REVIEW,
    OutputFormat,
    app,
    console,
    current_user,
    error_console,
    parse_day,
    state,
)


def _progress_bar(label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=error_console,
        transient=not error_console.is_terminal,
    )


@app.command(rich_help_panel=REVIEW)
def resolve(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
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
        str | None, typer.Option(help="who auto-confirms (default: your user name)")
    ] = None,
) -> None:
    """Match unprocessed articles against the forecasts, then run the deadline check."""
    from tracker import service
    from tracker.resolution import RuleSet

    st = state(ctx)
    engine = st.ready_engine()
    with _progress_bar("matching articles") as bar:
        task = bar.add_task("match", total=None)
        done = service.resolution_pass(
            engine,
            RuleSet(),
            as_of=parse_day(as_of, "--as-of"),
            rematch=rematch,
            confirm_as=(by or current_user()) if auto_confirm else None,
            progress=lambda finished, total: bar.update(task, completed=finished, total=total),
        )
    _print_pass(done)


def _print_pass(done: service.ResolutionPass) -> None:
    matched, deadline = done.matched, done.deadline
    console.print(
        f"Matched {matched.articles} article(s): {matched.evidence} new evidence row(s) "
        f"({matched.negated} negated, shown to reviewers only) "
        f"for {len(matched.forecasts)} forecast(s)."
    )
    for problem in matched.rule_problems:
        error_console.print(f"  skipped: {problem}", markup=False, highlight=False)
    console.print(
        f"Deadline check as of {deadline.as_of}: {len(deadline.proposals)} proposal(s); "
        f"{len(done.made)} new proposal(s) in all."
    )
    if done.confirmed is not None:
        console.print(
            f"Auto-confirmed {len(done.confirmed.confirmed)} proposal(s); "
            f"{len(done.confirmed.left_for_review)} need an analyst "
            "(disputed or not yet resolvable)."
        )
    if done.waiting:
        console.print(f"{done.waiting} proposal(s) wait for review: `tracker review`.")


def _print_item(item: ReviewItem) -> None:
    p, f = item.proposal, item.forecast
    proposed = (p.outcome or "?").upper()
    console.print(
        f"\n[bold]Proposal {p.id}[/bold]  {f.id}: [bold]{proposed}[/bold] "
        f"({p.kind.replace('_', ' ')}, "
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


@app.command(rich_help_panel=REVIEW)
def review(
    ctx: typer.Context,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    limit: Annotated[int | None, typer.Option(min=1, help="at most this many proposals")] = None,
) -> None:
    """Proposals waiting for an analyst (disputed ones included), oldest first, with their
    evidence."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        items = service.pending_reviews(session, limit=limit)
    if format is OutputFormat.json:
        print(json.dumps([item.to_json() for item in items], indent=2, ensure_ascii=False))
        return
    if not items:
        console.print("No proposal waits for review.")
        return
    console.print(f"{len(items)} proposal(s) wait for review, oldest first.")
    for item in items:
        _print_item(item)


@app.command(rich_help_panel=REVIEW)
def confirm(
    ctx: typer.Context,
    proposal_id: Annotated[
        int, typer.Argument(metavar="ID", help="the proposal (see `tracker review`)")
    ],
    outcome: Annotated[
        Outcome | None,
        typer.Option(
            help="decide another outcome than the proposed one (needed for disputed proposals)"
        ),
    ] = None,
    note: Annotated[str | None, typer.Option(help="why, for the audit log")] = None,
    by: Annotated[str | None, typer.Option(help="who confirms (default: your user name)")] = None,
) -> None:
    """Confirm a proposal: its forecast is resolved (the evidence links are kept)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        decided = service.confirm_proposal(
            session, proposal_id, actor=by or current_user(), outcome=outcome, note=note
        )
    final = decided.proposal.final_outcome
    console.print(f"Proposal {proposal_id} confirmed: {decided.forecast_id} resolved {final}.")


@app.command(rich_help_panel=REVIEW)
def reject(
    ctx: typer.Context,
    proposal_id: Annotated[
        int, typer.Argument(metavar="ID", help="the proposal (see `tracker review`)")
    ],
    note: Annotated[str, typer.Option(help="why the proposal is wrong (required)")],
    by: Annotated[str | None, typer.Option(help="who rejects (default: your user name)")] = None,
) -> None:
    """Reject a proposal; the forecast stays unresolved, and the same proposal is not made again
    unless a new publisher reports."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        decided = service.reject_proposal(
            session, proposal_id, actor=by or current_user(), note=note
        )
    console.print(f"Proposal {proposal_id} rejected; {decided.forecast_id} stays unresolved.")


@app.command("resolver-stats", rich_help_panel=REVIEW)
def resolver_stats(
    ctx: typer.Context,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    author: Annotated[str | None, typer.Option(help="author name, or part of it")] = None,
    source: Annotated[
        str | None, typer.Option(help="source key (the forecast file's name)")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="only forecasts with this tag")] = None,
) -> None:
    """How good the resolver's proposals are: confusion matrix against analysts' outcomes,
    fates, precision by kind, publisher and tag."""
    from tracker import service
    from tracker.cli.scoring import rich_table
    from tracker.reports import resolver_tables

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        stats = service.resolver_stats(session, author=author, source=source, tag=tag)
    if format is OutputFormat.json:
        print(json.dumps(stats.to_json(), indent=2, ensure_ascii=False))
        return
    for table in resolver_tables(stats):
        console.print(rich_table(table))
