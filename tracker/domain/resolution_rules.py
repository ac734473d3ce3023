"""What a forecast's resolution rules say, read from a forecast file or from the stored columns.

Apart from :mod:`.forecast_files` so that reading forecasts back (``tracker forecasts list``)
does not load the file parser, YAML and its pydantic models (docs/dev.md, "CLI start-up").
"""

from __future__ import annotations

from typing import Any


def resolved_by_hand(yes_when: Any, no_when: Any, default_at_close: str | None) -> bool:
    """Whether only an analyst can resolve a forecast with these rules: no evidence rules and no
    default at close (what ``resolution: manual`` declares).  Takes the stored values too."""
    return not yes_when and not no_when and default_at_close in (None, "none")
