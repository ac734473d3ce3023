"""Baselines: forecasters whose probabilities come from outside, on our questions.

A baseline is a prediction market's price history or a crowd aggregate on one question, one
probability a day.  It comes from a file (:func:`import_baseline_file`, CSV or JSON, checked
whole) or is pulled from a market's public API on a schedule (:func:`pull_baseline`, Manifold
through :class:`ManifoldClient`, with the feeds' guarded HTTP client and backoff like theirs).
:func:`series_of` and :func:`baseline_at` read them for comparisons: the standing value on a day
is the last point on or before it.

Takes the caller's session (or an engine, for a pull); never commits a caller's session.

Private modules, one responsibility each: ``_file`` (reading and checking a file), ``_manifold``
(the API client), ``_series`` (daily prices, the standing value), ``_store`` (the tables and
the pull schedule), ``_import`` (a file, all or nothing), ``_pull`` (one pull).
"""

from tracker.baselines._file import MAX_FILE_BYTES, MAX_ROWS, BaselineRow, read_baseline_file
from tracker.baselines._import import BaselineImport, import_baseline_file
from tracker.baselines._manifold import (
    PROVIDER,
    ManifoldClient,
    Market,
    make_manifold_client,
    market_slug,
)
from tracker.baselines._pull import PullResult, pull_baseline
from tracker.baselines._series import BaselineSeries, Trade, baseline_at, daily_prices
from tracker.baselines._store import (
    BaselineInfo,
    Written,
    add_market_baseline,
    backoff,
    due_baseline_ids,
    get_baseline,
    list_baselines,
    pulled_baseline_ids,
    series_of,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "PROVIDER",
    "BaselineImport",
    "BaselineInfo",
    "BaselineRow",
    "BaselineSeries",
    "ManifoldClient",
    "Market",
    "PullResult",
    "Trade",
    "Written",
    "add_market_baseline",
    "backoff",
    "baseline_at",
    "daily_prices",
    "due_baseline_ids",
    "get_baseline",
    "import_baseline_file",
    "list_baselines",
    "make_manifold_client",
    "market_slug",
    "pull_baseline",
    "pulled_baseline_ids",
    "read_baseline_file",
    "series_of",
]
