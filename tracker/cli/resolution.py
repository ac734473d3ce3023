"""``tracker resolve``, ``tracker review``, ``tracker confirm``, ``tracker reject`` and
``tracker resolver-stats``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tracker.states import Outcome

if TYPE_CHECKING:
    from sqlalchemy import Engine

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
from tracker.cli._layout import json_text
from tracker.cli._review_card import KEYS, keys_prompt, print_card, print_needs_outcome


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


def _answer(item: ReviewItem) -> str:
    """One key from the analyst for ``item`` (see :data:`KEYS`); the end of the input quits.
    (``typer.getchar`` is click's ``getchar`` of the click that typer carries.)"""
    while True:
        console.print(keys_prompt() + ": ", end="", markup=False, highlight=False)
        key = typer.getchar().lower() or "q"
        console.print(key, markup=False, highlight=False)
        if key == "c" and item.needs_outcome:
            console.print(
                f"Proposal {item.proposal.id} proposes no outcome: press y or n (or r, s, q).",
                highlight=False,
            )
        elif key in KEYS:
            return key
        else:
            console.print("press one of " + ", ".join(KEYS), highlight=False)


def _decide(engine: Engine, item: ReviewItem, key: str, actor: str) -> str:
    """Carry out ``key`` on ``item``'s proposal, in a unit of work of its own; what was done."""
    from tracker import service

    proposal_id = item.proposal.id or 0
    if key == "s":
        return "skipped"
    if key == "r":
        note = typer.prompt("Why reject?")
        with service.unit_of_work(engine) as session:
            service.reject_proposal(session, proposal_id, actor=actor, note=note)
        console.print(f"Proposal {proposal_id} rejected.", highlight=False)
        return "rejected"
    outcome = {"y": Outcome.YES, "n": Outcome.NO}.get(key)
    with service.unit_of_work(engine) as session:
        decided = service.confirm_proposal(session, proposal_id, actor=actor, outcome=outcome)
    final = decided.proposal.final_outcome
    console.print(f"Proposal {proposal_id} confirmed: {decided.forecast_id} resolved {final}.")
    return "confirmed"


def _walk(ctx: typer.Context, *, limit: int | None, by: str | None) -> None:
    """`tracker review --interactive`: one card at a time, one key each."""
    from tracker import service

    engine = state(ctx).ready_engine()
    with service.unit_of_work(engine) as session:
        items = service.pending_reviews(session, limit=limit)
    if not items:
        console.print("No proposal waits for review.")
        return
    done = dict.fromkeys(("confirmed", "rejected", "skipped"), 0)
    for n, item in enumerate(items, 1):
        console.print(f"\n[{n}/{len(items)}]", markup=False, highlight=False)
        print_card(console, item)
        key = _answer(item)
        if key == "q":
            break
        done[_decide(engine, item, key, by or current_user())] += 1
    console.print(
        f"\nConfirmed {done['confirmed']}, rejected {done['rejected']}, "
        f"skipped {done['skipped']}; `tracker review` lists what is left.",
        highlight=False,
    )


@app.command(rich_help_panel=REVIEW)
def review(
    ctx: typer.Context,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    limit: Annotated[int | None, typer.Option(min=1, help="at most this many proposals")] = None,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="one card at a time, one key each: c confirm as proposed, y / n confirm yes / "
            "no, r reject (asks why), s skip, q quit",
        ),
    ] = False,
    by: Annotated[
        str | None, typer.Option(help="who decides with --interactive (default: your user name)")
    ] = None,
) -> None:
    """Proposals waiting for an analyst (disputed ones included), oldest first, each with the
    question, criteria, quote and probability, then its evidence (URLs whole, one a line); then
    the forecasts that need an outcome (a proposal rejected after the close date)."""
    from tracker import service

    if interactive:
        _walk(ctx, limit=limit, by=by)
        return
    with service.unit_of_work(state(ctx).ready_engine()) as session:
        items = service.pending_reviews(session, limit=limit)
        limbo = service.needs_outcome(session)
    if format is OutputFormat.json:
        print(json_text([item.to_json() for item in items]))
        return
    if items:
        console.print(f"{len(items)} proposal(s) wait for review, oldest first.")
    else:
        console.print("No proposal waits for review.")
    for item in items:
        print_card(console, item)
    if limbo:
        many = len(limbo) != 1
        console.print(
            f"\n{len(limbo)} forecast{'s need' if many else ' needs'} an outcome: a proposal was "
            "rejected after the close date, and none will be made again.",
            highlight=False,
        )
    for card in limbo:
        print_needs_outcome(console, card)


@app.command(rich_help_panel=REVIEW)
def confirm(
    ctx: typer.Context,
    proposal_ids: Annotated[
        list[int],
        typer.Argument(
            metavar="ID...",
            help="one or more proposals (see `tracker review`); several are confirmed as "
            "proposed, all or none",
        ),
    ],
    outcome: Annotated[
        Outcome | None,
        typer.Option(
            help="decide another outcome than the proposed one (needed for disputed proposals; "
            "one id only)"
        ),
    ] = None,
    note: Annotated[str | None, typer.Option(help="why, for the audit log")] = None,
    by: Annotated[str | None, typer.Option(help="who confirms (default: your user name)")] = None,
) -> None:
    """Confirm proposals: their forecasts are resolved (the evidence links are kept).  Every id
    is checked before any is confirmed; then one line per confirmed id."""
    from tracker import service

    if outcome is not None and len(proposal_ids) > 1:
        raise typer.BadParameter(
            "decides one proposal: give one id with it", param_hint="--outcome"
        )
    actor = by or current_user()
    with service.unit_of_work(state(ctx).ready_engine()) as session:
        if len(proposal_ids) == 1:
            decided = [
                service.confirm_proposal(
                    session, proposal_ids[0], actor=actor, outcome=outcome, note=note
                )
            ]
        else:
            decided = service.confirm_many(session, proposal_ids, actor=actor, note=note)
    for d in decided:
        final = d.proposal.final_outcome
        console.print(f"Proposal {d.proposal.id} confirmed: {d.forecast_id} resolved {final}.")


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
        print(json_text(stats.to_json()))
        return
    for table in resolver_tables(stats):
        console.print(rich_table(table))
