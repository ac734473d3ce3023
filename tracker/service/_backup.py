"""``tracker backup FILE`` and ``tracker restore FILE``: a copy of the live database and back.

- **SQLite**: SQLite's online backup API (``sqlite3.Connection.backup``) copies the pages of a
  consistent snapshot while the workers go on writing; the copy is a one-file database
  (rollback journal, not WAL) written beside the target and renamed into place, so a failure
  (a full disk) leaves no half-written backup.  Restoring copies it back the same way.
- **PostgreSQL**: ``pg_dump --format=custom`` when it is on the PATH, restored with
  ``pg_restore --clean --single-transaction``; else a zip of the logical export
  (:mod:`tracker.service._portable`), restored by ``import-all`` into an empty database.

Restore refuses a database that holds rows unless ``force``, and a backup whose schema revision
this version does not know (a newer tracker's); an older one is upgraded after the restore.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from tracker import db
from tracker.errors import BackupError, DiskFullError
from tracker.service import _portable

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
ZIP_MAGIC = b"PK\x03\x04"
#: how long pg_dump / pg_restore may take before the backup is called failed
PG_TIMEOUT_S = 3600


@dataclass(frozen=True)
class BackupResult:
    path: Path
    method: str  # "sqlite", "pg_dump" or "export"
    size: int
    revisions: list[str]


def backup_database(engine: Engine, target: Path, pg_dump: str | None = "pg_dump") -> BackupResult:
    """Copy the database to ``target`` (replacing nothing: an existing file is refused).

    ``pg_dump`` is the program for PostgreSQL, found on the PATH; None (or not found) makes the
    backup a zip of the logical export."""
    if target.exists():
        raise BackupError(target, "exists already; name a new file (nothing is overwritten)")
    if not target.parent.is_dir():
        raise BackupError(target, "its folder does not exist")
    revisions = db.schema_revisions(engine)
    if revisions != db.migration_heads():
        raise BackupError(db.where(engine), "the schema is not this version's; run `tracker init`")
    partial = target.with_name(f".{target.name}.partial")
    try:
        method = _write_backup(engine, partial, shutil.which(pg_dump) if pg_dump else None)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, method, target.stat().st_size, sorted(revisions))


def _write_backup(engine: Engine, partial: Path, pg_dump: str | None) -> str:
    if engine.dialect.name == "sqlite":
        _sqlite_backup(engine, partial)
        return "sqlite"
    if pg_dump:
        _run_pg(
            engine, [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file"], partial
        )
        return "pg_dump"
    _zip_export(engine, partial)
    return "export"


def _sqlite_backup(engine: Engine, partial: Path) -> None:
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise _sqlite_error(exc, partial) from exc
    finally:
        raw.close()


def _sqlite_error(exc: sqlite3.Error, path: Path) -> Exception:
    if getattr(exc, "sqlite_errorname", "") in {"SQLITE_FULL", "SQLITE_IOERR_WRITE"}:
        return DiskFullError(str(path))
    return BackupError(path, f"SQLite: {exc}")


def _zip_export(engine: Engine, partial: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="tracker-backup-") as folder:
        _portable.export_all(engine, Path(folder) / "export")
        try:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted((Path(folder) / "export").iterdir()):
                    archive.write(path, path.name)
        except OSError as exc:
            raise BackupError(partial, f"cannot write: {exc.strerror}") from exc


def _pg_env_args(engine: Engine) -> tuple[dict[str, str], list[str]]:
    """The connection of ``engine`` as libpq's environment and pg_dump's options (the password
    goes in the environment, never on a command line other users can read)."""
    url: URL = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = [f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    return env, args


def _run_pg(engine: Engine, command: list[str], path: Path) -> None:
    env, args = _pg_env_args(engine)
    try:
        done = subprocess.run(
            [*command, str(path), *args, "--no-password"],
            env=env,
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(path, f"{Path(command[0]).name} failed: {exc}") from exc
    if done.returncode != 0:
        raise BackupError(path, f"{Path(command[0]).name} failed: {_last_line(done.stderr)}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


# --- restore ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    method: str
    revisions: list[str]
    upgraded: bool


def backup_kind(path: Path) -> str:
    """``sqlite``, ``pg_dump`` or ``export`` (a zip of the logical export), from the first bytes."""
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except FileNotFoundError as exc:
        raise BackupError(path, "no such file") from exc
    except OSError as exc:
        raise BackupError(path, f"cannot read: {exc.strerror}") from exc
    for magic, kind in (
        (SQLITE_MAGIC, "sqlite"),
        (PG_DUMP_MAGIC, "pg_dump"),
        (ZIP_MAGIC, "export"),
    ):
        if head.startswith(magic):
            return kind
    raise BackupError(path, "is not a backup of the tracker (not SQLite, pg_dump or an export zip)")


def restore_database(
    engine: Engine, source: Path, force: bool = False, pg_restore: str | None = None
) -> RestoreResult:
    """Replace the database's content with the backup ``source`` (see the module's docstring)."""
    kind = backup_kind(source)
    engine_name = engine.dialect.name
    if kind == "export":
        return _restore_export(engine, source)
    if (kind == "sqlite") != (engine_name == "sqlite"):
        raise BackupError(
            source,
            f"is a {kind} backup and the database is {engine_name}; move between engines with "
            "`tracker export-all` and `tracker import-all`",
        )
    revisions = (
        _sqlite_revisions(source) if kind == "sqlite" else _dump_revisions(source, pg_restore)
    )
    _check_revisions(source, revisions)
    if not force:
        _refuse_rows(engine)
    if kind == "sqlite":
        _sqlite_restore(engine, source)
    else:
        command = [pg_restore or "pg_restore", "--clean", "--if-exists", "--single-transaction"]
        _run_pg(engine, [*command, "--no-owner", "--no-privileges"], source)
    engine.dispose()
    upgraded = set(revisions) != db.migration_heads()
    db.upgrade(engine)
    return RestoreResult(source, kind, sorted(revisions), upgraded)


def _check_revisions(source: Path, revisions: set[str]) -> None:
    if not revisions:
        raise BackupError(source, "holds no tracker schema (no alembic_version); not a backup")
    unknown = sorted(revisions - db.known_revisions())
    if unknown:
        raise BackupError(
            source,
            f"was made by a newer tracker (schema revision {', '.join(unknown)}); "
            "upgrade the tracker to restore it",
        )


def _refuse_rows(engine: Engine) -> None:
    if not db.schema_revisions(engine):
        return  # no schema yet: nothing to lose
    with engine.connect() as connection:
        try:
            _portable.refuse_non_empty(connection, db.where(engine))
        except BackupError as exc:
            raise BackupError(exc.path, f"{exc.reason}; give --force to replace it") from exc


def _sqlite_revisions(source: Path) -> set[str]:
    try:
        with sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True) as copy:
            if copy.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(source, "fails SQLite's integrity check; it is damaged")
            rows = copy.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error as exc:
        raise BackupError(source, f"cannot be read as a tracker backup: {exc}") from exc
    return {str(row[0]) for row in rows}


_COPY_VERSION = re.compile(r"^COPY [\w.\"]*alembic_version.*?FROM stdin;\n(.*?)^\\\.$", re.M | re.S)


def _dump_revisions(source: Path, pg_restore: str | None) -> set[str]:
    """The alembic_version rows of a pg_dump file, read with ``pg_restore --data-only``."""
    command = [pg_restore or "pg_restore", "--data-only", "--table=alembic_version", "--file=-"]
    try:
        done = subprocess.run(
            [*command, str(source)], capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(source, f"pg_restore failed: {exc}") from exc
    if done.returncode != 0:
        raise BackupError(source, f"pg_restore cannot read it: {_last_line(done.stderr)}")
    found = _COPY_VERSION.search(done.stdout)
    return set(found.group(1).split()) if found else set()


def _sqlite_restore(engine: Engine, source: Path) -> None:
    database = engine.url.database
    assert database
    engine.dispose()  # this process's connections see the restored pages afresh
    try:
        with sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True) as copy:
            target = sqlite3.connect(database, timeout=30)
            try:
                copy.backup(target)
            finally:
                target.close()
    except sqlite3.Error as exc:
        raise _sqlite_error(exc, Path(database)) from exc


def _restore_export(engine: Engine, source: Path) -> RestoreResult:
    """A zip of the logical export loads like `import-all`: into an empty database only (it
    cannot replace rows: --force does not apply)."""
    with tempfile.TemporaryDirectory(prefix="tracker-restore-") as folder:
        try:
            with zipfile.ZipFile(source) as archive:
                for member in archive.namelist():
                    if Path(member).name != member:
                        raise BackupError(source, f"holds a path {member!r}; not an export zip")
                archive.extractall(folder)
        except (OSError, zipfile.BadZipFile) as exc:
            raise BackupError(source, f"cannot be read as an export zip: {exc}") from exc
        manifest = _portable.import_all(engine, Path(folder))
    return RestoreResult(source, "export", manifest.schema, upgraded=False)


__all__ = [
    "BackupResult",
    "RestoreResult",
    "backup_database",
    "backup_kind",
    "restore_database",
]
