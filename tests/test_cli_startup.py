"""The CLI starts at once: each command imports only what it uses (issue 16).

Each check runs in a fresh interpreter (the test process itself has imported everything) and
reads ``sys.modules`` after the command: `tracker --help` and every command module load no
database, settings, numeric, plotting, worker or web library; `tracker forecasts list` and
`tracker confirm` load the database but none of the reports, the statistics, the workers, the
web app or the fetchers.  How fast that makes them is measured by ``benchmarks/bench_cli.py``.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tracker.cli
from tests.web_fixtures import add_proposals, seed
from tracker import db
from tracker.cli._app import HELP_PANELS

#: what `tracker --help` and the import of a command module must not load
NOT_FOR_HELP = (
    "scipy",
    "matplotlib",
    "numpy",
    "celery",
    "fastapi",
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "alembic",
    "httpx",
    "tracker.service",
    "tracker.settings",
    "tracker.reports",
    "tracker.scoring",
)
#: what `forecasts list` and `confirm` must not load (they need the database)
NOT_FOR_LIST_OR_CONFIRM = (
    "scipy",
    "matplotlib",
    "celery",
    "fastapi",
    "httpx",
    "trafilatura",
    "tracker.reports",
    "tracker.baselines._manifold",
    "tracker.ingest._pages",
    "tracker.web",
    "tracker.domain.forecast_files",  # the file parser: pydantic models and YAML
    "yaml",
    # on SQLite (as here): the PostgreSQL dialect and its drivers' modules are 20 ms
    # (models.add_postgresql_options; the search tables' tsvector type)
    "sqlalchemy.dialects.postgresql",
)

#: runs ``tracker`` with the given arguments, then writes the loaded modules to $MODULES_OUT
RUN_COMMAND = """
import json, os, sys
sys.argv = ["tracker", *sys.argv[1:]]
try:
    from tracker.cli import main
    main()
finally:
    with open(os.environ["MODULES_OUT"], "w") as out:
        json.dump(sorted(sys.modules), out)
"""
#: imports one module, then prints the loaded modules
IMPORT_MODULE = (
    "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
    "print(json.dumps(sorted(sys.modules)))"
)


def loaded(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    """The ``packages`` among ``modules`` (a package counts when any of its modules is loaded)."""
    return sorted({p for p in packages for m in modules if m == p or m.startswith(p + ".")})


def run_tracker(tmp_path: Path, *args: str, data_dir: Path | None = None) -> tuple[str, list[str]]:
    """`tracker ARGS` in a fresh interpreter: its output and the modules it loaded."""
    modules_file = tmp_path / "modules.json"
    env = {**os.environ, "COLUMNS": "100", "MODULES_OUT": str(modules_file)}
    env.pop("TRACKER_DATABASE_URL", None)
    env["TRACKER_DATA_DIR"] = str(data_dir or tmp_path / "no-data")
    done = subprocess.run(
        [sys.executable, "-c", RUN_COMMAND, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"tracker {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout, json.loads(modules_file.read_text())


def test_help_loads_no_heavy_library_and_groups_the_commands(tmp_path):
    output, modules = run_tracker(tmp_path, "--help")
    assert "tracker.cli.forecasts" in modules  # the commands were registered
    assert loaded(modules, NOT_FOR_HELP) == []
    panels = [line.strip("╭─ ╮") for line in output.splitlines() if line.startswith("╭─")]
    assert panels == ["Options", *HELP_PANELS]  # every command in a group, groups in a day's order


COMMAND_MODULES = sorted(m.name for m in pkgutil.iter_modules(tracker.cli.__path__))


@pytest.mark.parametrize("name", COMMAND_MODULES)
def test_a_cli_module_imports_no_heavy_library_at_module_level(name):
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_MODULE, f"tracker.cli.{name}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded(json.loads(done.stdout), NOT_FOR_HELP) == []


@pytest.fixture
def data_dir(tmp_path: Path) -> tuple[Path, int]:
    """A data dir with the seed imported (and the hostile test source) and proposals waiting;
    the id of one that proposes an outcome."""
    folder = tmp_path / "data"
    folder.mkdir()
    engine = db.make_engine(f"sqlite:///{folder / 'tracker.db'}")
    db.upgrade(engine)
    seed(engine, tmp_path)
    proposal = add_proposals(engine)["hostile-forecast"].id  # evidence: yes
    engine.dispose()
    return folder, proposal


def test_forecasts_list_loads_only_what_it_shows(tmp_path, data_dir):
    output, modules = run_tracker(tmp_path, "forecasts", "list", data_dir=data_dir[0])
    assert "us-nato-written-counterproposals" in output
    # its Brier column is computed in plain Python (numpy is a fifth of the command's start-up)
    assert loaded(modules, (*NOT_FOR_LIST_OR_CONFIRM, "numpy", "limits")) == []


def test_confirm_loads_only_what_it_uses(tmp_path, data_dir):
    folder, proposal = data_dir
    output, modules = run_tracker(
        tmp_path, "confirm", str(proposal), "--by", "ana", data_dir=folder
    )
    assert "resolved yes" in output
    assert loaded(modules, NOT_FOR_LIST_OR_CONFIRM) == []


def test_the_models_on_sqlite_load_no_postgresql_dialect():
    """The PostgreSQL options of the models are given when a PostgreSQL engine is made
    (``models.add_postgresql_options``): naming one in a model loaded SQLAlchemy's PostgreSQL
    dialect and its drivers' modules (20 ms) into every command, on SQLite too."""
    code = (
        "import json, sys; from tracker import db, models; "
        "db.make_engine('sqlite://').dispose(); print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = json.loads(done.stdout)
    assert "tracker.models" in modules
    assert loaded(modules, ("sqlalchemy.dialects.postgresql",)) == []


def full_command_tree() -> dict[str, list[str]]:
    """Each top-level command of `tracker --help`, with its subcommands (a group's)."""
    import typer.main

    root = typer.main.get_command(tracker.cli.app)
    return {
        name: sorted(getattr(command, "commands", {}))
        for name, command in root.commands.items()  # type: ignore[attr-defined]
    }


#: loads the app for one command line as `tracker` does, then prints its command tree
COMMAND_TREE = """
import json, sys
import typer.main
from tracker.cli import _load_app
root = typer.main.get_command(_load_app(sys.argv[1:]))
print(json.dumps({n: sorted(getattr(c, "commands", {})) for n, c in root.commands.items()}))
"""


def test_every_command_says_which_modules_register_it():
    assert set(tracker.cli._MODULES_OF) == set(full_command_tree()), (
        "add the command to tracker.cli._MODULES_OF (else `tracker NAME` imports every module)"
    )


@pytest.mark.parametrize("command", sorted(tracker.cli._MODULES_OF))
def test_a_command_alone_is_registered_whole(command):
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_TREE, command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    tree = json.loads(done.stdout)
    assert tree[command] == full_command_tree()[command]
