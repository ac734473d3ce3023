"""``tracker demo``: the whole pipeline on the replay corpus, with progress bars, its data kept in
the data dir; ``tracker demo --serve-feeds``: the replay corpus as sample feeds on 127.0.0.1."""

from __future__ import annotations

import shlex
import time
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

from tracker.cli._app import WEB_AND_WORKERS, app, console, error_console, parse_day, state
from tracker.cli._layout import Col, WideOption, print_table

if TYPE_CHECKING:
    from tracker.demo import DemoResult

#: the demo's default feeds port (tracker.demo.FEEDS_PORT, repeated here so that `--help` does
#: not import the demo's module; tests/test_demo.py checks that they agree)
FEEDS_PORT = 8765

#: the demo's table: the publishers, then how each was decided, go first on a narrow terminal
DEMO_COLUMNS = (
    Col("forecast", "key"),
    Col("p", "number"),
    Col("outcome", "key"),
    Col("how", "text", drop=2),
    Col("decided on", "number"),
    Col("publishers", "text", drop=1),
)


@app.command(rich_help_panel=WEB_AND_WORKERS)
def demo(
    ctx: typer.Context,
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
            help="keep the demo's database, broker and worker logs in this folder (default: the "
            "data dir, TRACKER_DATA_DIR); a previous demo's data there is replaced",
            file_okay=False,
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="overwrite a tracker database in the data dir that the demo did not make "
            "(without it, such a folder is refused)",
        ),
    ] = False,
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
    serve_feeds: Annotated[
        bool,
        typer.Option(
            "--serve-feeds",
            help="instead of the demo: serve the replay corpus as feeds on 127.0.0.1 until "
            "Ctrl-C, printing the `tracker feeds add` line of each",
        ),
    ] = False,
    feeds_port: Annotated[
        int,
        typer.Option(
            "--feeds-port",
            min=0,
            max=65535,
            help="the port on 127.0.0.1 the corpus is served on (0: any free port)",
        ),
    ] = FEEDS_PORT,
    wide: WideOption = False,
) -> None:
    """Replay 2022–2024 news as feeds on 127.0.0.1 and resolve the source article's forecasts
    through the real Celery tasks (embedded mode), keeping the data in the data dir for
    `tracker serve`; prints the scorecard."""
    if serve_feeds:
        _serve_feeds(forecasts, feeds_port)
        return
    from tracker.demo import demo_settings, run_demo

    day = parse_day(as_of, "--as-of")
    folder = data_dir or state(ctx).settings.data_dir
    console.print(demo_settings(folder).location_line(), markup=False, soft_wrap=True)
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
            folder,
            forecasts_dir=forecasts,
            as_of=day,
            out=out,
            progress=progress,
            replace=replace,
            feeds_port=feeds_port,
        )
    _print_demo(result, wide=wide)
    _print_next_steps(folder, default=state(ctx).settings.data_dir)


def _serve_feeds(forecasts: Path | None, port: int) -> None:
    """Serve the replay corpus until Ctrl-C; print how to add its feeds."""
    from tracker.demo import CorpusServer, default_forecasts_dir

    replay = (forecasts or default_forecasts_dir()) / "replay"
    with CorpusServer(replay, port) as server:
        host, bound = server.server_address[:2]
        console.print(
            f"Serving the replay corpus's {len(server.feeds)} feeds on {host!s}:{bound}; "
            "Ctrl-C stops. To add them to a data dir (feeds on loopback pass the SSRF guard only "
            "with TRACKER_ALLOW_PRIVATE_FEEDS=1; the demo's data dir has them already):",
            markup=False,
        )
        for url, teasers, publisher in server.feed_urls():
            console.print(
                f"TRACKER_ALLOW_PRIVATE_FEEDS=1 tracker feeds add {url} --interval 15m "
                f"--publisher {publisher}" + (" --full-text" if teasers else ""),
                markup=False,
                soft_wrap=True,  # one line each, to copy whole
            )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("Stopped.")


def _print_demo(result: DemoResult, *, wide: bool = False) -> None:
    from tracker.cli.scoring import rich_table
    from tracker.reports import summary_table

    rows = [
        (
            row.forecast_id,
            f"{row.probability:.0%}",
            row.outcome or row.status,
            (row.proposal_kind or "-").replace("_", " "),
            row.decisive_on.isoformat() if row.decisive_on else "-",
            ", ".join(row.publishers),
        )
        for row in result.rows
    ]
    resolved = sum(row.status == "resolved" for row in result.rows)
    print_table(
        console,
        DEMO_COLUMNS,
        rows,
        title=f"{resolved} of {len(rows)} forecast(s) resolved from {result.articles} articles "
        f"of {result.feeds} feeds ({result.evidence} evidence rows)",
        wide=wide,
    )
    console.print(rich_table(summary_table(result.scorecard)))
    if result.left_for_review:
        console.print(
            f"{result.left_for_review} proposal(s) were left for an analyst "
            "(disputed or not yet resolvable): the review queue."
        )
    for path in result.reports:
        console.print(f"Wrote {path}", markup=False)
    console.print(
        f"Demo finished in {result.seconds['total']:.1f} s; its data is kept in {result.data_dir}.",
        markup=False,
    )


def _print_next_steps(folder: Path, *, default: Path) -> None:
    """The README's next lines, for this data dir (named when it is not the default one)."""
    prefix = (
        ""
        if folder.resolve() == default.resolve()
        else f"TRACKER_DATA_DIR={shlex.quote(str(folder))} "
    )
    console.print("Next: an analyst account (for the review queue), then the web app:")
    for line in (f"{prefix}tracker users add NAME", f"{prefix}tracker serve"):
        console.print(f"  {line}", markup=False, soft_wrap=True)
