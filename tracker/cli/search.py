"""``tracker search reindex``: rebuild the full-text index (docs/dev.md, "Search"; the query
syntax is the README's "Search syntax")."""

from __future__ import annotations

import typer

from tracker.cli._app import ADMIN, app, console, state
from tracker.cli.admin import _progress

search_app = typer.Typer(
    help="The full-text search index of articles and forecasts (syntax: README, 'Search syntax').",
    no_args_is_help=True,
)
app.add_typer(search_app, name="search", rich_help_panel=ADMIN)


@search_app.command()
def reindex(ctx: typer.Context) -> None:
    """Rebuild the search index of every article and forecast with this version's analyzer
    (needed after an upgrade that changes it: this command says when the index is stale).
    Polling and the web app may keep running."""
    from tracker import service

    st = state(ctx)
    engine = st.ready_engine()
    console.print(st.settings.location_line(), markup=False, soft_wrap=True)
    with service.unit_of_work(engine) as session:
        before = service.search_index_state(session)
    if before.stale:
        console.print(
            f"The index was built with analyzer {before.built_with or 'none'}; "
            f"this version's is {before.current}: rebuilding.",
            markup=False,
        )
    with _progress("indexing") as progress:
        counts = service.reindex_search(engine, progress)
    console.print(
        f"Indexed {counts['articles']:,} articles and {counts['forecasts']:,} forecasts "
        f"(analyzer {before.current}).",
        markup=False,
    )
