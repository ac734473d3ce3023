"""CLI start-up benchmark: how long a command takes from the shell prompt to its last line,
against the floor of starting Python with the CLI's own libraries, measured in the same run.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 7]

Each command runs as a new process, as a user types it (best of ``--repeat``, wall clock):

floor     ``python -c "import typer, rich, sqlalchemy"``
help      ``tracker --help``                                  goal <= 1.5x the floor
list      ``tracker forecasts list`` (the seed's 20 forecasts)  goal <= 3x
confirm   ``tracker confirm ID --outcome yes`` (a proposal the demo left for review, on a fresh
          copy of the demo's data dir each time)                goal <= 3x

Prints each time, its ratio to the floor and its goal; exits 1 when a goal is missed.  The
set-up (importing the seed, running the demo once, about 20 s) is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TRACKER = str(BIN / "tracker")
FLOOR = [sys.executable, "-c", "import typer, rich, sqlalchemy"]
GOALS = {"help": 1.5, "list": 3.0, "confirm": 3.0}


def run(command: list[str], data_dir: Path | None = None) -> str:
    # Python's bytecode cache as a user has it: PYTHONDONTWRITEBYTECODE (set in some CI images)
    # would recompile every module of the tracker on every start, which no installed copy does.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COLUMNS"] = "100"
    if data_dir is not None:
        env["TRACKER_DATA_DIR"] = str(data_dir)
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def best_of(repeat: int, prepare: Callable[[], list[str]], data_dir: Path | None) -> float:
    """The shortest wall-clock time of ``repeat`` runs of the command ``prepare`` returns
    (``prepare`` itself is not timed)."""
    times = []
    run(prepare(), data_dir)  # warm-up: bytecode cache and file-system cache, as on a second call
    for _ in range(repeat):
        command = prepare()
        started = time.perf_counter()
        run(command, data_dir)
        times.append(time.perf_counter() - started)
    return min(times)


def seed_dir(scratch: Path) -> Path:
    folder = scratch / "seed"
    run([TRACKER, "init"], folder)
    run(
        [TRACKER, "forecasts", "import", str(ROOT / "forecasts" / "trenin-2022-01-21.yaml")], folder
    )
    return folder


def demo_dir(scratch: Path) -> tuple[Path, int]:
    """A data dir after the demo, and the id of a proposal it left for review."""
    folder = scratch / "demo"
    run([TRACKER, "demo", "--data-dir", str(folder), "--feeds-port", "0"])
    queue = json.loads(run([TRACKER, "review", "--format", "json"], folder))
    pending = [entry["proposal"]["id"] for entry in queue if entry.get("proposal")]
    if not pending:
        raise SystemExit("the demo left no proposal for review; nothing to confirm")
    return folder, int(pending[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        scratch = Path(tmp)
        seed = seed_dir(scratch)
        demo, proposal = demo_dir(scratch)
        copy = scratch / "confirm"

        def fresh_copy() -> list[str]:
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(demo, copy, ignore=shutil.ignore_patterns("broker", "*.log"))
            return [TRACKER, "confirm", str(proposal), "--outcome", "yes", "--note", "bench"]

        floor = best_of(args.repeat, lambda: FLOOR, None)
        times = {
            "help": best_of(args.repeat, lambda: [TRACKER, "--help"], None),
            "list": best_of(args.repeat, lambda: [TRACKER, "forecasts", "list"], seed),
            "confirm": best_of(args.repeat, fresh_copy, copy),
        }
    print(f"{'floor (import typer, rich, sqlalchemy)':<40} {floor * 1000:7.0f} ms")
    missed = []
    for name, seconds in times.items():
        ratio = seconds / floor
        ok = ratio <= GOALS[name]
        missed += [] if ok else [name]
        print(
            f"{name:<40} {seconds * 1000:7.0f} ms  {ratio:4.1f}x the floor "
            f"(goal <= {GOALS[name]}x: {'met' if ok else 'MISSED'})"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
