"""The exceptions of the tracker, one hierarchy under :class:`TrackerError`.

User-facing surfaces (the CLI, the web app, the Celery tasks) catch
``TrackerError`` in one place each and print its ``str()``: every message is
one readable line that says what is wrong, where, and what to do.
Lower-level errors (SQLAlchemy, YAML, HTTP) are mapped with ``raise X(...) from exc``.

    TrackerError
    ├── ConfigError                  bad settings, unreadable override file
    ├── StorageError                 the database failed (wraps SQLAlchemy errors)
    ├── NotFoundError                no such forecast / source / feed ...
    ├── UnknownTermError             an estimative term not in the scale
    ├── LifecycleError               an illegal status transition
    ├── RuleError                    a forecast's evidence rule cannot be compiled for matching
    └── ForecastFileError            one problem in one forecast file (file, line, id, field)
        └── ForecastImportError      the whole import was refused: carries every problem found
"""

from __future__ import annotations

from pathlib import Path


class TrackerError(Exception):
    """Base of every error the tracker raises on purpose."""


class ConfigError(TrackerError):
    """The settings, or a file they point to, cannot be used."""


class StorageError(TrackerError):
    """The database could not do what was asked (connection, migration, constraint)."""


class NotFoundError(TrackerError):
    """A named object does not exist."""

    def __init__(self, kind: str, key: object, hint: str = "") -> None:
        self.kind = kind
        self.key = key
        message = f"no {kind} {key!r}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)


class UnknownTermError(TrackerError):
    """An estimative term that the scale does not know."""

    def __init__(self, term: str, scale: str | None = None) -> None:
        self.term = term
        self.scale = scale
        where = f"the {scale!r} scale" if scale else "the estimative scale"
        super().__init__(
            f"unknown estimative term {term!r} in {where}; "
            "give an explicit probability or add the term to the scale (see `tracker scale`)"
        )


class LifecycleError(TrackerError):
    """A forecast was asked to move to a status its current status does not allow."""

    def __init__(self, forecast_id: str, current: str, requested: str, reason: str = "") -> None:
        self.forecast_id = forecast_id
        self.current = current
        self.requested = requested
        message = f"forecast {forecast_id!r} is {current}; it cannot become {requested}"
        if reason:
            message += f" ({reason})"
        super().__init__(message)


class RuleError(TrackerError):
    """A forecast's ``yes_when`` / ``no_when`` rule that the matcher cannot compile.

    Forecast files are validated on import, so this means rules that reached the matcher
    some other way (edited in the database, built in code); the message says which.
    """

    def __init__(self, forecast_id: str, field: str, message: str) -> None:
        self.forecast_id = forecast_id
        self.field = field
        self.message = message
        super().__init__(
            f"forecast {forecast_id!r}, field {field!r}: {message}; fix the forecast file and import it again"
        )


class ForecastFileError(TrackerError):
    """One problem in one forecast file, located as precisely as possible."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        forecast_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.forecast_id = forecast_id
        self.field = field
        self.message = message
        super().__init__(self.location() + ": " + message)

    def location(self) -> str:
        parts = [self.path + (f":{self.line}" if self.line else "")]
        if self.forecast_id:
            parts.append(f"forecast {self.forecast_id!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)


class ForecastImportError(ForecastFileError):
    """An import refused as a whole; ``problems`` lists every error found."""

    def __init__(self, problems: list[ForecastFileError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(
            first.path, first.message, line=first.line, forecast_id=first.forecast_id, field=first.field
        )
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        self.args = (f"{first}{more}; nothing was imported",)

    def __str__(self) -> str:
        return self.args[0]
