"""``tracker extract SOURCE``: a draft forecast file from an article's predictions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass

from tracker.cli._app import FORECASTS, app, console, error_console, parse_day, state


@app.command(rich_help_panel=FORECASTS)
def extract(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="a text file, or an http(s) URL of the article")],
    author: Annotated[str | None, typer.Option(help="who wrote it (else the page's)")] = None,
    publisher: Annotated[str | None, typer.Option(help="where (else the page's site)")] = None,
    published: Annotated[
        str | None, typer.Option(help="its date, YYYY-MM-DD (else the page's; else today)")
    ] = None,
    title: Annotated[str | None, typer.Option(help="its title (else the page's)")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="write the draft here, and the source text to sources/ beside it"),
    ] = None,
    force: Annotated[bool, typer.Option(help="replace an existing --out file")] = False,
) -> None:
    """Find the predictions of an article and print a draft forecast file (or write it with
    --out), one candidate per prediction, to check and edit before `tracker forecasts import`."""
    from tracker import service
    from tracker.extract import SourceMeta

    st = state(ctx)
    meta = SourceMeta(
        title=title,
        author=author,
        publisher=publisher,
        published=parse_day(published, "--published"),
    )
    with error_console.status("Reading the source") as status:
        draft = service.extract_source(
            st.settings, source, meta=meta, scale=st.scale, progress=status.update
        )
    if out is None:
        text_path = None if service.is_url(source) else source
        print(service.draft_file(draft, text_path), end="")
        return
    saved = service.save_draft(draft, out, scale=st.scale, overwrite=force)
    text_note = "written" if saved.wrote_text else "already there"
    console.print(
        f"Wrote {saved.path}: {saved.candidates} candidate(s), highest confidence "
        f"{max(c.confidence for c in draft.candidates):.2f}; source text {saved.text_path} "
        f"({text_note}). Check and edit it, then `tracker forecasts import {saved.path}`.",
        markup=False,
        highlight=False,
    )
