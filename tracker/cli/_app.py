"""The root Typer app, its shared state, and the one place that turns errors into messages.

Every command parses its options, calls one use case of :mod:`tracker.service` inside one unit
of work, and prints the result; a :class:`~tracker.errors.TrackerError` from anywhere becomes
one ``Error: ...`` line on stderr and exit status 1 (:class:`TrackerGroup`).
"""

from __future__ import annotations

import getpass
from datetime import date
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from tracker.cli._layout import guarded
from tracker.errors import ForecastFileError, ForecastImportError, InvalidInputError, TrackerError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tracker.domain.scale import EstimativeScale
    from tracker.settings import Settings

#: both show control characters as symbols, whatever is printed (``_layout.ControlGuard``)
console = guarded(Console())
error_console = guarded(Console(stderr=True, soft_wrap=True))


#: the groups of ``tracker --help`` (typer's ``rich_help_panel``), in the order a day goes
FORECASTS = "forecasts"
NEWS = "news"
REVIEW = "review"
SCORES = "scores"
WEB_AND_WORKERS = "web and workers"
ADMIN = "admin"
HELP_PANELS = (FORECASTS, NEWS, REVIEW, SCORES, WEB_AND_WORKERS, ADMIN)


class TrackerGroup(TyperGroup):
    """Turns every :class:`TrackerError` into a one-line ``Error: ...`` and exit status 1; a
    refused import of forecast files with several problems lists each on its own line first."""

    def list_commands(self, ctx: Any) -> list[str]:
        """The commands grouped in the order of :data:`HELP_PANELS` (typer prints its panels in
        the order it first meets them), each group in the order of registration."""
        rank = {panel: i for i, panel in enumerate(HELP_PANELS)}
        names = super().list_commands(ctx)
        return sorted(
            names,
            key=lambda name: rank.get(str(getattr(self.commands[name], "rich_help_panel", "")), -1),
        )

    def invoke(self, ctx: Any) -> Any:  # typer's (vendored, private) click Context
        try:
            return super().invoke(ctx)
        except ForecastImportError as exc:
            if len(exc.problems) == 1:
                error_console.print(f"Error: {exc}", markup=False, highlight=False)
            else:
                print_problems(exc.problems)
                error_console.print(
                    f"Error: {len(exc.problems)} problem(s); nothing was imported",
                    markup=False,
                    highlight=False,
                )
            raise typer.Exit(1) from exc
        except TrackerError as exc:
            error_console.print(f"Error: {exc}", markup=False, highlight=False)
            raise typer.Exit(1) from exc


def print_problems(problems: list[ForecastFileError]) -> None:
    """The problems of forecast files, one a line (``file:line, forecast, field: message``)."""
    for problem in problems:
        error_console.print(str(problem), markup=False, highlight=False)


class State:
    """What every command needs, built once from the settings when first asked for.

    Nothing here is imported before a command uses it: ``tracker --help`` and the parsing of the
    options must not load pydantic, SQLAlchemy or the use-case layer (docs/dev.md, "CLI start-up").
    """

    def __init__(self, settings: Settings | None = None) -> None:
        if settings is not None:
            self.__dict__["settings"] = settings

    @cached_property
    def settings(self) -> Settings:
        from tracker.settings import Settings

        return Settings()

    @cached_property
    def engine(self) -> Engine:
        """The database, whatever state its schema is in (`tracker init` makes it current)."""
        from tracker import service

        return service.database(self.settings)

    def ready_engine(self) -> Engine:
        """The database, after checking that ``tracker init`` has brought the schema up to date."""
        from tracker import service

        return service.ready_database(self.settings)

    @cached_property
    def scale(self) -> EstimativeScale:
        from tracker.domain.scale import EstimativeScale

        return EstimativeScale.for_project(self.settings.scale_file)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


def current_user() -> str:
    """Who runs the command, recorded as the actor when ``--by`` is not given."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "analyst"


def parse_day(text: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option as a date (None when not given)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(option, f"{text!r} is not a date; write it as YYYY-MM-DD") from exc


def state(ctx: typer.Context) -> State:
    root: State = ctx.find_root().obj
    return root


app = typer.Typer(
    cls=TrackerGroup,
    no_args_is_help=True,
    help="Track pundits' forecasts: import them, resolve them, score them.",
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    if ctx.obj is None:
        ctx.obj = State()


@app.command(rich_help_panel=ADMIN)
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from tracker import service

    settings = state(ctx).settings
    console.print(settings.location_line(), markup=False, soft_wrap=True)
    service.init_database(settings)
    console.print("Database ready.")


def main() -> None:
    app()
