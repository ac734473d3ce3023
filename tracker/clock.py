"""The one clock of the tracker: the current time and today's date, both in UTC.

Every "now" and every "today" comes from here, so the CLI, the web app, the workers and the
demo agree on which day it is (a forecast is past its close date from the UTC midnight after
it), and a test can tell at a glance where time enters a computation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC."""
    return utcnow().date()
