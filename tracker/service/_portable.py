"""The whole database as files: ``tracker export-all DIR`` and ``tracker import-all DIR``.

One JSON-lines file per table (``<table>.jsonl``, one object per row, keyed by column) and a
``manifest.json`` naming the tables in the order they load, their row counts and SHA-256
checksums, the schema version (the Alembic head) and the tracker's version.  The files say
nothing of the engine, so an export of SQLite loads into PostgreSQL and back: that is how a
grown SQLite database moves up (docs/dev.md, "Backup, restore and moving up").

An import is one transaction into an *empty* database of the same schema version: tables in
dependency order, ids kept, PostgreSQL's sequences moved past them; it refuses a non-empty
database, a manifest of another schema version and a file whose checksum differs, and a failure
half-way (a full disk) leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, DateTime, Engine, Table, func, select, text
from sqlalchemy import Date as SqlDate
from sqlalchemy.exc import SQLAlchemyError

from tracker import __version__, db, search
from tracker.errors import BackupError

MANIFEST = "manifest.json"
#: the layout of the files; an import refuses another
FORMAT = "tracker-export/1"
BATCH = 1000

#: ``progress(table, rows done, rows in the table)``, called after each batch and table
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableFile:
    name: str
    file: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    format: str
    schema: list[str]
    tracker_version: str
    engine: str
    tables: list[TableFile]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "schema": self.schema,
            "tracker_version": self.tracker_version,
            "engine": self.engine,
            "tables": [vars(t) for t in self.tables],
        }

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def tables() -> list[Table]:
    """Every table of the schema, parents before children (the order an import must follow)."""
    from sqlmodel import SQLModel

    import tracker.models  # noqa: F401  (registers the tables)

    return list(SQLModel.metadata.sorted_tables)


def export_all(engine: Engine, directory: Path, progress: Progress | None = None) -> Manifest:
    """Write every table of the database (at this version's schema) into ``directory``."""
    revisions = db.schema_revisions(engine)
    if revisions != db.migration_heads():
        raise BackupError(
            db.where(engine), "the schema is not this version's; run `tracker init` first"
        )
    _writable_dir(directory)
    try:
        with engine.connect() as connection, connection.begin():
            _consistent_snapshot(connection)
            written = [_export_table(connection, t, directory, progress) for t in tables()]
    except SQLAlchemyError as exc:
        raise db.database_error(exc, db.where(engine)) from exc
    manifest = Manifest(FORMAT, sorted(revisions), __version__, engine.dialect.name, written)
    _write_text(directory / MANIFEST, json.dumps(manifest.to_json(), indent=2) + "\n")
    return manifest


def _writable_dir(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise BackupError(directory, "exists and is not a folder; name a new or empty folder")
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(directory, "is not empty; name a new or empty folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(directory, f"cannot create the folder: {exc.strerror}") from exc


def _consistent_snapshot(connection: Connection) -> None:
    """Every table read from one snapshot, while the workers go on writing."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    else:  # SQLite: one read transaction is one snapshot (WAL); pysqlite begins none for reads
        connection.exec_driver_sql("BEGIN")


def _export_table(
    connection: Connection, table: Table, directory: Path, progress: Progress | None
) -> TableFile:
    total = connection.execute(select(func.count()).select_from(table)).scalar_one()
    name = f"{table.name}.jsonl"
    digest = hashlib.sha256()
    done = 0
    order = list(table.primary_key.columns)
    rows = connection.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
    try:
        with (directory / name).open("w", encoding="utf-8", newline="\n") as out:
            for row in rows:
                line = json.dumps(_encode_row(row._mapping), ensure_ascii=False) + "\n"
                digest.update(line.encode("utf-8"))
                out.write(line)
                done += 1
                if progress and done % BATCH == 0:
                    progress(table.name, done, total)
    except OSError as exc:
        raise BackupError(directory / name, f"cannot write: {exc.strerror}") from exc
    if progress:
        progress(table.name, done, total)
    return TableFile(table.name, name, done, digest.hexdigest())


def _encode_row(row: Any) -> dict[str, Any]:
    return {str(key): _encode(value) for key, value in row.items()}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _write_text(path: Path, content: str) -> None:
    try:
        path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise BackupError(path, f"cannot write: {exc.strerror}") from exc


# --- import -------------------------------------------------------------------------------


def read_manifest(directory: Path) -> Manifest:
    """The manifest of an export, checked for its format and this version's schema."""
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(
            format=data["format"],
            schema=list(data["schema"]),
            tracker_version=str(data["tracker_version"]),
            engine=str(data["engine"]),
            tables=[TableFile(**t) for t in data["tables"]],
        )
    except FileNotFoundError as exc:
        raise BackupError(directory, "has no manifest.json; is it a `tracker export-all`?") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(path, f"is not a manifest of `tracker export-all` ({exc})") from exc
    if manifest.format != FORMAT:
        raise BackupError(path, f"format {manifest.format!r} is not {FORMAT!r}")
    if set(manifest.schema) != db.migration_heads():
        raise BackupError(
            path,
            f"schema version {', '.join(manifest.schema)} (tracker {manifest.tracker_version}) "
            f"is not this version's ({', '.join(sorted(db.migration_heads()))}); import it with "
            "the tracker that exported it, then upgrade and export again",
        )
    return manifest


def import_all(engine: Engine, directory: Path, progress: Progress | None = None) -> Manifest:
    """Load an export into the (empty) database ``engine`` names, migrating it first."""
    manifest = read_manifest(directory)
    by_name = {t.name: t for t in tables()}
    unknown = [t.name for t in manifest.tables if t.name not in by_name]
    if unknown:
        raise BackupError(directory, f"holds tables this schema has not: {', '.join(unknown)}")
    for entry in manifest.tables:
        _check_file(directory, entry)
    db.upgrade(engine)
    try:
        with engine.connect() as connection, connection.begin():
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # no writer between check and load
            refuse_non_empty(connection, db.where(engine))
            for entry in manifest.tables:
                _import_table(connection, by_name[entry.name], directory, entry, progress)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
            search.rebuild_index(connection)  # the index is not exported: made from the rows
    except SQLAlchemyError as exc:
        raise db.database_error(exc, db.where(engine)) from exc
    return manifest


def _check_file(directory: Path, entry: TableFile) -> None:
    path = directory / entry.file
    if Path(entry.file).name != entry.file:
        raise BackupError(directory / MANIFEST, f"file name {entry.file!r} is not a plain name")
    digest = hashlib.sha256()
    rows = 0
    try:
        with path.open("rb") as stream:
            for line in stream:
                digest.update(line)
                rows += 1
    except OSError as exc:
        raise BackupError(path, f"cannot read: {exc.strerror}") from exc
    if digest.hexdigest() != entry.sha256 or rows != entry.rows:
        raise BackupError(
            path, "differs from the manifest (checksum or row count); the export is damaged"
        )


def refuse_non_empty(connection: Connection, where: str) -> None:
    """Raises :class:`BackupError` when any table of the schema holds a row."""
    for table in tables():
        if connection.execute(select(table).limit(1)).first() is not None:
            raise BackupError(
                where,
                f"is not empty (table {table.name} has rows); import into a new, empty database",
            )


def _import_table(
    connection: Connection,
    table: Table,
    directory: Path,
    entry: TableFile,
    progress: Progress | None,
) -> None:
    decoders = _decoders(table)
    done = 0
    with (directory / entry.file).open(encoding="utf-8") as stream:
        for batch in _batches(stream, decoders):
            connection.execute(table.insert(), batch)
            done += len(batch)
            if progress:
                progress(table.name, done, entry.rows)
    if progress and not done:
        progress(table.name, 0, 0)


def _decoders(table: Table) -> dict[str, Callable[[Any], Any]]:
    decoders: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        kind = column.type
        impl = getattr(kind, "impl", kind)
        if isinstance(impl, DateTime):
            decoders[column.name] = datetime.fromisoformat
        elif isinstance(impl, SqlDate):
            decoders[column.name] = date.fromisoformat
    return decoders


def _batches(
    stream: IO[str], decoders: dict[str, Callable[[Any], Any]]
) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for line in stream:
        row = json.loads(line)
        for name, decode in decoders.items():
            if row.get(name) is not None:
                row[name] = decode(row[name])
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _reset_sequences(connection: Connection) -> None:
    """Moves each serial column's sequence past the ids the import kept, so that the next row
    inserted does not collide with them."""
    for table in tables():
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            connection.execute(
                text(
                    f'SELECT setval(:sequence, COALESCE(MAX("{column.name}"), 1), '
                    f'MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'
                ),
                {"sequence": sequence},
            )


__all__ = [
    "Manifest",
    "Progress",
    "TableFile",
    "export_all",
    "import_all",
    "read_manifest",
    "refuse_non_empty",
    "tables",
]
