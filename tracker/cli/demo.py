"""``tracker demo``: the whole pipeline on the replay corpus, with progress bars."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from tracker.cli._app import WEB_AND_WORKERS, app, console, error_console, parse_day

if TYPE_CHECKING:
    from tracker.demo import DemoResult


@app.command(rich_help_panel=WEB_AND_WORKERS)
def demo(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="also write the calibration report here (calibration.html and calibration.json)",
            file_okay=False,
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="keep the demo's database, broker and "
            "worker log in this empty or new folder (default: a temporary "
            "one, removed afterwards)",
            file_okay=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="the day of the deadline check (YYYY-MM-DD; default today, "
            "past every close date of the source article)"
        ),
    ] = None,
    forecasts: Annotated[
        Path | None,
        typer.Option(
            "--forecasts",
            help="the forecasts/ folder with replay/ (default: the checkout's)",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Replay 2022–2024 news as feeds on 127.0.0.1 and resolve the source article's forecasts
    through the real Celery tasks (embedded mode); prints the scorecard."""
    from tracker.demo import run_demo

    day = parse_day(as_of, "--as-of")
    with tempfile.TemporaryDirectory(prefix="tracker-demo-") as scratch:
        folder = data_dir or Path(scratch)
        with Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=error_console,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int | None) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            result = run_demo(
                folder, forecasts_dir=forecasts, as_of=day, out=out, progress=progress
            )
    _print_demo(result, kept=data_dir)


def _print_demo(result: DemoResult, kept: Path | None) -> None:
    from tracker.cli.scoring import rich_table
    from tracker.reports import summary_table

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
    console.print(rich_table(summary_table(result.scorecard)))
    if result.left_for_review:
        console.print(
            f"{result.left_for_review} proposal(s) were left for an analyst "
            "(disputed or not yet resolvable)."
        )
    for path in result.reports:
        console.print(f"Wrote {path}", markup=False)
    console.print(
        f"Demo finished in {result.seconds['total']:.1f} s"
        + (f"; its data is kept in {kept}" if kept else " (its temporary data dir was removed)")
        + ".",
        markup=False,
    )
