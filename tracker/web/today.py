"""Today's date as the web app sees it (UTC, like the CLI)."""

from __future__ import annotations

from datetime import date, datetime, timezone


def today() -> date:
    return datetime.now(timezone.utc).date()
