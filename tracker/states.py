"""The small enumerations of the models: a forecast's status and outcome, what a statement is and
where it came from.

They live apart from :mod:`tracker.models` so that the CLI can name them in its options (Typer
reads the annotations of every command for ``tracker --help``) without importing SQLModel and
SQLAlchemy; :mod:`tracker.models` re-exports them.
"""

from __future__ import annotations

import enum


class Status(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    RESOLVED = "resolved"
    ANNULLED = "annulled"


class Outcome(str, enum.Enum):
    YES = "yes"
    NO = "no"
    ANNULLED = "annulled"


class StatementKind(str, enum.Enum):
    """What a :class:`ProbabilityUpdate` row is."""

    INITIAL = "initial"  # the forecast's own probability, as the quote gave it (dated opens)
    UPDATE = "update"  # a later statement of the author, with its own date (and quote)
    CORRECTION = "correction"  # a data-entry fix: replaces the value of another row (corrects_id)


class StatementOrigin(str, enum.Enum):
    """Where a :class:`ProbabilityUpdate` row came from (what a re-import may change)."""

    FILE = "file"  # a forecast file: the top-level probability or an `updates:` entry
    ENTERED = "entered"  # recorded by a person: `tracker forecasts update`, the web, the API
    REIMPORT = "reimport"  # before migration 0008: a changed probability dated the re-import day


__all__ = ["Outcome", "StatementKind", "StatementOrigin", "Status"]
