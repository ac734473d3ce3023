"""``tracker forecasts ...``, ``tracker resolve-manually``, ``tracker reopen`` and ``tracker
scale``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.padding import Padding
from rich.text import Text

from tracker.states import Outcome, Status

if TYPE_CHECKING:
    from tracker.domain.registry import ForecastDetail
    from tracker.resolution import ForecastResolutionSummary
    from tracker.scoring import OwnScore
    from tracker.search import ForecastHit

from tracker.cli._app import (
    FORECASTS,
    REVIEW,
    OutputFormat,
    app,
    console,
    current_user,
    error_console,
    print_problems,
    state,
)
from tracker.cli._hits import SearchCommand, hit_page_json, print_hit_page, snippet_text
from tracker.cli._layout import (
    Cell,
    Col,
    Record,
    WideOption,
    json_text,
    key_values,
    print_fields,
    print_records,
    print_url,
    untrusted,
    when,
)

forecasts_app = typer.Typer(no_args_is_help=True, help="Import, list and inspect forecasts.")
app.add_typer(forecasts_app, name="forecasts", rich_help_panel=FORECASTS)


@forecasts_app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="forecast files, or folders of them")],
) -> None:
    """Validate and import forecast files, all or nothing; re-importing is safe."""
    from tracker import service

    st = state(ctx)
    with service.unit_of_work(st.ready_engine()) as session:
        report = service.import_forecasts(
            session, paths, st.scale, actor=current_user(), settings=st.settings
        )
    console.print(
        f"Imported {report.files} file(s): {len(report.created)} new, {len(report.updated)} "
        "updated, "
        f"{len(report.unchanged)} unchanged forecast(s)."
    )
    for forecast_id, old, new in report.probability_changes:
        console.print(f"  {forecast_id}: probability {old:.0%} -> {new:.0%}")
    for forecast_id, as_of in report.statements:
        console.print(f"  {forecast_id}: statement of {as_of.isoformat()} added")
    for forecast_id, as_of, old, new in report.corrections:
        console.print(f"  {forecast_id}: statement of {as_of.isoformat()} {old:.0%} -> {new:.0%}")
    for forecast_id, as_of in report.removed:
        console.print(f"  {forecast_id}: statement of {as_of.isoformat()} removed (not in file)")
    if report.closed:
        console.print(f"  closed (past their close date): {', '.join(report.closed)}")


@forecasts_app.command("check")
def check(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="forecast files, or folders of them")],
) -> None:
    """Validate forecast files as an import would, without importing (no database needed):
    every problem is listed, one a line."""
    from tracker import service

    st = state(ctx)
    found = service.check_forecasts(paths, st.scale, st.settings)
    if found.problems:
        print_problems(found.problems)
        error_console.print(
            f"Error: {len(found.problems)} problem(s) in {found.files} file(s)",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    questions = f" and {found.questions} question(s)" if found.questions else ""
    console.print(f"ok: {found.forecasts} forecast(s){questions} in {found.files} file(s)")


@forecasts_app.command("new")
def new() -> None:
    """Print a blank forecast file: every field, with what it means (fill in each <<...>>,
    then `tracker forecasts check FILE`)."""
    from tracker import service

    print(service.forecast_template(), end="")


# the filters the forecasts list and the forecasts search share
StatusOpt = Annotated[Status | None, typer.Option(help="only forecasts with this status")]
TagOpt = Annotated[str | None, typer.Option(help="only forecasts with this tag")]
AuthorOpt = Annotated[str | None, typer.Option(help="author name, or part of it")]
SourceOpt = Annotated[str | None, typer.Option(help="source key (the forecast file's name)")]


@forecasts_app.command("list")
def list_(
    ctx: typer.Context,
    status: StatusOpt = None,
    tag: TagOpt = None,
    author: AuthorOpt = None,
    source: SourceOpt = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """List forecasts, soonest close date first (the status is today's: a forecast past its
    close date is closed)."""
    from tracker import service
    from tracker.domain.registry import ForecastFilter

    where = ForecastFilter(status=status, tag=tag, author=author, source=source)
    with service.unit_of_work(state(ctx).ready_engine()) as session:
        listed = service.list_forecasts(session, where)
        if format is OutputFormat.json:  # every score; the table shows the Brier score only
            resolved = [item.row.id for item in listed if item.row.status == Status.RESOLVED]
            scores = service.own_scores(session, resolved)
    if format is OutputFormat.json:
        print(
            json_text(
                [
                    {**item.to_json(), "score": _score_json(scores.get(item.row.id))}
                    for item in listed
                ]
            )
        )
        return
    records = [_forecast_record(item) for item in listed]
    print_records(
        console,
        FORECAST_COLUMNS,
        records,
        title=f"{len(listed)} forecast(s)",
        caption="Brier: each resolved forecast's score (0-1), lower is better; "
        "`tracker forecasts show ID` gives the whole forecast",
        wide=wide,
    )


FORECAST_COLUMNS = (
    Col("id", "key"),
    Col("status", "key"),
    Col("p", "number"),
    Col("closes", "key", drop=2),
    Col("Brier", "number", drop=1),
    Col("estimate", wide_only=True),
    Col("tags", wide_only=True),
    Col("proposal", wide_only=True),
)


HIT_COLUMNS = (
    Col("id", "key"),
    Col("status", "key"),
    Col("closes", "key", drop=2),
    Col("author", drop=1),
)


def _hit_record(hit: ForecastHit) -> Record:
    under: list[Cell] = [untrusted(hit.question)]
    if hit.snippet:
        under.append(snippet_text(hit.snippet))
    return Record([hit.forecast_id, hit.status, hit.closes.isoformat(), hit.author], under=under)


def _hit_json(hit: ForecastHit) -> dict[str, Any]:
    return {
        "id": hit.forecast_id,
        "question": hit.question,
        "author": hit.author,
        "closes": hit.closes.isoformat(),
        "status": hit.status,
        "tier": hit.tier,
        "snippet": [{"text": text, "hit": hit_word} for text, hit_word in hit.snippet],
    }


@forecasts_app.command("search", cls=SearchCommand)
def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            help='words, "a phrase", prefix*, -exclude, OR (README, "Search syntax")',
        ),
    ],
    status: StatusOpt = None,
    tag: TagOpt = None,
    author: AuthorOpt = None,
    source: SourceOpt = None,
    cursor: Annotated[
        str | None, typer.Option(help="the page after this cursor (printed under a page)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="hits per page")] = 20,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """Forecasts the full-text search finds in questions, quotes, criteria, authors and
    sources: every word in the question first, then in question and quote, then anywhere;
    soonest close date first within each.  The hit words are bold in each snippet."""
    from tracker import service
    from tracker.domain.registry import ForecastFilter

    where = ForecastFilter(status=status, tag=tag, author=author, source=source)
    with service.unit_of_work(state(ctx).ready_engine()) as session:
        found = service.search_forecast_text(session, query, where, cursor=cursor, per_page=limit)
    if format is OutputFormat.json:
        print(hit_page_json([_hit_json(hit) for hit in found.items], found.next_cursor))
        return
    print_hit_page(
        console,
        noun="forecast",
        columns=HIT_COLUMNS,
        records=[_hit_record(hit) for hit in found.items],
        next_cursor=found.next_cursor,
        command=["tracker", "forecasts", "search", query],
        options={
            "--status": status.value if status else None,
            "--tag": tag,
            "--author": author,
            "--source": source,
        },
        limit=limit,
        wide=wide,
    )


def _status(status: str, outcome: str | None) -> str:
    """The status with its outcome, as the web page's badge: ``resolved yes``."""
    return f"{status} {outcome}" if outcome else status


