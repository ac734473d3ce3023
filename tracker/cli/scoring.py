"""``tracker scorecard`` and ``tracker report calibration``."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from tracker.reports import (
        Table,
    )
    from tracker.scoring import ProgressCallback, Scorecard, ScorecardFilter

from tracker.cli._app import SCORES, app, console, error_console, parse_day, state
from tracker.cli._layout import Col, FittedTable, WideOption, json_text, visible

report_app = typer.Typer(no_args_is_help=True, help="Write reports a colleague can open.")
app.add_typer(report_app, name="report", rich_help_panel=SCORES)


class By(str, Enum):
    author = "author"
    source = "source"
    tag = "tag"


class ReportFormatOption(str, Enum):
    """The formats of ``tracker report calibration`` (``tracker.reports.ReportFormat``, named here
    so that parsing the options does not import the report renderers)."""

    html = "html"
    csv = "csv"
    json = "json"
    png = "png"
    md = "md"
    pdf = "pdf"


#: the tables of the CSV report (``tracker.reports.Table.key``; a comparison's only with
#: several forecasters, the resolver's under ``resolver_``), for --table's help
REPORT_TABLES = (
    "summary, calibration, murphy, corp, terms, by_author, by_source, by_tag, sensitivity, "
    "worst, and the comparison_... and resolver_... tables (a wrong name lists them all)"
)


class ScorecardFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _between(values: tuple[str, str] | None) -> tuple[date, date] | None:
    if not values or values[0] is None:
        return None
    first, last = (parse_day(v, "--resolved-between") for v in values)
    assert first is not None and last is not None
    return first, last


@contextmanager
def _progress() -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr while the scorecard is computed (terminals only)."""
    if not error_console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=error_console,
        transient=True,
    ) as bar:
        task = bar.add_task("scoring", total=None)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=max(total, 1))

        yield update


ResolvedBetween = Annotated[
    tuple[str, str] | None,
    typer.Option(
        metavar="A B", help="only forecasts resolved between these dates (YYYY-MM-DD, inclusive)"
    ),
]
AuthorOpt = Annotated[str | None, typer.Option(help="author name, or part of it")]
SourceOpt = Annotated[str | None, typer.Option(help="source key (the forecast file's name)")]
TagOpt = Annotated[str | None, typer.Option(help="only forecasts with this tag")]
ScaleOpt = Annotated[
    str | None,
    typer.Option(
        "--scale", help="re-read the verbal estimates under this scale (see `tracker scale`)"
    ),
]
AsOfOpt = Annotated[
    str | None, typer.Option(help="score as of this day (YYYY-MM-DD; default today)")
]
ResamplesOpt = Annotated[
    int, typer.Option(min=0, max=100_000, help="bootstrap and consistency-band resamples")
]


def _scorecard(ctx: typer.Context, filters: ScorecardFilter) -> Scorecard:
    from tracker import service

    st = state(ctx)
    with service.unit_of_work(st.ready_engine()) as session, _progress() as progress:
        return service.scorecard(session, filters, st.scale, progress)


def _filters(
    author: str | None,
    source: str | None,
    tag: str | None,
    resolved_between: tuple[str, str] | None,
    scale: str | None,
    as_of: str | None,
    resamples: int,
    bins: int = 10,
) -> ScorecardFilter:
    from tracker.scoring import ScorecardFilter

    return ScorecardFilter(
        author=author,
        source=source,
        tag=tag,
        resolved_between=_between(resolved_between),
        scale=scale,
        as_of=parse_day(as_of, "--as-of"),
        resamples=resamples,
        n_bins=bins,
    )


@app.command(rich_help_panel=SCORES)
def scorecard(
    ctx: typer.Context,
    by: Annotated[
        By | None, typer.Option(help="break the scores down by author, source or tag")
    ] = None,
    scale: ScaleOpt = None,
    resolved_between: ResolvedBetween = None,
    format: Annotated[
        ScorecardFormat, typer.Option("--format", help="table, json or csv")
    ] = ScorecardFormat.table,
    author: AuthorOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    as_of: AsOfOpt = None,
    bins: Annotated[
        int, typer.Option(min=2, max=100, help="probability bins of the calibration table")
    ] = 10,
    resamples: ResamplesOpt = 1000,
    costliest: Annotated[
        int,
        typer.Option(
            min=0, max=10_000, help="also list this many costliest forecasts (table format)"
        ),
    ] = 0,
    wide: WideOption = False,
) -> None:
    """Proper scores, their uncertainty and decomposition, of resolved forecasts past their close
    date."""
    from tracker.reports import breakdown_table, sensitivity_table, summary_table, write_csv_table

    filters = _filters(author, source, tag, resolved_between, scale, as_of, resamples, bins)
    card = _scorecard(ctx, filters)
    tables = [summary_table(card)] + ([breakdown_table(card, by.value)] if by else [])
    if format is ScorecardFormat.json:
        print(json_text(card.to_json(), allow_nan=False))
    elif format is ScorecardFormat.csv:
        out = io.StringIO()
        write_csv_table(csv.writer(out, lineterminator="\n"), tables[-1], title_row=False)
        sys.stdout.write(visible(out.getvalue()))  # names from files: no escape code passes
    else:
        if card.sensitivity:
            tables.append(sensitivity_table(card))
        for table in tables:
            console.print(rich_table(table, wide=wide), crop=not wide)
        if costliest:
            console.print(_costliest_table(ctx, filters, costliest, wide), crop=not wide)
        if not card.summary.count:
            console.print(
                "No forecast is both resolved and past its close date yet: nothing to score."
            )


