"""The root Typer app, its shared state, and the one place that turns errors into messages."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cached_property

import typer
from rich.console import Console
from sqlalchemy import Engine
from typer.core import TyperGroup

from tracker import db
from tracker.domain.scale import EstimativeScale
from tracker.errors import StorageError, TrackerError
from tracker.settings import Settings

console = Console()
error_console = Console(stderr=True, soft_wrap=True)


class TrackerGroup(TyperGroup):
    """Turns every :class:`TrackerError` into a one-line ``Error: ...`` and exit status 1."""

    def invoke(self, ctx):  # noqa: ANN001, ANN201 - the Click context and result
        try:
            return super().invoke(ctx)
        except TrackerError as exc:
            error_console.print(f"Error: {exc}", markup=False, highlight=False)
            raise typer.Exit(1) from exc


@dataclass
class State:
    """What every command needs, built once from the settings."""

    settings: Settings = field(default_factory=Settings)

    @cached_property
    def engine(self) -> Engine:
        return db.engine_for(self.settings)

    def ready_engine(self) -> Engine:
        """The engine, after checking that ``tracker init`` has brought the schema up to date."""
        if not db.schema_is_current(self.engine):
            raise StorageError(
                f"the database {self.engine.url.render_as_string(hide_password=True)} is not initialised "
                "or is older than this version; run `tracker init`"
            )
        return self.engine

    @cached_property
    def scale(self) -> EstimativeScale:
        return EstimativeScale.for_project(self.settings.scale_file)


def today() -> date:
    return datetime.now(timezone.utc).date()


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "analyst"


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


app = typer.Typer(
    cls=TrackerGroup,
    no_args_is_help=True,
    help="Track pundits' forecasts: import them, resolve them, score them.",
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    if ctx.obj is None:
        ctx.obj = State()


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    engine = state(ctx).engine
    db.upgrade(engine)
    console.print(f"Database ready: {engine.url.render_as_string(hide_password=True)}")


def main() -> None:
    app()