def _forecast_record(item: Any) -> Record:
    from tracker.scoring import standing_brier

    row = item.row
    brier = standing_brier(row.probability, row.outcome) if row.status == Status.RESOLVED else None
    estimate = untrusted(row.estimate)
    if row.vague:
        estimate.append(" (vague)", style="dim")
    return Record(
        [
            row.id,
            _status(row.status, row.outcome),
            f"{row.probability:.0%}",
            row.closes.isoformat(),
            "" if brier is None else f"{brier:.4f}",
            estimate,
            ", ".join(row.tags),
            _proposal_text(item.resolution, manual=row.manual),
        ],
        under=[row.question],
    )


def _score_json(score: OwnScore | None) -> dict[str, Any] | None:
    """A forecast's own scores as the API gives them (null until it is resolved yes or no)."""
    if score is None:
        return None
    return {k: v for k, v in score.to_json().items() if k not in {"id", "author", "question"}}


def _score_text(score: OwnScore | None) -> str:
    if score is None:
        return "none (scored once resolved yes or no)"
    peer = f", peer {score.peer:.1f}" if score.peer is not None else ""
    return (
        f"Brier {score.brier:.4f} (time-weighted {score.time_weighted_brier:.4f}), "
        f"log loss {score.log_loss:.4f} nats{peer}; lower is better "
        "(0 is certainty that came true, 0.25 a 50% forecast)"
    )


