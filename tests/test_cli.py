"""The `tracker` command line, as an analyst uses it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.conftest import ARTICLE_FILE, FORECASTS


def test_init_import_list_show(cli):
    assert "Database ready" in cli("init").output
    cli("init")  # safe twice
    out = cli("forecasts", "import", FORECASTS).output
    assert "new" in out
    rows = json.loads(cli("forecasts", "list", "--format", "json").output)
    assert 12 <= len(rows) <= 20
    for row in rows:
        assert {
            "id",
            "status",
            "outcome",
            "probability",
            "estimate",
            "opens",
            "closes",
            "tags",
            "author",
        } <= row.keys()
        assert 0 <= row["probability"] <= 1 and "Trenin" in row["author"]
    # the rich table shows every id; ask for a wide terminal so nothing is cut
    table = cli.runner.invoke(
        cli.app, ["forecasts", "list"], env={**cli.env, "COLUMNS": "300"}
    ).output
    assert all(row["id"] in table for row in rows)
    shown = json.loads(cli("forecasts", "show", rows[0]["id"], "--format", "json").output)
    assert (
        shown["quote"] and shown["probability_history"][0]["probability"] == rows[0]["probability"]
    )
    assert shown["source"]["key"] == "trenin-2022-01-21"
    assert "Audit log" in cli("forecasts", "show", rows[0]["id"]).output


def test_list_filters(cli):
    cli("init")
    cli("forecasts", "import", ARTICLE_FILE)
    nato = json.loads(cli("forecasts", "list", "--tag", "nato", "--format", "json").output)
    assert nato and all("nato" in r["tags"] for r in nato)
    assert (
        json.loads(cli("forecasts", "list", "--author", "nobody", "--format", "json").output) == []
    )
    assert (
        json.loads(cli("forecasts", "list", "--status", "resolved", "--format", "json").output)
        == []
    )
    by_source = json.loads(
        cli("forecasts", "list", "--source", "trenin-2022-01-21", "--format", "json").output
    )
    assert len(by_source) >= 12


def test_resolve_manually_and_refused_transition(cli):
    cli("init")
    cli("forecasts", "import", ARTICLE_FILE)
    forecast_id = json.loads(cli("forecasts", "list", "--format", "json").output)[0]["id"]
    out = cli(
        "resolve-manually",
        forecast_id,
        "--outcome",
        "no",
        "--note",
        "did not happen",
        "--by",
        "ana",
    ).output
    assert "resolved (no)" in out
    again = cli("resolve-manually", forecast_id, "--outcome", "yes", ok=False)
    assert again.exit_code == 1
    assert f"forecast '{forecast_id}' is resolved; it cannot become resolved" in again.output
    assert "Traceback" not in again.output
    rows = {r["id"]: r for r in json.loads(cli("forecasts", "list", "--format", "json").output)}
    assert (rows[forecast_id]["status"], rows[forecast_id]["outcome"]) == ("resolved", "no")
    assert "reopened, now" in cli("reopen", forecast_id, "--note", "premature").output
    shown = json.loads(cli("forecasts", "show", forecast_id, "--format", "json").output)
    assert [a["action"] for a in shown["audit"]][-2:] == ["resolve", "reopen"]
    assert shown["audit"][-2]["actor"] == "ana"


def test_bad_import_is_one_line_and_imports_nothing(cli, tmp_path):
    cli("init")
    bad = tmp_path / "bad.yaml"
    # the source text must lie beside the file (an import reads nothing outside its folder)
    shutil.copytree(ARTICLE_FILE.parent / "sources", tmp_path / "sources")
    bad.write_text(
        ARTICLE_FILE.read_text(encoding="utf-8").replace("probability: 0.", "probability: 7", 1),
        encoding="utf-8",
    )
    result = cli("forecasts", "import", bad, ok=False)
    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if line.strip()]
    assert (
        len(error_lines) == 1
        and "bad.yaml:" in error_lines[0]
        and "field 'probability'" in error_lines[0]
    )
    assert json.loads(cli("forecasts", "list", "--format", "json").output) == []


def test_commands_before_init_say_what_to_do(cli):
    result = cli("forecasts", "list", ok=False)
    assert result.exit_code == 1 and "run `tracker init`" in result.output


def test_unknown_forecast(cli):
    cli("init")
    result = cli("forecasts", "show", "no-such-forecast", ok=False)
    assert result.exit_code == 1 and "no forecast 'no-such-forecast'" in result.output


def test_scale_prints_the_table(cli):
    rows = json.loads(cli("scale", "--format", "json").output)
    terms = {(r["scale"], r["term"]) for r in rows}
    assert ("kent", "probable") in terms and ("icd203", "roughly even chance") in terms
    assert "Estimative scale" in cli("scale").output


def test_installed_console_script(tmp_path):
    """The `tracker` entry point itself, in a subprocess, on the embedded SQLite default."""
    script = os.path.join(os.path.dirname(sys.executable), "tracker")
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path)}
    env.pop("TRACKER_DATABASE_URL", None)
    for args in (["init"], ["forecasts", "import", str(FORECASTS)]):
        subprocess.run([script, *args], env=env, check=True, capture_output=True, timeout=120)
    listed = subprocess.run(
        [script, "forecasts", "list", "--format", "json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert len(json.loads(listed.stdout)) >= 12
    assert (tmp_path / "tracker.db").exists()
