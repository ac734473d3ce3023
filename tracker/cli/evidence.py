"""``tracker evidence attach`` and ``tracker evidence detach``: evidence attached by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracker.cli._app import REVIEW, OutputFormat, app, console, current_user, state
from tracker.cli._layout import json_text, untrusted

if TYPE_CHECKING:
    from tracker.models import Evidence

evidence_app = typer.Typer(
    no_args_is_help=True, help="Attach an article to a forecast as evidence, by hand; detach it."
)
app.add_typer(evidence_app, name="evidence", rich_help_panel=REVIEW)

ByOpt = Annotated[str | None, typer.Option(help="who does it (default: your user name)")]


def _evidence_json(evidence: Evidence) -> dict[str, Any]:
    return evidence.model_dump(mode="json")


@evidence_app.command("attach")
def attach(
    ctx: typer.Context,
    article_id: Annotated[
        int, typer.Argument(metavar="ARTICLE_ID", help="see `tracker articles search`")
    ],
    forecast_id: Annotated[
        str, typer.Argument(metavar="FORECAST_ID", help="see `tracker forecasts search`")
    ],
    side: Annotated[str, typer.Option(help="yes or no: which outcome the article reports")],
    note: Annotated[str, typer.Option(help="why it is evidence (required, for reviewers)")],
    by: ByOpt = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Attach an article to a forecast as evidence for YES or NO: it counts like matched
    evidence, and the forecast's proposal is re-evaluated at once."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        done = service.attach_evidence(
            session,
            article_id=article_id,
            forecast_id=forecast_id,
            side=side,
            actor=by or current_user(),
            note=note,
        )
        proposals = [(p.id, p.kind, p.outcome) for p in done.proposals]
    if format is OutputFormat.json:
        print(json_text({**_evidence_json(done.evidence), "counts": done.counts}))
        return
    e = done.evidence
    console.print(
        untrusted(f"Evidence {e.id}: article {article_id} for {e.side.upper()} on {forecast_id}")
    )
    if not done.counts:
        console.print("It does not count: published outside the forecast's window.")
    for proposal_id, kind, outcome in proposals:
        console.print(
            f"New proposal {proposal_id}: {kind} ({outcome or 'no outcome'}); see `tracker review`."
        )


@evidence_app.command("detach")
def detach(
    ctx: typer.Context,
    evidence_id: Annotated[
        int, typer.Argument(metavar="EVIDENCE_ID", help="evidence attached by hand")
    ],
    note: Annotated[str | None, typer.Option(help="why, for the audit log")] = None,
    by: ByOpt = None,
) -> None:
    """Remove evidence attached by hand (matched evidence cannot be); the forecast's proposal is
    re-evaluated."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        gone = service.detach_evidence(
            session, evidence_id=evidence_id, actor=by or current_user(), note=note
        )
    console.print(f"Evidence {evidence_id} detached from {gone.question_id}.")
