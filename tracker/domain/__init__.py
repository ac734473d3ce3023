"""The forecast domain: what a forecast is and the rules it lives by, apart from the pipeline.

- :mod:`.forecast_files` reads and validates forecast files (YAML, all problems at once);
- :mod:`.scale` is the estimative-language scale (verbal terms to probabilities);
- :mod:`.registry` imports forecast files (all-or-nothing) and reads forecasts back;
- :mod:`.lifecycle` is the only code that changes a forecast's status, and derives the status
  a forecast has on a given day ("closed" once past its close date, swept or not);
- :mod:`.audit` is the append-only audit log every change writes to;
- :mod:`.auth` holds the analysts' accounts, API tokens and web sessions.

Each module takes the caller's session (one unit of work) and writes no commit of its own.
The use cases that combine them live in :mod:`tracker.service`.

The modules are imported when first used (``from tracker.domain import registry`` or
``tracker.domain.registry``), not with the package: reading forecasts back needs neither the file
parser nor the accounts (docs/dev.md, "CLI start-up").
"""

from __future__ import annotations

import importlib
import types
import typing

if typing.TYPE_CHECKING:
    from tracker.domain import audit, auth, forecast_files, lifecycle, registry, scale

__all__ = ["audit", "auth", "forecast_files", "lifecycle", "registry", "scale"]


def __getattr__(name: str) -> types.ModuleType:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
