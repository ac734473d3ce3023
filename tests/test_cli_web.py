"""``tracker users``, ``tracker tokens`` and ``tracker serve``, as an operator runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.conftest import ARTICLE_FILE
from tracker import db
from tracker.models import AuditEntry
from tracker.settings import Settings
from tracker.web import create_app


def test_users_add_list_and_refusals(cli):
    cli("init")
    added = cli.runner.invoke(
        cli.app, ["users", "add", "ana"], input="long enough pw\nlong enough pw\n", env=cli.env
    )
    assert added.exit_code == 0 and "User 'ana' created" in added.output
    assert "long enough pw" not in added.output  # the prompt hides it
    piped = cli.runner.invoke(
        cli.app,
        ["users", "add", "ben", "--password-stdin"],
        input="another password\n",
        env=cli.env,
    )
    assert piped.exit_code == 0, piped.output
    duplicate = cli.runner.invoke(
        cli.app, ["users", "add", "ana", "--password-stdin"], input="whatever123\n", env=cli.env
    )
    assert duplicate.exit_code == 1 and "user 'ana' already exists" in duplicate.output
    short = cli.runner.invoke(
        cli.app, ["users", "add", "cy", "--password-stdin"], input="short\n", env=cli.env
    )
    assert short.exit_code == 1 and "too short" in short.output
    bad_name = cli.runner.invoke(
        cli.app, ["users", "add", "<b>", "--password-stdin"], input="long enough pw\n", env=cli.env
    )
    assert bad_name.exit_code == 1 and "is not allowed" in bad_name.output
    assert "User 'ben' disabled" in cli("users", "disable", "ben").output
    listed = cli.runner.invoke(cli.app, ["users", "list"], env={**cli.env, "COLUMNS": "200"}).output
    rows = {line.split()[0]: line for line in listed.splitlines() if line[:4] in ("ana ", "ben ")}
    assert "2 user(s)" in listed and "never" in rows["ana"]
    assert " yes " in rows["ana"] and " no " in rows["ben"]
    assert "User 'ben' enabled" in cli("users", "enable", "ben").output
    assert cli("users", "disable", "nobody", ok=False).exit_code == 1


def test_token_create_use_list_revoke(cli, database_url, tmp_path):
    cli("init")
    cli("forecasts", "import", ARTICLE_FILE)
    cli.runner.invoke(
        cli.app, ["users", "add", "ana", "--password-stdin"], input="long enough pw\n", env=cli.env
    )
    created = cli("tokens", "create", "laptop", "--user", "ana")
    secret = created.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"trk_[A-Za-z0-9_-]{43}", secret)
    assert "not shown again" in created.stderr
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path / "data"))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/me", headers=headers).json() == {"name": "ana", "via": "token"}
        listed = cli.runner.invoke(
            cli.app, ["tokens", "list"], env={**cli.env, "COLUMNS": "200"}
        ).output
        assert "laptop" in listed and secret[:10] in listed and secret not in listed
        assert "Token 'laptop' revoked" in cli("tokens", "revoke", "laptop").output
        assert client.get("/api/me", headers=headers).status_code == 401
    unknown_user = cli("tokens", "create", "ci", "--user", "nobody", ok=False)
    assert unknown_user.exit_code == 1 and "no user 'nobody'" in unknown_user.output
    same_name = cli("tokens", "create", "laptop", "--user", "ana", ok=False)
    assert same_name.exit_code == 1 and "token 'laptop' already exists" in same_name.output
    assert cli("tokens", "revoke", "nope", ok=False).exit_code == 1
    engine = db.make_engine(database_url)
    with db.session_scope(engine) as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity.in_(["user", "token"]))
            .order_by(AuditEntry.id)
        ).all()
        assert [(e.action, e.entity, e.entity_id) for e in entries] == [
            ("create", "user", "ana"),
            ("create", "token", "laptop"),
            ("revoke", "token", "laptop"),
        ]
        assert entries[1].detail["user"] == "ana" and all(e.actor for e in entries)
        assert entries[1].detail["expires"] > entries[1].at.isoformat()  # 90 days by default
    engine.dispose()


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_runs_the_web_app(tmp_path, workers):
    """``tracker serve`` in a subprocess on an ephemeral loopback port, on a fresh SQLite database;
    with ``--workers 2`` two server processes share the port (the schema is upgraded once,
    first)."""
    script = os.path.join(os.path.dirname(sys.executable), "tracker")
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path)}
    env.pop("TRACKER_DATABASE_URL", None)
    server = subprocess.Popen(
        [script, "serve", "--host", "127.0.0.1", "--port", "0", "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        port, seen, deadline = None, [], time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            port = int(match.group(1)) if match else None
        assert port, "no 'running on' line:\n" + "".join(seen)
        if (
            workers == 1
        ):  # with several, the workers start (and warn) after the parent's 'running on' line
            assert any("no analyst accounts yet" in line for line in seen)
        health = _get_when_up(f"http://127.0.0.1:{port}/api/health")
        assert health.json() == {
            "status": "ok",
            "schema_current": True,
        }  # `alembic upgrade head` ran on start
        assert httpx.get(f"http://127.0.0.1:{port}/forecasts", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get_when_up(url: str) -> httpx.Response:
    """GET ``url``, retrying while the server's worker processes are still starting."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, timeout=10)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
