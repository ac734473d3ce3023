"""``tracker backup``, ``restore``, ``export-all`` and ``import-all``: keeping the data safe and
moving it between engines (docs/dev.md, "Backup, restore and moving up")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli._app import ADMIN, app, console, state

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
