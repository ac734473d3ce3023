"""``tracker forecasts update`` and ``tracker forecasts correct``: dated statements, corrections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tracker.states import StatementOrigin

if TYPE_CHECKING:
    pass

from tracker.cli._app import console, current_user, parse_day, state
from tracker.cli.forecasts import forecasts_app

ProbabilityOption = Annotated[
    float | None, typer.Option("--probability", help="the probability, 0 to 1")
]
EstimateOption = Annotated[
    str | None,
    typer.Option(
        "--estimate", help="the author's words (a term of `tracker scale`, or with --probability)"
    ),
]
ByOption = Annotated[str | None, typer.Option(help="who records it (default: your user name)")]


@forecasts_app.command("update")
def update(
    ctx: typer.Context,
    forecast_id: Annotated[str, typer.Argument(metavar="ID")],
    as_of: Annotated[str, typer.Option("--as-of", help="the day the author said it, YYYY-MM-DD")],
    probability: ProbabilityOption = None,
    estimate: EstimateOption = None,
    quote: Annotated[str | None, typer.Option(help="the author's words, verbatim")] = None,
    url: Annotated[str | None, typer.Option(help="where they were published")] = None,
    note: Annotated[str | None, typer.Option(help="a note of yours")] = None,
    by: ByOption = None,
) -> None:
    """Record an author's later statement with its own date: from --as-of on, the forecast
    stands at it (time-weighted scores use it).  On a resolved forecast, only a statement made
    before the day it was resolved."""
    from tracker import service

    st = state(ctx)
    day = parse_day(as_of, "as_of")
    assert day is not None  # a required option
    with service.unit_of_work(st.ready_engine()) as session:
        done = service.update_forecast(
            session,
            forecast_id,
            as_of=day,
            probability=probability,
            estimate=estimate,
            quote=quote,
            url=url,
            note=note,
            scale=st.scale,
            actor=by or current_user(),
        )
        f, row = done.forecast, done.statement
        console.print(
            f"{f.id}: {row.probability:.0%} ({row.estimate}) from {row.as_of}; "
            f"it now stands at {f.probability:.0%}",
            markup=False,
        )


@forecasts_app.command("correct")
def correct(
    ctx: typer.Context,
    forecast_id: Annotated[str, typer.Argument(metavar="ID")],
    note: Annotated[str, typer.Option(help="what was wrong (kept in the history and audit log)")],
    probability: ProbabilityOption = None,
    estimate: EstimateOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="the date of the statement to fix (default: the initial one)"),
    ] = None,
    by: ByOption = None,
) -> None:
    """Fix a data-entry error: a statement takes the value that should have been typed.  The old
    value stays in the history, marked replaced; a forecast already resolved is flagged
    "corrected after resolution" on the scorecard."""
    from tracker import service

    st = state(ctx)
    with service.unit_of_work(st.ready_engine()) as session:
        done = service.correct_forecast(
            session,
            forecast_id,
            probability=probability,
            estimate=estimate,
            note=note,
            scale=st.scale,
            actor=by or current_user(),
            statement_on=parse_day(as_of, "as_of"),
        )
        f, row = done.forecast, done.statement
        console.print(
            f"{f.id}: the statement of {row.as_of} is now {row.probability:.0%} ({row.estimate}); "
            f"it stands at {f.probability:.0%}"
            + (" [flagged: corrected after resolution]" if f.corrected_after_resolution else ""),
            markup=False,
        )
        if row.origin == StatementOrigin.FILE.value:
            console.print(
                "  It came from a forecast file: fix the file too, or a re-import will put the "
                "old value back (refused once the forecast is resolved).",
                markup=False,
            )
