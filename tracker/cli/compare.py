"""``tracker authors list|show``, ``tracker compare A B`` and ``tracker questions list|show``:
comparing forecasters, and the questions they share."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from tracker.scoring import HeadToHead, Interval

from tracker.cli._app import FORECASTS, SCORES, OutputFormat, app, console, state
from tracker.cli._layout import (
    Col,
    Record,
    WideOption,
    json_text,
    print_records,
    print_table,
    untrusted,
)

authors_app = typer.Typer(no_args_is_help=True, help="Authors: their records and comparisons.")
questions_app = typer.Typer(no_args_is_help=True, help="Questions and who forecast them.")
app.add_typer(authors_app, name="authors", rich_help_panel=SCORES)
app.add_typer(questions_app, name="questions", rich_help_panel=FORECASTS)

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="score as of this day (YYYY-MM-DD; default today)")
]
Format = Annotated[OutputFormat, typer.Option("--format")]
Resamples = Annotated[int, typer.Option(help="paired bootstrap resamples", min=0, max=100_000)]


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from exc


def _num(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def _interval(i: Interval | None, spec: str = ".3f") -> str:
    return "-" if i is None else f"[{i.low:{spec}}, {i.high:{spec}}]"


def _dump(data: Any) -> None:
    print(json_text(data))


@authors_app.command("list")
def authors_list(
    ctx: typer.Context,
    as_of: AsOf = None,
    format: Format = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """Every author: forecasts, scored ones, mean Brier with its 95% interval, peer and relative
    scores where they share questions.  Rows with too few scored forecasts are marked."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        rows_ = service.list_authors(session, as_of=_day(as_of))
    if format is OutputFormat.json:
        _dump([r.to_json() for r in rows_])
        return
    rows = [
        [
            r.name + (" *" if r.too_few else ""),
            str(r.forecasts),
            str(r.scored),
            _num(r.brier),
            _interval(r.brier_interval),
            _num(r.comparison.peer if r.comparison else None, ".1f"),
            _num(r.comparison.relative_brier if r.comparison else None, "+.3f"),
        ]
        for r in rows_
    ]
    print_table(
        console,
        AUTHOR_COLUMNS,
        rows,
        title=f"{len(rows)} author(s)",
        caption=f"* fewer than {service.MIN_JUDGED} scored: too few to judge",
        wide=wide,
        styles=["dim" if r.too_few else None for r in rows_],
    )


AUTHOR_COLUMNS = (
    Col("author", "key"),
    Col("forecasts", "number", drop=3),
    Col("scored", "number"),
    Col("Brier", "number"),
    Col("95% interval", "number"),
    Col("peer", "number", drop=2),
    Col("relative Brier", "number", drop=1),
)
QUARTER_COLUMNS = (
    Col("quarter", "key"),
    Col("scored", "number"),
    Col("Brier", "number"),
    Col("running Brier", "number"),
    Col("peer", "number"),
)
DUEL_COLUMNS = (
    Col("against", "key"),
    Col("questions", "number", drop=1),
    Col("Brier (self vs them)", "number", drop=2),
    Col("difference", "number"),
    Col("95% interval", "number"),
    Col("won-lost-tied", "number", drop=3),
    Col("dominates (Murphy)"),
)


def _duel_row(duel: HeadToHead) -> list[str]:
    return [
        duel.b,
        str(duel.questions),
        f"{_num(duel.brier_a)} vs {_num(duel.brier_b)}",
        _num(duel.brier_difference, "+.3f"),
        _interval(duel.brier_interval, "+.3f"),
        f"{duel.wins}-{duel.losses}-{duel.ties}",
        duel.dominance,
    ]


