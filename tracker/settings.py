"""Settings: one pydantic-settings object, read from ``TRACKER_*`` environment variables.

The core never reads the environment itself: the CLI, the web app and the workers
build one :class:`Settings` and pass it down.  Every field carries its help text;
``tests/test_settings.py`` fails when a setting is missing from the README's table.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("forecast-tracker", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the embedded SQLite database and other local state.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; default: SQLite file tracker.db in the data dir. "
        "PostgreSQL in production: postgresql+psycopg://user@host/db.",
    )
    scale_file: Path | None = Field(
        default=None,
        description="A YAML file of estimative terms that overrides or extends the built-in scale.",
    )
    web_public_read: bool = Field(
        default=True,
        description="Let anyone who can reach the web app read its pages and GET /api/ without signing in; "
        "false: reading needs a signed-in analyst or an API token too. Writes always need one.",
    )
    web_secure_cookies: bool = Field(
        default=False,
        description="Mark the session cookie Secure (sent over HTTPS only); set true when the app is served "
        "behind TLS.",
    )
    web_session_hours: int = Field(
        default=12,
        ge=1,
        le=24 * 90,
        description="Hours a web sign-in lasts before the analyst must sign in again.",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'tracker.db'}"


def settings_help() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting: the documented table."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = "per-user data dir" if field.default_factory else repr(field.default)
        rows.append((f"TRACKER_{name.upper()}", default, field.description or ""))
    return rows
