"""``tracker backup``, ``restore``, ``export-all`` and ``import-all``: keeping the data safe and
moving it between engines (docs/dev.md, "Backup, restore and moving up")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli._app import ADMIN, OutputFormat, app, console, state
from tracker.cli._layout import Col, Record, WideOption, json_text, print_records, when

FileArg = Annotated[Path, typer.Argument(help="the backup file", dir_okay=False)]
DirArg = Annotated[Path, typer.Argument(help="the export folder", file_okay=False)]


@contextmanager
def _progress(verb: str) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar per table, fed by the use case's ``progress(table, done, total)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    bars: dict[str, TaskID] = {}
    with Progress(
        TextColumn(f"{verb} [bold]{{task.fields[table]}}", markup=True),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=False,
    ) as progress:

        def update(table: str, done: int, total: int) -> None:
            if table not in bars:
                bars[table] = progress.add_task("", table=table, total=max(total, 1))
            progress.update(bars[table], completed=done if total else 1)

        yield update


@app.command(rich_help_panel=ADMIN)
def backup(ctx: typer.Context, file: FileArg) -> None:
    """Copy the database to FILE while the tracker runs (SQLite's online backup API; for
    PostgreSQL pg_dump, or a zip of `export-all` where pg_dump is not installed)."""
    from tracker import service

    st = state(ctx)
    console.print(st.settings.location_line(), markup=False, soft_wrap=True)
    done = service.backup_database(st.ready_engine(), file)
    console.print(
        f"Backed up to {done.path} ({done.method}, {done.size:,} bytes, schema "
        f"{', '.join(done.revisions)}); restore with `tracker restore {done.path}`",
        markup=False,
        soft_wrap=True,
    )


@app.command(rich_help_panel=ADMIN)
def restore(
    ctx: typer.Context,
    file: FileArg,
    force: Annotated[
        bool, typer.Option("--force", help="replace a database that holds data")
    ] = False,
) -> None:
    """Replace the database's content with the backup FILE (of `tracker backup`); refuses a
    database that holds data unless --force. Stop `tracker run` and the workers first."""
    from tracker import service

    st = state(ctx)
    console.print(st.settings.location_line(), markup=False, soft_wrap=True)
    done = service.restore_database(st.engine, file, force=force)
    upgraded = "; schema upgraded to this version" if done.upgraded else ""
    console.print(
        f"Restored {done.path} ({done.method}, schema {', '.join(done.revisions)}){upgraded}.",
        markup=False,
        soft_wrap=True,
    )


@app.command("export-all", rich_help_panel=ADMIN)
def export_all(ctx: typer.Context, directory: DirArg) -> None:
    """Write every table to DIRECTORY as JSON lines, with a manifest (row counts, checksums,
    schema version): `import-all` loads it into an empty database of either engine."""
    from tracker import service

    st = state(ctx)
    console.print(st.settings.location_line(), markup=False, soft_wrap=True)
    with _progress("exporting") as progress:
        manifest = service.export_all(st.engine, directory, progress)
    console.print(
        f"Exported {manifest.rows:,} rows of {len(manifest.tables)} tables to {directory} "
        f"(schema {', '.join(manifest.schema)}).",
        markup=False,
        soft_wrap=True,
    )


@app.command("import-all", rich_help_panel=ADMIN)
def import_all(ctx: typer.Context, directory: DirArg) -> None:
    """Load an `export-all` folder into an empty database (SQLite or PostgreSQL), keeping every
    id; creates the schema first. All or nothing."""
    from tracker import service

    st = state(ctx)
    console.print(st.settings.location_line(), markup=False, soft_wrap=True)
    with _progress("importing") as progress:
        manifest = service.import_all(st.engine, directory, progress)
    console.print(
        f"Imported {manifest.rows:,} rows of {len(manifest.tables)} tables from {directory} "
        f"(exported from {manifest.engine} by tracker {manifest.tracker_version}).",
        markup=False,
        soft_wrap=True,
    )


AUDIT_COLUMNS = (
    Col("when", "number"),
    Col("actor", "key"),
    Col("action", "key"),
    Col("entity", "key"),
    Col("id", "key"),
    Col("status", "key", drop=1),
)


@app.command(rich_help_panel=ADMIN)
def audit(
    ctx: typer.Context,
    entity: Annotated[
        str | None, typer.Option(help="a kind of thing: forecast, question, proposal, feed, ...")
    ] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="its id")] = None,
    actor: Annotated[str | None, typer.Option(help="who did it (exactly)")] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="at or after (UTC)"),
    ] = None,
    cursor: Annotated[
        str | None, typer.Option(help="the page to show: a cursor printed under the page before")
    ] = None,
    per_page: Annotated[int, typer.Option(min=1, max=500)] = 50,
    format: Annotated[OutputFormat, typer.Option("--format", help="table or json")] = (
        OutputFormat.table
    ),
    wide: WideOption = False,
) -> None:
    """The audit log: every state change, newest first, with who made it, a page at a time."""
    from tracker import service

    with service.unit_of_work(state(ctx).ready_engine()) as session:
        found = service.audit_log(
            session,
            entity=entity,
            entity_id=entity_id,
            actor=actor,
            since=since,
            cursor=cursor,
            per_page=per_page,
        )
    if format is OutputFormat.json:
        print(
            json_text(
                {
                    "next_cursor": found.next_cursor,
                    "prev_cursor": found.prev_cursor,
                    "items": [row.to_json() for row in found.items],
                }
            )
        )
        return
    records = [
        Record(
            [
                when(row.at),
                row.actor,
                row.action,
                row.entity,
                row.entity_id,
                f"{row.from_status or '-'} -> {row.to_status or '-'}"
                if row.from_status or row.to_status
                else "",
            ],
            under=[_detail(row.detail)] if row.detail else [],
        )
        for row in found.items
    ]
    lines = [f"next page: --cursor {found.next_cursor}"] if found.next_cursor else []
    if found.prev_cursor:
        lines.append(f"page before: --cursor {found.prev_cursor}")
    print_records(
        console,
        AUDIT_COLUMNS,
        records,
        title=f"Audit log, newest first ({len(records)} shown)",
        caption="\n".join(lines) or None,
        wide=wide,
    )


def _detail(detail: dict[str, object]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in detail.items())
