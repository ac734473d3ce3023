"""``tracker forecasts ...``, ``tracker resolve-manually``, ``tracker reopen`` and ``tracker
scale``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Column, Table
from rich.text import Text

from tracker.states import Outcome, Status

if TYPE_CHECKING:
    from tracker.domain.registry import ForecastDetail
    from tracker.resolution import ForecastResolutionSummary
    from tracker.scoring import OwnScore

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
        report = service.import_forecasts(session, paths, st.scale, actor=current_user())
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

    found = service.check_forecasts(paths, state(ctx).scale)
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


@forecasts_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(help="only forecasts with this status")] = None,
    tag: Annotated[str | None, typer.Option(help="only forecasts with this tag")] = None,
    author: Annotated[str | None, typer.Option(help="author name, or part of it")] = None,
    source: Annotated[
        str | None, typer.Option(help="source key (the forecast file's name)")
    ] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.table,
) -> None:
    """List forecasts, soonest close date first (the status is today's: a forecast past its
    close date is closed)."""
    from tracker import service
    from tracker.domain.registry import ForecastFilter

    where = ForecastFilter(status=status, tag=tag, author=author, source=source)
    with service.unit_of_work(state(ctx).ready_engine()) as session:
        listed = service.list_forecasts(session, where)
        scores = service.own_scores(session, [item.row.id for item in listed])
    if format is OutputFormat.json:
        print(
            json.dumps(
                [
                    {**item.to_json(), "score": _score_json(scores.get(item.row.id))}
                    for item in listed
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    table = Table(
        Column("id", no_wrap=True, min_width=12, overflow="fold"),
        "status",
        "p",
        "estimate",
        "closes",
        "Brier",
        "tags",
        "proposal",
        "question",
        title=f"{len(listed)} forecast(s)",
        caption="Brier: each resolved forecast's score (0-1), lower is better",
    )
    for item in listed:
        row = item.row
        status_text = row.status + (f" ({row.outcome})" if row.outcome else "")
        estimate = row.estimate + (" [dim](vague)[/dim]" if row.vague else "")
        score = scores.get(row.id)
        table.add_row(
            row.id,
            status_text,
            f"{row.probability:.0%}",
            estimate,
            row.closes.isoformat(),
            f"{score.brier:.4f}" if score else "",
            ", ".join(row.tags),
            _proposal_text(item.resolution, manual=row.manual),
            row.question,
        )
    console.print(table)


def _score_json(score: OwnScore | None) -> dict[str, Any] | None:
    """A forecast's own scores as the API gives them (null until it is resolved yes or no)."""
    if score is None:
        return None
    return {k: v for k, v in score.to_json().items() if k not in {"id", "author", "question"}}


def _score_text(score: OwnScore | None) -> str:
    if score is None:
        return "Score: none (scored once resolved yes or no)"
    peer = f", peer {score.peer:.1f}" if score.peer is not None else ""
    return (
        f"Score: Brier {score.brier:.4f} (time-weighted {score.time_weighted_brier:.4f}), "
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
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    _print_detail(detail)
    console.print(_score_text(score), markup=False)


def _detail_json(detail: ForecastDetail) -> dict[str, Any]:
    data = detail.forecast.model_dump(mode="json")
    data["status"] = detail.status.value
    data["tags"] = detail.tags
    data["source"] = detail.source.model_dump(mode="json")
    data["probability_history"] = [u.model_dump(mode="json") for u in detail.updates]
    data["resolutions"] = [r.model_dump(mode="json") for r in detail.resolutions]
    data["audit"] = [a.model_dump(mode="json") for a in detail.audit]
    return data


def _print_detail(detail: ForecastDetail) -> None:
    f, s = detail.forecast, detail.source
    outcome = f" ({f.outcome})" if f.outcome else ""
    console.print(f"[bold]{f.id}[/bold]  {detail.status.value}{outcome}")
    console.print(f"{f.question}")
    console.print(f"“{f.quote}”", style="italic", markup=False)
    console.print(
        f"— {s.author}, {s.title} ({s.publisher or 'unknown publisher'}, {s.published})",
        markup=False,
    )
    vague = " (a vague term)" if f.vague else ""
    console.print(
        f"Estimate: {f.estimate!r}{vague} -> {f.probability:.0%};  open {f.opens} .. {f.closes}"
    )
    console.print(f"Tags: {', '.join(detail.tags) or '-'}", markup=False)
    if f.criteria:
        console.print(f"Criteria: {f.criteria}", markup=False)
    console.print(
        f"Evidence rules: yes {f.yes_when}  no {f.no_when}  "
        f"min sources {f.min_sources}, default at close {f.default_at_close}",
        markup=False,
    )
    history = Table(
        "as of", "kind", "probability", "estimate", "quote", "note", title="Probability history"
    )
    for u in detail.updates:
        replaced = u.id in detail.replaced
        history.add_row(
            u.as_of.isoformat(),
            u.kind + (" (replaced)" if replaced else ""),
            f"{u.probability:.0%}",
            Text(u.estimate),
            Text((u.quote or "") + (f"\n{u.url}" if u.url else "")),
            Text(u.note or ""),
            style="dim strike" if replaced else None,
        )
    console.print(history)
    if detail.resolutions:
        resolutions = Table("outcome", "when", "by", "note", "active", title="Resolutions")
        for r in detail.resolutions:
            resolutions.add_row(
                r.outcome,
                r.resolved_at.isoformat(timespec="seconds"),
                r.resolved_by,
                r.note or "",
                "yes" if r.active else f"reopened: {r.reopen_note}",
            )
        console.print(resolutions)
    log = Table("when", "who", "action", "from", "to", "detail", title="Audit log")
    for a in detail.audit:
        log.add_row(
            a.at.isoformat(timespec="seconds"),
            a.actor,
            a.action,
            a.from_status or "",
            a.to_status or "",
            json.dumps(a.detail) if a.detail else "",
        )
    console.print(log)


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
) -> None:
    """Print the estimative-language table: verbal terms and the probabilities they map to."""
    from tracker import service

    st = state(ctx)
    if format is OutputFormat.json:
        entries = [dataclasses.asdict(entry) for entry in service.scale_entries(st.scale, name)]
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return
    table = Table(*service.SCALE_COLUMNS, title="Estimative scale")
    for row in service.scale_table(st.scale, name):
        table.add_row(*row)
    console.print(table)
