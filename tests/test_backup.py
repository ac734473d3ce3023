"""`tracker backup` / `restore` and `export-all` / `import-all` on a populated database (issue 17,
"What to build" 5): each round trip gives back the same scorecard JSON, byte for byte, the same
forecasts list and the same audit log; what must be refused is refused with one line."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from tests.conftest import Cli
from tests.web_fixtures import HOSTILE_ID, add_proposals, resolve_some, seed
from tracker import db, service
from tracker.db import session_scope
from tracker.models import AuditEntry, Outcome

#: unresolved forecasts of the seed, resolved by hand after a backup or an import
CHANGED, LATER = "us-implements-russian-demands", "russia-military-measures"
GENERATED_AT = re.compile(r'"generated_at": "[^"]*"')


def populate(engine: Engine, tmp_path: Path) -> None:
    """The seed's forecasts and analyst, outcomes recorded by hand, proposals from stored
    articles, one confirmed: every table that matters holds rows."""
    seeded = seed(engine, tmp_path)
    resolve_some(engine, {"nato-moratorium": Outcome.NO})
    proposal = add_proposals(engine)[HOSTILE_ID]
    with session_scope(engine) as session:
        service.confirm_proposal(session, proposal.id, actor="ana", note="read it")
    assert seeded.forecast_ids


def snapshot(cli: Cli) -> dict[str, str]:
    """What a user reads: the scorecard JSON (exact bytes), the forecasts list and each
    forecast's details with its audit log."""
    listed = cli("forecasts", "list", "--format", "json").stdout
    ids = [f["id"] for f in json.loads(listed)]
    shown = {i: cli("forecasts", "show", i, "--format", "json").stdout for i in ids}
    card = cli("scorecard", "--format", "json").stdout
    return {
        # byte for byte, but for the moment it was made
        "scorecard": GENERATED_AT.sub('"generated_at": "#"', card, count=1),
        "list": listed,
        **{f"show {i}": out for i, out in shown.items()},
    }


def audit_rows(engine: Engine) -> list[tuple[object, ...]]:
    """Every column of every entry, as the models read them (UTC times, JSON details)."""
    table = AuditEntry.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.id))
        return [tuple(row) for row in rows]


def _populated(database_url: str, tmp_path: Path) -> tuple[Engine, Cli, dict[str, str]]:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    populate(engine, tmp_path)
    cli = Cli(database_url, tmp_path / "data")
    return engine, cli, snapshot(cli)


def _fresh_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return request.getfixturevalue("second_postgres_url")


