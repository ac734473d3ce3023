"""``tracker scorecard`` and ``tracker report calibration``."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from tracker.cli._app import app, console, error_console, state, today
from tracker.db import session_scope
from tracker.domain import lifecycle
from tracker.errors import ReportError, ScoringError
from tracker.reports import (
    ReportFormat,
    Table,
    all_tables,
    breakdown_table,
    render_report,
    write_csv_table,
)
from tracker.reports._tables import fmt, sensitivity_table, summary_table
from tracker.resolution import resolver_stats
from tracker.scoring import ProgressCallback, Scorecard, ScorecardFilter, compute_scorecard

report_app = typer.Typer(no_args_is_help=True, help="Write reports a colleague can open.")
app.add_typer(report_app, name="report")


class By(str, Enum):
    author = "author"
    source = "source"
    tag = "tag"


class ScorecardFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ScoringError(option, f"{text!r} is not a date; write it as YYYY-MM-DD") from exc


def _between(values: tuple[str, str] | None) -> tuple[date, date] | None:
    if not values or values[0] is None:
        return None
    first, last = (_parse_day(v, "--resolved-between") for v in values)
    if last < first:
        raise ScoringError(
            "--resolved-between", f"{first} is after {last}; give the earlier date first"
        )
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
    Optional[tuple[str, str]],
    typer.Option(
        metavar="A B", help="only forecasts resolved between these dates (YYYY-MM-DD, inclusive)"
    ),
]
AuthorOpt = Annotated[Optional[str], typer.Option(help="author name, or part of it")]
SourceOpt = Annotated[Optional[str], typer.Option(help="source key (the forecast file's name)")]
TagOpt = Annotated[Optional[str], typer.Option(help="only forecasts with this tag")]
ScaleOpt = Annotated[
    Optional[str],
    typer.Option(
        "--scale", help="re-read the verbal estimates under this scale (see `tracker scale`)"
    ),
]
AsOfOpt = Annotated[
    Optional[str], typer.Option(help="score as of this day (YYYY-MM-DD; default today)")
]
ResamplesOpt = Annotated[
    int, typer.Option(min=0, max=100_000, help="bootstrap and consistency-band resamples")
]


def _scorecard(ctx: typer.Context, filters: ScorecardFilter) -> Scorecard:
    st = state(ctx)
    if filters.scale:
        st.scale.entries(filters.scale)  # an unknown scale fails now, with the list of known ones
    with session_scope(st.ready_engine()) as session, _progress() as progress:
        lifecycle.close_expired(session, today())
        return compute_scorecard(session, filters, st.scale, progress)


def _filters(
    author, source, tag, resolved_between, scale, as_of, resamples, bins=10
) -> ScorecardFilter:  # noqa: ANN001
    return ScorecardFilter(
        author=author,
        source=source,
        tag=tag,
        resolved_between=_between(resolved_between),
        scale=scale,
        as_of=_parse_day(as_of, "--as-of") if as_of else today(),
        resamples=resamples,
        n_bins=bins,
    )


@app.command()
def scorecard(
    ctx: typer.Context,
    by: Annotated[
        Optional[By], typer.Option(help="break the scores down by author, source or tag")
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
) -> None:
    """Proper scores, their uncertainty and decomposition, of resolved forecasts past their close date."""
    card = _scorecard(
        ctx, _filters(author, source, tag, resolved_between, scale, as_of, resamples, bins)
    )
    tables = [summary_table(card)] + ([breakdown_table(card, by.value)] if by else [])
    if format is ScorecardFormat.json:
        print(json.dumps(card.to_json(), indent=2, ensure_ascii=False, allow_nan=False))
    elif format is ScorecardFormat.csv:
        write_csv_table(csv.writer(sys.stdout, lineterminator="\n"), tables[-1], title_row=False)
    else:
        if card.sensitivity:
            tables.append(sensitivity_table(card))
        for table in tables:
            console.print(_rich(table))
        if not card.summary.count:
            console.print(
                "No forecast is both resolved and past its close date yet: nothing to score."
            )


def _rich(table: Table) -> RichTable:
    out = RichTable(
        *(c.label for c in table.columns), title=table.title, caption=table.note or None
    )
    for row in table.rows:
        out.add_row(*(fmt(v, c.digits) for v, c in zip(row, table.columns)))
    return out


@report_app.command("calibration")
def calibration(
    ctx: typer.Context,
    format: Annotated[ReportFormat, typer.Option("--format", help="html, csv, json, png or md")],
    out: Annotated[Path, typer.Option("--out", help="the file to write", dir_okay=False)],
    author: AuthorOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    scale: ScaleOpt = None,
    resolved_between: ResolvedBetween = None,
    as_of: AsOfOpt = None,
    resamples: ResamplesOpt = 1000,
) -> None:
    """Write the calibration report: reliability and CORP diagrams, tables, decomposition, breakdowns."""
    card = _scorecard(ctx, _filters(author, source, tag, resolved_between, scale, as_of, resamples))
    with session_scope(state(ctx).ready_engine()) as session:
        resolver = resolver_stats(session, author=author, source=source, tag=tag)
    data = render_report(card, format, resolver=resolver)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise ReportError(
            f"cannot write the report ({exc.strerror or exc}); choose another --out", out
        ) from exc
    console.print(
        f"Wrote {out} ({format.value}, {len(data):,} bytes): {card.summary.count} forecast(s) scored, "
        f"{len(all_tables(card, resolver))} tables."
    )
