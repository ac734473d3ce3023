"""Moving a grown SQLite database to PostgreSQL (issue 17, "What to build" 5): `tracker export-all`
from SQLite, `tracker import-all` into an empty PostgreSQL database, and a user sees the same
scorecard JSON, the same forecasts list and the same forecasts with their audit logs; the
analyst's account signs in there."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import Cli
from tests.test_backup import LATER, _populated, audit_rows, snapshot
from tests.web_fixtures import PASSWORD
from tracker import db
from tracker.db import session_scope
from tracker.domain import auth


@pytest.mark.postgres
def test_a_populated_sqlite_database_moves_to_postgres(
    sqlite_url: str, postgres_url: str, tmp_path: Path
) -> None:
    sqlite_engine, sqlite_cli, before = _populated(sqlite_url, tmp_path)
    audit = audit_rows(sqlite_engine)
    folder = tmp_path / "moving"
    sqlite_cli("export-all", folder)

    pg = Cli(postgres_url, tmp_path / "data")
    out = pg("import-all", folder).stdout
    assert "exported from sqlite" in out
    assert snapshot(pg) == before
    pg_engine = db.make_engine(postgres_url)
    assert audit_rows(pg_engine) == audit
    with pg_engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM app_user")).scalars().all() == ["ana"]

    # the moved database works on: the analyst's password checks, a forecast is resolved with a
    # new audit entry whose id follows the moved ones
    with session_scope(pg_engine) as session:
        assert auth.authenticate(session, "ana", PASSWORD).name == "ana"
    pg("resolve-manually", LATER, "--outcome", "yes", "--note", "after the move")
    moved = audit_rows(pg_engine)
    assert moved[: len(audit)] == audit and moved[-1][0] > audit[-1][0]
    pg_engine.dispose()