COSTLIEST_COLUMNS = (
    Col("forecast", "key"),
    Col("author", drop=3),
    Col("p", "number"),
    Col("outcome", "key"),
    Col("Brier", "number"),
    Col("time-weighted", "number", drop=2),
    Col("log loss", "number", drop=1),
)


def _costliest_table(
    ctx: typer.Context, filters: ScorecardFilter, n: int, wide: bool
) -> FittedTable:
    from tracker import service

    st = state(ctx)
    with service.unit_of_work(st.ready_engine()) as session:
        found = service.costliest(session, filters, st.scale, n)
    rows = [
        [
            s.id,
            s.author,
            f"{s.probability:.0%}",
            s.outcome,
            f"{s.brier:.4f}",
            f"{s.time_weighted_brier:.4f}",
            f"{s.log_loss:.4f}",
        ]
        for s in found
    ]
    return FittedTable(
        COSTLIEST_COLUMNS,
        rows,
        title=f"Costliest {len(found)} forecast(s)",
        caption="highest Brier first (ties by id); lower is better",
        wide=wide,
    )


#: the columns of a report table kept on a narrow terminal (the others go, last first)
MAIN_COLUMNS = frozenset(
    {
        "value", "count", "n", "Brier", "Brier (0–1)", "Brier 95% low", "Brier 95% high",
        "95% interval low", "95% interval high", "log loss", "sample size", "note",
        "forecasts re-read", "precision",
    }
)  # fmt: skip
#: a first column with values up to this long is a key (a tag, an author), never wrapped
KEY_LENGTH = 24


def rich_table(table: Table, *, wide: bool = False) -> FittedTable:
    """A report table (:mod:`tracker.reports`) for the terminal: numbers never cut, the first
    column and :data:`MAIN_COLUMNS` always shown, the others as the width allows."""
    from tracker.reports import fmt

    rows = [
        [fmt(v, c.digits) for v, c in zip(row, table.columns, strict=True)] for row in table.rows
    ]
    columns = [_column(table, i) for i in range(len(table.columns))]
    return FittedTable(columns, rows, title=table.title, caption=table.note or None, wide=wide)


def _column(table: Table, index: int) -> Col:
    column = table.columns[index]
    values = [row[index] for row in table.rows]
    if index == 0:
        short = all(len(str(v)) <= KEY_LENGTH for v in values)
        return Col(column.label, "key" if short else "text")
    numeric = column.digits is not None or all(
        v is None or isinstance(v, int | float) for v in values
    )
    drop = 0 if column.label in MAIN_COLUMNS else index
    return Col(column.label, "number" if numeric else "text", drop=drop)


@report_app.command("calibration")
def calibration(
    ctx: typer.Context,
    format: Annotated[
        ReportFormatOption, typer.Option("--format", help="html, pdf, csv, json, png or md")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="the file to write (csv: a .zip of one file per table, or with --table a .csv)",
            dir_okay=False,
        ),
    ],
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            metavar="NAME",
            help=f"csv only: write this one table as a CSV file; one of: {REPORT_TABLES}",
        ),
    ] = None,
    author: AuthorOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    scale: ScaleOpt = None,
    resolved_between: ResolvedBetween = None,
    as_of: AsOfOpt = None,
    resamples: ResamplesOpt = 1000,
) -> None:
    """Write the calibration report: a summary in plain words, reliability and CORP diagrams,
    a glossary, then the tables (decomposition, breakdowns, the resolver's record for the same
    forecasts).  pdf prints well (a header on each page); csv is a zip of one file per table."""
    from tracker import service

    filters = _filters(author, source, tag, resolved_between, scale, as_of, resamples)
    card = _scorecard(ctx, filters)
    with service.unit_of_work(state(ctx).ready_engine()) as session:
        written = service.write_report(session, card, format.value, out, table)
    console.print(
        f"Wrote {out} ({format.value}, {written.size:,} bytes): "
        f"{card.summary.count} forecast(s) scored, {written.tables} table(s)."
    )
