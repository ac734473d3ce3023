"""The ``tracker`` command line.  Each command group lives in its own module.

Nothing is imported until used.  ``tracker`` is a console script (``from tracker.cli import main``),
and the parse worker processes of `tracker poll` (``tracker.ingest._parsepool``, started by
forkserver or spawn) import the main script again; with the commands imported here, each worker
would load the whole CLI, SQLAlchemy and the web app (over a second) before parsing anything.
"""

from __future__ import annotations

import importlib
import os
import sys
import typing

if typing.TYPE_CHECKING:
    import typer

#: the command modules, in the order of `tracker --help`
_COMMAND_MODULES = (
    "forecasts",
    "forecast_updates",
    "extract",
    "scoring",
    "feeds",
    "baselines",
    "compare",
    "operate",
    "web",
    "resolution",
    "evidence",
    "demo",
    "admin",
    "search",
)


#: the modules that register each top-level command (``init`` is in ``_app``), so that
#: ``tracker confirm`` imports and builds one module's commands, not all fifty (50 ms of a
#: 650 ms command; docs/dev.md, "CLI start-up").  A command missing here still works: an
#: unknown name loads every module (``tests/test_cli_startup.py`` checks the table).
_MODULES_OF: dict[str, tuple[str, ...]] = {
    "init": (),
    "forecasts": ("forecasts", "forecast_updates"),
    "resolve-manually": ("forecasts",),
    "reopen": ("forecasts",),
    "scale": ("forecasts",),
    "extract": ("extract",),
    "scorecard": ("scoring",),
    "report": ("scoring",),
    "poll": ("feeds",),
    "feeds": ("feeds",),
    "articles": ("feeds",),
    "baselines": ("baselines",),
    "compare": ("compare",),
    "authors": ("compare",),
    "questions": ("compare",),
    "status": ("operate",),
    "run": ("operate",),
    "worker": ("operate",),
    "beat": ("operate",),
    "serve": ("web",),
    "users": ("web",),
    "tokens": ("web",),
    "resolve": ("resolution",),
    "review": ("resolution",),
    "confirm": ("resolution",),
    "reject": ("resolution",),
    "resolver-stats": ("resolution",),
    "evidence": ("evidence",),
    "demo": ("demo",),
    "backup": ("admin",),
    "restore": ("admin",),
    "export-all": ("admin",),
    "import-all": ("admin",),
    "audit": ("admin",),
    "search": ("search",),
}


def _load_app(args: typing.Sequence[str] = ()) -> typer.Typer:
    """The Typer app with the command groups that ``args`` (the command line after ``tracker``)
    may run registered: those of its command, or all of them (``--help``, an unknown name)."""
    from tracker.cli._app import app

    command = args[0] if args else ""
    for name in _MODULES_OF.get(command, _COMMAND_MODULES):
        importlib.import_module(f"tracker.cli.{name}")
    return app


def main() -> None:
    # pydantic reads every installed distribution's entry points for plugins when it builds its
    # first model (about 20 ms of each command's start-up); the tracker uses none. A value the
    # user set (even empty) is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _load_app(sys.argv[1:])()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return _load_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
