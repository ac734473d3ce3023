"""The ``tracker`` command line.  Each command group lives in its own module."""

from tracker.cli._app import app, main
from tracker.cli import forecasts as _forecasts  # noqa: F401  (registers commands)
from tracker.cli import scoring as _scoring  # noqa: F401  (registers commands)
from tracker.cli import feeds as _feeds  # noqa: F401  (registers commands)
from tracker.cli import web as _web  # noqa: F401  (registers commands)
from tracker.cli import resolution as _resolution  # noqa: F401  (registers commands)

__all__ = ["app", "main"]
