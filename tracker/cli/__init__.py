"""The ``tracker`` command line.  Each command group lives in its own module.

Nothing is imported until used.  ``tracker`` is a console script (``from tracker.cli import main``),
and the parse worker processes of `tracker poll` (``tracker.ingest._parsepool``, started by
forkserver or spawn) import the main script again; with the commands imported here, each worker
would load the whole CLI, SQLAlchemy and the web app (over a second) before parsing anything.
"""

from __future__ import annotations

import importlib
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
    "demo",
)


def _load_app() -> typer.Typer:
    """The Typer app with every command group registered."""
    from tracker.cli._app import app

    for name in _COMMAND_MODULES:
        importlib.import_module(f"tracker.cli.{name}")
    return app


def main() -> None:
    _load_app()()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return _load_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