def _proposal_text(summary: ForecastResolutionSummary, *, manual: bool) -> str:
    p = summary.proposal
    if p is None and manual:
        return "manual (no rules)"
    if p is None:
        return f"- ({summary.evidence} evidence)" if summary.evidence else "-"
    return f"{(p.outcome or p.kind.replace('_', ' '))} #{p.id} ({p.evidence_count} evidence)"


@forecasts_app.command("show")
def show(
    ctx: typer.Context,
    forecast_id: Annotated[str, typer.Argument(metavar="ID")],
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """One forecast with its quote, rules, probability history, resolutions, audit log and, once
    resolved yes or no, its own scores."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        detail = service.forecast_detail(session, forecast_id)
        score = service.own_scores(session, [forecast_id]).get(forecast_id)
    if format is OutputFormat.json:
        data = {**_detail_json(detail), "score": _score_json(score)}
        print(json_text(data, default=str))
        return
    _print_detail(detail, score)


def _detail_json(detail: ForecastDetail) -> dict[str, Any]:
    data = detail.forecast.model_dump(mode="json")
    data["status"] = detail.status.value
    data["tags"] = detail.tags
    data["source"] = detail.source.model_dump(mode="json")
    data["probability_history"] = [u.model_dump(mode="json") for u in detail.updates]
    data["resolutions"] = [r.model_dump(mode="json") for r in detail.resolutions]
    data["audit"] = [a.model_dump(mode="json") for a in detail.audit]
    return data


def _print_detail(detail: ForecastDetail, score: OwnScore | None) -> None:
    """The forecast as its web page shows it: the question, the quote with its source, the
    probability and its history, the resolution rules as lists, the resolutions, the score and
    the audit log with its details as ``key: value`` lines."""
    _print_heading(detail)
    _print_quote(detail)
    _print_probability(detail)
    _print_rules(detail)
    _print_resolutions(detail)
    print_fields(console, [("Score", _score_text(score))], indent=2)
    _print_audit(detail)


def _section(title: str) -> None:
    console.print()
    console.print(Text(title, style="bold underline"))


def _print_heading(detail: ForecastDetail) -> None:
    f = detail.forecast
    heading = untrusted(f.id, style="bold").append(f"  {_status(detail.status.value, f.outcome)}")
    console.print(heading)
    console.print(untrusted(f.question))
    when_text = f"open {f.opens} to {f.closes}"
    if f.question_id != f.id:
        when_text += f"; question: {f.question_id}"
    console.print(untrusted(when_text, style="dim"))


def _print_quote(detail: ForecastDetail) -> None:
    f, s = detail.forecast, detail.source
    console.print()
    console.print(Padding(untrusted(f"“{f.quote}”", style="italic"), (0, 0, 0, 2)))
    where = ", ".join(str(part) for part in (s.title, s.publisher, s.published) if part)
    console.print(Padding(untrusted(f"— {s.author}, {where}"), (0, 0, 0, 2)))
    if s.url:
        print_url(console, s.url, indent=2)


def _print_probability(detail: ForecastDetail) -> None:
    f = detail.forecast
    _section("Probability")
    said = Text(f"  {f.probability:.0%}", style="bold")
    said.append_text(untrusted(f" from the author's “{f.estimate}”"))
    if f.vague:
        said.append(" (a vague term)", style="dim")
    if f.probability_from_scale:
        said.append(" (from the estimative scale)", style="dim")
    console.print(said)
    if f.corrected_after_resolution:
        console.print(Text("  corrected after resolution ✱: the scorecard flags it", style="dim"))
    records = [_statement_record(detail, u) for u in detail.updates]
    print_records(console, STATEMENT_COLUMNS, records, indent=2)


STATEMENT_COLUMNS = (
    Col("as of", "key"),
    Col("p", "number"),
    Col("estimate", "key"),
    Col("kind", "key"),
)


def _statement_record(detail: ForecastDetail, u: Any) -> Record:
    replaced = u.id in detail.replaced
    under: list[Cell] = []
    if u.quote and u.quote != detail.forecast.quote:
        under.append(untrusted(f"“{u.quote}”", style="italic"))
    if u.note or u.actor:
        under.append(" ".join(part for part in (u.note, f"— {u.actor}" if u.actor else "") if part))
    return Record(
        [
            u.as_of.isoformat(),
            f"{u.probability:.0%}",
            u.estimate + (" (vague)" if u.vague else ""),
            u.kind + (" (replaced)" if replaced else ""),
        ],
        under=under,
        urls=[u.url] if u.url else [],
        style="dim strike" if replaced else None,
    )


def _print_rules(detail: ForecastDetail) -> None:
    f = detail.forecast
    _section("Resolution")
    print_fields(console, [("Criteria", f.criteria or "none written")], indent=2)
    for title, rules in (("Evidence for YES", f.yes_when), ("Evidence for NO", f.no_when)):
        if not rules:
            continue
        console.print(untrusted(f"  {title}", style="bold"))
        for kind, label in (("all", "all of"), ("any", "any of"), ("none", "none of")):
            if rules.get(kind):
                print_fields(console, [(label, ", ".join(rules[kind]))], indent=4)
    print_fields(
        console,
        [
            ("Sources needed", str(f.min_sources)),
            ("At close without evidence", f.default_at_close or "none"),
            ("Tags", ", ".join(detail.tags) or "none"),
        ],
        indent=2,
    )


def _print_resolutions(detail: ForecastDetail) -> None:
    if not detail.resolutions:
        return
    _section("Resolutions")
    for r in detail.resolutions:
        line = Text("  ").append(r.outcome, style="bold")
        line.append_text(untrusted(f" by {r.resolved_by}, {when(r.resolved_at)} UTC"))
        if not r.active:
            line.append(" (reopened)", style="dim")
        console.print(line)
        if r.note:
            console.print(Padding(untrusted(r.note), (0, 0, 0, 4)))
        for link in r.evidence_links or []:
            print_url(console, link, indent=4)
        if not r.active:
            reopened = f"reopened by {r.reopened_by}, {when(r.reopened_at)} UTC: {r.reopen_note}"
            console.print(Padding(untrusted(reopened, style="dim"), (0, 0, 0, 4)))


def _print_audit(detail: ForecastDetail) -> None:
    _section("Audit log")
    for a in detail.audit:
        moved = f"  {a.from_status} -> {a.to_status}" if a.from_status else ""
        moved = moved or (f"  -> {a.to_status}" if a.to_status else "")
        console.print(untrusted(f"  {when(a.at)}  {a.action}  by {a.actor}{moved}"))
        print_fields(console, key_values(a.detail or {}), indent=6)


@app.command("resolve-manually", rich_help_panel=REVIEW)
def resolve_manually(
    ctx: typer.Context,
    forecast_id: Annotated[str, typer.Argument(metavar="ID")],
    outcome: Annotated[Outcome, typer.Option(help="yes, no or annulled")],
    note: Annotated[str, typer.Option(help="why: what happened, where it was reported")] = "",
    by: Annotated[str | None, typer.Option(help="who records it (default: your user name)")] = None,
    evidence: Annotated[
        list[str] | None, typer.Option(help="a link to the evidence; repeatable")
    ] = None,
) -> None:
    """Record an outcome by hand (goes through the lifecycle rules and the audit log)."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        forecast = service.resolve_forecast(
            session,
            forecast_id,
            outcome,
            actor=by or current_user(),
            note=note or None,
            evidence_links=evidence or (),
        )
        status = forecast.status
    console.print(
        f"{forecast_id}: {status}"
        + (f" ({outcome.value})" if outcome is not Outcome.ANNULLED else "")
    )


