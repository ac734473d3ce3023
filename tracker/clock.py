"""The one clock of the tracker: the current time and today's date, both in UTC; and the one
text a UTC time is stored as on SQLite.

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


def sqlite_text(at: datetime) -> str:
    """``at`` as SQLAlchemy's SQLite ``DATETIME`` stores it (``models.UTCDateTime``): UTC with no
    zone, microseconds, the year in four digits, so stored times order as text.  For the rows
    and index entries written through the driver, not through SQLAlchemy (``strftime("%Y")``
    writes the year 999 as ``999``, which sorts after ``2022``).  A naive ``at`` is UTC already.
    """
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d} "
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond:06d}"
    )