@pytest.fixture
def second_postgres_url(postgres_url: str) -> str:
    """A second empty PostgreSQL database (the fixture is per test: make another by hand)."""
    import uuid

    import psycopg

    from tests.services import postgres_admin_dsn

    name = f"tracker_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    db._cached_engine.cache_clear()
    with psycopg.connect(postgres_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_and_restore_give_back_the_same_data(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine, cli, before = _populated(database_url, tmp_path)
    audit = audit_rows(engine)
    assert len(audit) > 10
    backup = tmp_path / "tracker.backup"
    out = cli("backup", backup).stdout
    assert "Backed up to" in out and backup.stat().st_size > 0

    # into a new, empty database
    target_url = _fresh_url(database_url, tmp_path, request)
    target = Cli(target_url, tmp_path / "data2")
    assert "Restored" in target("restore", backup).stdout
    assert snapshot(target) == before
    assert audit_rows(db.make_engine(target_url)) == audit

    # over the same database after a change: refused without --force, then replaced
    cli("resolve-manually", CHANGED, "--outcome", "no", "--note", "after the backup")
    assert snapshot(cli) != before
    refused = cli("restore", backup, ok=False)
    assert refused.exit_code == 1
    assert "is not empty" in refused.output and "--force" in refused.output
    cli("restore", backup, "--force")
    assert snapshot(cli) == before
    # and the restored database takes new writes (ids and sequences past the restored ones)
    cli("resolve-manually", LATER, "--outcome", "yes", "--note", "after the restore")


def test_a_backup_file_is_whole_and_one_file(sqlite_url: str, tmp_path: Path) -> None:
    _engine, cli, _ = _populated(sqlite_url, tmp_path)
    backup = tmp_path / "b.sqlite"
    cli("backup", backup)
    assert not list(tmp_path.glob("*.partial")) and not Path(f"{backup}-wal").exists()
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    again = cli("backup", backup, ok=False)
    assert again.exit_code == 1 and "exists already" in again.output


def test_restore_refuses_what_is_not_a_compatible_backup(sqlite_url: str, tmp_path: Path) -> None:
    _engine, cli, before = _populated(sqlite_url, tmp_path)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n")
    result = cli("restore", junk, "--force", ok=False)
    assert result.exit_code == 1 and "is not a backup of the tracker" in result.output

    newer = tmp_path / "newer.backup"
    cli("backup", newer)
    with sqlite3.connect(newer) as copy:
        copy.execute("UPDATE alembic_version SET version_num = '9999_newer'")
    result = cli("restore", newer, "--force", ok=False)
    assert result.exit_code == 1
    assert "made by a newer tracker" in result.output and "9999_newer" in result.output
    assert snapshot(cli) == before  # nothing was touched


def test_export_all_and_import_all(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine, cli, before = _populated(database_url, tmp_path)
    folder = tmp_path / "export"
    out = cli("export-all", folder).stdout
    assert "Exported" in out
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["schema"] == sorted(db.migration_heads())
    assert manifest["tracker_version"] and manifest["engine"] == engine.dialect.name
    counts = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert counts["forecast"] > 5 and counts["audit_log"] > 10 and counts["app_user"] == 1
    for entry in manifest["tables"]:
        lines = (folder / entry["file"]).read_text().splitlines()
        assert len(lines) == entry["rows"]

    target_url = _fresh_url(database_url, tmp_path, request)
    target = Cli(target_url, tmp_path / "data2")
    assert "Imported" in target("import-all", folder).stdout
    assert snapshot(target) == before
    # a second import into the now non-empty database is refused, whole
    again = target("import-all", folder, ok=False)
    assert again.exit_code == 1 and "is not empty" in again.output
    # new rows get new ids (PostgreSQL's sequences were moved past the imported ones)
    target("resolve-manually", LATER, "--outcome", "yes", "--note", "after the import")


def test_import_all_refuses_another_schema_and_a_damaged_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    _engine, cli, _ = _populated(sqlite_url, tmp_path)
    folder = tmp_path / "export"
    cli("export-all", folder)
    target = Cli(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "data2")

    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "schema": ["0003"]}))
    result = target("import-all", folder, ok=False)
    assert result.exit_code == 1 and "schema version 0003" in result.output
    manifest_path.write_text(json.dumps(manifest))

    forecasts = folder / "forecast.jsonl"
    forecasts.write_text(forecasts.read_text().replace("0.", "0.9", 1))
    result = target("import-all", folder, ok=False)
    assert result.exit_code == 1 and "differs from the manifest" in result.output
    # nothing was loaded
    other = db.make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    if db.schema_revisions(other):
        with other.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM forecast")).scalar() == 0


@pytest.mark.postgres
def test_postgres_backup_without_pg_dump_is_a_logical_export(
    postgres_url: str, second_postgres_url: str, tmp_path: Path
) -> None:
    engine, _cli, before = _populated(postgres_url, tmp_path)
    backup = tmp_path / "pg.backup"
    done = service.backup_database(engine, backup, pg_dump=None)
    assert done.method == "export" and backup.read_bytes()[:2] == b"PK"
    target = Cli(second_postgres_url, tmp_path / "data2")
    assert "Restored" in target("restore", backup).stdout
    assert snapshot(target) == before