@app.command(rich_help_panel=REVIEW)
def reopen(
    ctx: typer.Context,
    forecast_id: Annotated[str, typer.Argument(metavar="ID")],
    note: Annotated[str, typer.Option(help="why the resolution is undone")],
    by: Annotated[str | None, typer.Option(help="who reopens it (default: your user name)")] = None,
) -> None:
    """Undo a forecast's resolution (kept in its history); it is open or closed again."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        forecast = service.reopen_forecast(
            session, forecast_id, actor=by or current_user(), note=note
        )
        status = forecast.status
    console.print(f"{forecast_id}: reopened, now {status}")


@app.command(rich_help_panel=FORECASTS)
def scale(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--scale", help="only this scale")] = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    wide: WideOption = False,
) -> None:
    """Print the estimative-language table: verbal terms and the probabilities they map to."""
    from tracker import service

    st = state(ctx)
    if format is OutputFormat.json:
        entries = [dataclasses.asdict(entry) for entry in service.scale_entries(st.scale, name)]
        print(json_text(entries))
        return
    *row_columns, source = service.SCALE_COLUMNS
    columns = [
        Col(header, "number" if header in {"probability", "range"} else "key")
        for header in row_columns
    ]
    records = [Record(row[:-1], under=[row[-1]]) for row in service.scale_table(st.scale, name)]
    caption = f"under each term: its {source}" + ("" if wide else " (shortened; whole with --wide)")
    print_records(console, columns, records, title="Estimative scale", caption=caption, wide=wide)
