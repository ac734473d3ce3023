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
"""

from tracker.domain import audit, auth, forecast_files, lifecycle, registry, scale

__all__ = ["audit", "auth", "forecast_files", "lifecycle", "registry", "scale"]