@authors_app.command("show")
def authors_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the author's name, exactly")],
    as_of: AsOf = None,
    resamples: Resamples = 1000,
    format: Format = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """An author's record: scores with intervals, by quarter, and head to head against every
    author and baseline they share a question with."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        record = service.author_record(session, name, as_of=_day(as_of), resamples=resamples)
    if format is OutputFormat.json:
        _dump(record.to_json())
        return
    row = record.row
    console.print(
        untrusted(record.name, "bold").append(
            f": {row.forecasts} forecast(s) in {len(record.sources)} source(s), {row.scored} "
            f"scored; Brier {_num(row.brier)} {_interval(row.brier_interval)}"
            + (f" (too few to judge: under {service.MIN_JUDGED})" if row.too_few else "")
        ),
        highlight=False,
    )
    if row.comparison:
        c = row.comparison
        console.print(
            f"Peer score {_num(c.peer, '.1f')} {_interval(c.peer_interval, '.1f')} and relative "
            f"Brier {_num(c.relative_brier, '+.3f')} over {c.with_peers} forecast(s) with peers.",
            highlight=False,
        )
    quarters = [
        [p.period, str(p.forecasts), _num(p.brier), _num(p.cumulative_brier), _num(p.peer, ".1f")]
        for p in record.over_time
    ]
    print_table(console, QUARTER_COLUMNS, quarters, title="By quarter", wide=wide)
    print_table(
        console,
        DUEL_COLUMNS,
        [_duel_row(duel) for duel in record.head_to_head],
        title="Head to head (negative difference: this author did better)",
        wide=wide,
    )


@app.command("compare", rich_help_panel=SCORES)
def compare(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="an author, or a baseline written market:NAME")],
    b: Annotated[str, typer.Argument(help="another author, or a baseline written market:NAME")],
    as_of: AsOf = None,
    resamples: Resamples = 1000,
    format: Format = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """Two forecasters on the questions both forecast: Brier and log differences with paired
    bootstrap intervals, wins, and whether one dominates under every proper score (Murphy
    diagram).  A baseline is scored at the author's statement dates."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        duel = service.compare_forecasters(session, a, b, as_of=_day(as_of), resamples=resamples)
    if format is OutputFormat.json:
        _dump(duel.to_json())
        return
    title = f"{duel.a} against {duel.b} (differences {duel.a} - {duel.b})"
    print_table(console, DUEL_COLUMNS, [_duel_row(duel)], title=title, wide=wide)
    console.print(
        f"Log loss {_num(duel.log_loss_a)} vs {_num(duel.log_loss_b)}, difference "
        f"{_num(duel.log_loss_difference, '+.3f')} {_interval(duel.log_loss_interval, '+.3f')}; "
        f"{duel.resamples} paired resamples.",
        highlight=False,
    )


@questions_app.command("list")
def questions_list(
    ctx: typer.Context,
    cursor: Annotated[
        str | None, typer.Option(help="the page to show: a cursor printed under the page before")
    ] = None,
    per_page: Annotated[int, typer.Option(min=1, max=500)] = 50,
    format: Format = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """Questions, soonest close first, with their forecasters, a page at a time."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        found = service.list_questions(session, cursor=cursor, per_page=per_page)
    if format is OutputFormat.json:
        _dump(
            {
                "total": found.total,
                "next_cursor": found.next_cursor,
                "prev_cursor": found.prev_cursor,
                "items": [q.to_json() for q in found.items],
            }
        )
        return
    records = [
        Record(
            [
                q.id,
                q.closes.isoformat(),
                q.status + (f" {q.outcome}" if q.outcome else ""),
                str(q.forecasts),
                ", ".join(q.authors),
            ],
            under=[q.text],
        )
        for q in found.items
    ]
    print_records(
        console,
        QUESTION_COLUMNS,
        records,
        title=f"{found.total} question(s), soonest close first",
        caption=_pages_caption(found.next_cursor, found.prev_cursor)
        + "`tracker questions show ID` gives a question with every forecaster on it",
        wide=wide,
    )


def _pages_caption(following: str | None, earlier: str | None) -> str:
    """The options that read the pages around this one (a cursor is long: on a line of its own)."""
    lines = [f"next page: --cursor {following}"] if following else []
    if earlier:
        lines.append(f"page before: --cursor {earlier}")
    return "".join(line + "\n" for line in lines)


QUESTION_COLUMNS = (
    Col("id", "key"),
    Col("closes", "key"),
    Col("status", "key"),
    Col("forecasts", "number"),
    Col("authors", drop=1),
)


@questions_app.command("show")
def questions_show(
    ctx: typer.Context,
    question_id: Annotated[str, typer.Argument(help="the question's id")],
    format: Format = OutputFormat.table,
) -> None:
    """A question: every forecaster's statements over time, its baselines and its resolution."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        view = service.question_view(session, question_id)
        data = view.to_json()
    if format is OutputFormat.json:
        _dump(data)
        return
    console.print(
        untrusted(data["id"], "bold").append_text(untrusted(f": {data['text']}")),
        highlight=False,
    )
    console.print(
        f"{data['opens']} to {data['closes']}, {data['status']}"
        + (f", outcome {data['outcome']}" if data["outcome"] else ""),
        highlight=False,
    )
    rows = [
        [f.author, f.forecast_id, ", ".join(f"{d}: {p:.0%}" for d, p in f.statements)]
        for f in view.forecasts
    ]
    for b in view.baselines:
        last = b.points[-1] if b.points else None
        said = f"{len(b.points)} day(s)" + (f", last {last[0]}: {last[1]:.0%}" if last else "")
        rows.append([f"{b.name} ({b.kind})", "baseline", said])
    print_table(console, FORECASTER_COLUMNS, rows, title="Forecasts")


FORECASTER_COLUMNS = (
    Col("forecaster", "key"),
    Col("forecast", "key"),
    Col("statements (day: probability)"),
)
