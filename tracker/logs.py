"""Logging of the long-running processes (web app, workers, beat): text or JSON lines, each
carrying the ids of what it is about.

The ids live in a context variable: the code that knows which feed, task or forecast it works
on wraps that work in :func:`log_context` (or :func:`bind` / :func:`unbind` where a start and
an end are two callbacks, as Celery's task signals are), and :class:`ContextFilter` copies them
onto every record a handler writes, so the lines that libraries log inside that work (httpx,
Celery, SQLAlchemy) carry them too.  Context variables follow each thread and each asyncio
task, so two polls in two threads never mix their ids.

``log_format = json`` writes one JSON object a line (python-json-logger): ``time``, ``level``,
``logger``, ``message``, the ids that apply (``feed_id``, ``task_id``, ``task``,
``forecast_id``, ...) and ``exc_info`` with the traceback when there is one.
"""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any, Literal

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
#: the fields of a JSON line, renamed from the LogRecord's attribute names
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"
JSON_RENAMES = {"levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_EMPTY: Mapping[str, object] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, object]] = ContextVar("tracker_log_context", default=_EMPTY)
#: functions that read ids from a record itself (Celery's ``data`` extra: the task of a line
#: logged outside the task's run, such as "Task ... received"); see :func:`add_enricher`
_ENRICHERS: list[Callable[[logging.LogRecord], Mapping[str, object]]] = []


def current_context() -> Mapping[str, object]:
    """The ids bound here now."""
    return _CONTEXT.get()


def bind(**ids: object) -> Token[Mapping[str, object]]:
    """Adds ``ids`` (None values left out) to the context; :func:`unbind` with the token
    returned puts the context back as it was."""
    fresh = {key: value for key, value in ids.items() if value is not None}
    return _CONTEXT.set(MappingProxyType({**_CONTEXT.get(), **fresh}))


def unbind(token: Token[Mapping[str, object]]) -> None:
    """Puts the context back as it was before the :func:`bind` that returned ``token``."""
    _CONTEXT.reset(token)


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Every line logged inside the block (in this thread or asyncio task) carries ``ids``."""
    token = bind(**ids)
    try:
        yield
    finally:
        unbind(token)


def add_enricher(enricher: Callable[[logging.LogRecord], Mapping[str, object]]) -> None:
    """Registers a function that finds ids in a record itself (once per function)."""
    if enricher not in _ENRICHERS:
        _ENRICHERS.append(enricher)


class ContextFilter(logging.Filter):
    """Copies the context's ids (and those the enrichers find) onto each record; an id the
    record already has (an ``extra`` of the call) wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids: dict[str, object] = {}
        for enricher in _ENRICHERS:
            ids.update(enricher(record))
        ids.update(_CONTEXT.get())
        names = []
        for key, value in ids.items():
            if key not in record.__dict__:
                setattr(record, key, value)
            names.append(key)
        record.tracker_ids = tuple(names)
        return True


class TextFormatter(logging.Formatter):
    """The usual text line, with the ids after the message (``[feed_id=3 task=...]``)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        names = getattr(record, "tracker_ids", ())
        if not names:
            return line
        ids = " ".join(f"{name}={getattr(record, name)}" for name in sorted(names))
        head, newline, rest = line.partition("\n")  # a traceback stays below the ids
        return f"{head} [{ids}]{newline}{rest}"


def _json_formatter() -> logging.Formatter:
    from pythonjsonlogger.core import RESERVED_ATTRS
    from pythonjsonlogger.json import JsonFormatter

    # not fields of a line: Celery's formatting arguments (repeated in the message), uvicorn's
    # message with terminal colours, asyncio's task name, and the filter's list of its ids
    reserved = [*RESERVED_ATTRS, "taskName", "data", "color_message", "tracker_ids"]
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields=JSON_RENAMES,
        reserved_attrs=reserved,
        timestamp="time",  # ISO 8601, UTC
        json_ensure_ascii=False,
    )


def make_formatter(log_format: LogFormat = "text") -> logging.Formatter:
    """The formatter of ``log_format`` (used by :func:`dict_config`'s ``()`` factory)."""
    return _json_formatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)


def dict_config(log_format: LogFormat, level: str | int = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` mapping: one stderr handler with the ids' filter,
    on the root logger; uvicorn's loggers lose their own handlers and propagate to it (uvicorn
    takes this as its ``log_config``, applied in each of its worker processes)."""
    shown = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"ids": {"()": ContextFilter}},
        "formatters": {"line": {"()": make_formatter, "log_format": log_format}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["ids"],
                "formatter": "line",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {**shown, "level": level},
            "uvicorn.error": shown,
            "uvicorn.access": shown,
            "httpx": {"level": "WARNING"},  # a line per request is noise for operators
            "httpcore": {"level": "WARNING"},
            "alembic": {"level": "WARNING"},  # the start-up upgrade's plugin lines
        },
    }


def configure(log_format: LogFormat, level: str | int = "INFO") -> None:
    """Sets up this process's logging (see :func:`dict_config`); warnings become log lines too
    (``py.warnings``), so that with JSON every line on stderr is JSON."""
    logging.config.dictConfig(dict_config(log_format, level))
    logging.captureWarnings(True)
