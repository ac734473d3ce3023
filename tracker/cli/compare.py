"""``tracker authors list|show``, ``tracker compare A B`` and ``tracker questions list|show``:
comparing forecasters, and the questions they share."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from tracker.scoring import HeadToHead, Interval

from tracker.cli._app import FORECASTS, SCORES, OutputFormat, app, console, state

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
    print(json.dumps(data, indent=2, ensure_ascii=False))


@authors_app.command("list")
def authors_list(
    ctx: typer.Context, as_of: AsOf = None, format: Format = OutputFormat.table
) -> None:
    """Every author: forecasts, scored ones, mean Brier with its 95% interval, peer and relative
    scores where they share questions.  Rows with too few scored forecasts are marked."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        rows = service.list_authors(session, as_of=_day(as_of))
    if format is OutputFormat.json:
        _dump([r.to_json() for r in rows])
        return
    table = Table(
        "author", "forecasts", "scored", "Brier", "95% interval", "peer", "relative Brier",
        title=f"{len(rows)} author(s); * fewer than {service.MIN_JUDGED} scored: too few to judge",
    )  # fmt: skip
    for r in rows:
        c = r.comparison
        table.add_row(
            r.name + (" *" if r.too_few else ""),
            str(r.forecasts),
            str(r.scored),
            _num(r.brier),
            _interval(r.brier_interval),
            _num(c.peer if c else None, ".1f"),
            _num(c.relative_brier if c else None, "+.3f"),
            style="dim" if r.too_few else None,
        )
    console.print(table)


def _duel_row(table: Table, duel: HeadToHead) -> None:
    table.add_row(
        duel.b,
        str(duel.questions),
        f"{_num(duel.brier_a)} vs {_num(duel.brier_b)}",
        _num(duel.brier_difference, "+.3f"),
        _interval(duel.brier_interval, "+.3f"),
        f"{duel.wins}-{duel.losses}-{duel.ties}",
        duel.dominance,
    )


def _duel_table(title: str) -> Table:
    return Table(
        "against", "questions", "Brier (self vs them)", "difference", "95% interval",
        "won-lost-tied", "dominates (Murphy)", title=title,
    )  # fmt: skip


@authors_app.command("show")
def authors_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the author's name, exactly")],
    as_of: AsOf = None,
    resamples: Resamples = 1000,
    format: Format = OutputFormat.table,
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
        f"[bold]{record.name}[/bold]: {row.forecasts} forecast(s) in {len(record.sources)} "
        f"source(s), {row.scored} scored; Brier {_num(row.brier)} {_interval(row.brier_interval)}"
        + (f" (too few to judge: under {service.MIN_JUDGED})" if row.too_few else ""),
        highlight=False,
    )
    if row.comparison:
        c = row.comparison
        console.print(
            f"Peer score {_num(c.peer, '.1f')} {_interval(c.peer_interval, '.1f')} and relative "
            f"Brier {_num(c.relative_brier, '+.3f')} over {c.with_peers} forecast(s) with peers.",
            highlight=False,
        )
    over_time = Table("quarter", "scored", "Brier", "running Brier", "peer", title="By quarter")
    for p in record.over_time:
        over_time.add_row(
            p.period, str(p.forecasts), _num(p.brier), _num(p.cumulative_brier), _num(p.peer, ".1f")
        )
    console.print(over_time)
    duels = _duel_table("Head to head (negative difference: this author did better)")
    for duel in record.head_to_head:
        _duel_row(duels, duel)
    console.print(duels)


@app.command("compare", rich_help_panel=SCORES)
def compare(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="an author, or a baseline written market:NAME")],
    b: Annotated[str, typer.Argument(help="another author, or a baseline written market:NAME")],
    as_of: AsOf = None,
    resamples: Resamples = 1000,
    format: Format = OutputFormat.table,
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
    table = _duel_table(f"{duel.a} against {duel.b} (differences {duel.a} - {duel.b})")
    _duel_row(table, duel)
    console.print(table)
    console.print(
        f"Log loss {_num(duel.log_loss_a)} vs {_num(duel.log_loss_b)}, difference "
        f"{_num(duel.log_loss_difference, '+.3f')} {_interval(duel.log_loss_interval, '+.3f')}; "
        f"{duel.resamples} paired resamples.",
        highlight=False,
    )


@questions_app.command("list")
def questions_list(
    ctx: typer.Context,
    page: Annotated[int, typer.Option(min=1)] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    format: Format = OutputFormat.table,
) -> None:
    """Questions, soonest close first, with their forecasters."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        found = service.list_questions(session, page=page, per_page=per_page)
    if format is OutputFormat.json:
        _dump(
            {"total": found.total, "page": found.page, "items": [q.to_json() for q in found.items]}
        )
        return
    table = Table(
        "id", "closes", "status", "forecasts", "authors", "question",
        title=f"{found.total} question(s); page {found.page} of {found.pages}",
    )  # fmt: skip
    for q in found.items:
        status = q.status + (f" ({q.outcome})" if q.outcome else "")
        table.add_row(
            q.id, q.closes.isoformat(), status, str(q.forecasts), ", ".join(q.authors), q.text
        )
    console.print(table)


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
    console.print(f"[bold]{data['id']}[/bold]: {data['text']}", highlight=False)
    console.print(
        f"{data['opens']} to {data['closes']}, {data['status']}"
        + (f", outcome {data['outcome']}" if data["outcome"] else ""),
        highlight=False,
    )
    table = Table("forecaster", "forecast", "statements (day: probability)", title="Forecasts")
    for f in view.forecasts:
        said = ", ".join(f"{d}: {p:.0%}" for d, p in f.statements)
        table.add_row(f.author, f.forecast_id, said)
    for b in view.baselines:
        last = b.points[-1] if b.points else None
        table.add_row(
            f"{b.name} ({b.kind})",
            "baseline",
            f"{len(b.points)} day(s)" + (f", last {last[0]}: {last[1]:.0%}" if last else ""),
        )
    console.print(table)
