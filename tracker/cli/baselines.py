"""``tracker baselines import|add|list|pull``: markets and crowds as forecasters."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from tracker.service import BaselineInfo, PullResult

from tracker.cli._app import NEWS, OutputFormat, app, console, current_user, error_console, state
from tracker.cli._layout import Col, Record, WideOption, json_text, print_records
from tracker.cli._layout import when as short_when
from tracker.errors import BaselineFileError

baselines_app = typer.Typer(
    no_args_is_help=True,
    help="Markets and crowds as forecasters: import their probabilities, pull a market's.",
)
app.add_typer(baselines_app, name="baselines", rich_help_panel=NEWS)


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes").replace("+00:00", "Z") if value else "-"


@baselines_app.command("import")
def baselines_import(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="a .csv or .json file: question, date, probability, source")
    ],
) -> None:
    """Import a baseline file, all or nothing (every problem is listed)."""
    from tracker import service

    try:
        with service.unit_of_work(state(ctx).ready_engine()) as session:
            done = service.import_baseline_file(session, path, actor=current_user())
    except BaselineFileError as exc:
        if len(exc.problems) > 1:
            for problem in exc.problems:
                error_console.print(str(problem), markup=False, highlight=False)
        raise
    written = done.written
    console.print(
        f"Imported {path}: {len(done.baselines)} baseline(s) ({done.created} new); "
        f"{written.added} day(s) added, {written.changed} changed, "
        f"{written.unchanged} already so.",
        markup=False,
    )


@baselines_app.command("add")
def baselines_add(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="the question's id")],
    market: Annotated[str, typer.Argument(help="a Manifold market: its slug or its page's URL")],
    name: Annotated[str, typer.Option(help="the baseline's name")] = "Manifold",
    interval: Annotated[
        str | None,
        typer.Option(help="pull interval, e.g. 6h, 1d (default: TRACKER_BASELINE_PULL_INTERVAL_S)"),
    ] = None,
) -> None:
    """Add a Manifold market as a baseline on a question; pulled at the next beat (or by
    `tracker baselines pull`)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        added = service.add_market_baseline(
            session, question, market, name=name, interval=interval, actor=current_user()
        )
        baseline = added.baseline
    console.print(
        f"Added baseline {baseline.id}: {baseline.name} on {baseline.question_id} "
        f"(Manifold market {baseline.market}); `tracker baselines pull` pulls it now.",
        markup=False,
    )


def _state_text(info: BaselineInfo) -> str:
    baseline = info.baseline
    if info.state == "failing":
        return (
            f"FAILING ({baseline.error_kind}) x{baseline.consecutive_failures} "
            f"since {_when(baseline.error_since)}"
        )
    return info.state


def _json(info: BaselineInfo) -> dict[str, Any]:
    return {
        **info.baseline.model_dump(mode="json"),
        "state": info.state,
        "points": info.points,
        "first_day": info.first_day.isoformat() if info.first_day else None,
        "last_day": info.last_day.isoformat() if info.last_day else None,
        "latest": info.latest,
    }


@baselines_app.command("list")
def baselines_list(
    ctx: typer.Context,
    question: Annotated[str | None, typer.Option(help="only this question's baselines")] = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """List baselines: their points, their latest value, and for pulled ones their state."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        found = service.list_baselines(session, question)
    if format is OutputFormat.json:
        print(json_text([_json(info) for info in found]))
        return
    print_records(
        console,
        BASELINE_COLUMNS,
        [_baseline_record(info) for info in found],
        title=f"{len(found)} baseline(s)",
        caption="times in UTC; under a pulled baseline: its market, its state and next pull",
        wide=wide,
    )


BASELINE_COLUMNS = (
    Col("id", "number"),
    Col("question", "key"),
    Col("name", "key"),
    Col("kind", "key"),
    Col("latest", "number"),
    Col("days", "number"),
    Col("from - to", "key", drop=1),
)


def _baseline_record(info: BaselineInfo) -> Record:
    b = info.baseline
    under: list[str] = []
    if b.provider:
        pulled = f"{b.provider} {b.market}: {_state_text(info)}"
        under.append(f"{pulled}; next pull {short_when(b.next_pull_at)}")
    if b.last_error:
        under.append(f"last error: {b.last_error}")
    return Record(
        [
            str(b.id),
            b.question_id,
            b.name,
            b.kind,
            "-" if info.latest is None else f"{info.latest:.0%}",
            str(info.points),
            f"{info.first_day} - {info.last_day}" if info.points else "-",
        ],
        under=under,
        style="red" if info.state == "failing" else None,
    )


@baselines_app.command("pull")
def baselines_pull(
    ctx: typer.Context,
    baseline_ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="pull these now, due or not")
    ] = None,
    all_baselines: Annotated[
        bool, typer.Option("--all", help="pull every market baseline now, due or not")
    ] = False,
) -> None:
    """Pull the due market baselines now, in this process (no worker needed)."""
    from tracker import service

    st = state(ctx)
    engine = st.ready_engine()
    with service.unit_of_work(engine) as session:
        ids = service.baselines_to_pull(
            session, baseline_ids=baseline_ids or (), all_baselines=all_baselines
        )
    if not ids:
        console.print("No baseline is due; `tracker baselines list` shows the next pulls.")
        return
    with Progress(
        TextColumn("pulling"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("pull", total=len(ids))
        results = service.pull_baselines(
            engine,
            st.settings,
            ids,
            force=bool(baseline_ids or all_baselines),
            progress=lambda _result: progress.update(task, advance=1),
        )
    _summary(results)


def _summary(results: list[PullResult]) -> None:
    outcomes = Counter(result.outcome for result in results)
    added = sum(result.added for result in results)
    changed = sum(result.changed for result in results)
    console.print(
        f"{len(results)} baseline(s): {added} day(s) added, {changed} changed; "
        + ", ".join(f"{count} {name}" for name, count in sorted(outcomes.items()))
    )
    for result in results:
        if result.error_kind:
            error_console.print(
                f"  baseline {result.baseline_id} {result.error_kind}: {result.message}",
                markup=False,
                highlight=False,
            )
