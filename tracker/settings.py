"""Settings: one pydantic-settings object, read from ``TRACKER_*`` environment variables.

The core never reads the environment itself: the CLI, the web app and the workers
build one :class:`Settings` and pass it down.  Every field carries its help text;
``tests/test_settings.py`` fails when a setting is missing from the README's table.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationInfo, field_validator
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
        description="SQLAlchemy URL of the database; default: SQLite file tracker.db in the data "
        "dir. "
        "PostgreSQL in production: postgresql+psycopg://user@host/db.",
    )
    scale_file: Path | None = Field(
        default=None,
        description="A YAML file of estimative terms that overrides or extends the built-in scale.",
    )
    forecasts_dir: Path | None = Field(
        default=None,
        description="Folder the web's New source page and POST /api/sources write forecast files "
        "into (each source's text in its sources/ subfolder); default: forecasts in the data dir.",
    )
    forecast_file_max_bytes: int = Field(
        default=1 << 20,
        ge=1024,
        description="Largest forecast file an import reads, in bytes (1 MiB: a file holds one "
        "article's forecasts); a larger file is refused, not read.",
    )
    source_text_max_bytes: int = Field(
        default=4 << 20,
        ge=1024,
        description="Largest source text (`source.text`, a regular file in the forecast file's "
        "folder) an import reads, in bytes.",
    )
    opml_max_feeds: int = Field(
        default=1000,
        ge=1,
        description="Most feeds one OPML import may add; a larger file is refused whole.",
    )
    opml_max_title_chars: int = Field(
        default=500,
        ge=10,
        description="Longest feed title an OPML file may give (characters); a longer one "
        "refuses the import whole.",
    )
    web_public_read: bool = Field(
        default=True,
        description="Let anyone who can reach the web app read its pages and GET /api/ without "
        "signing in; "
        "false: reading needs a signed-in analyst or an API token too. Writes always need one.",
    )
    web_secure_cookies: bool = Field(
        default=False,
        description="Mark the session cookie Secure (sent over HTTPS only); set true when the app "
        "is served "
        "behind TLS.",
    )
    web_session_hours: int = Field(
        default=12,
        ge=1,
        le=24 * 90,
        description="Hours a web sign-in lasts at most, however active the analyst is (the "
        "absolute limit); then they must sign in again.",
    )
    web_session_idle_minutes: int = Field(
        default=120,
        ge=5,
        le=24 * 60 * 90,
        description="Minutes without a request after which a web sign-in ends (the idle limit).",
    )
    api_token_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Days a new API token works when `tracker tokens create` is given no "
        "--expires.",
    )
    signin_account_limit: str = Field(
        default="5 per 15 minutes",
        description="Failed sign-ins allowed per account name (from any address) before further "
        "tries are refused with 429 and Retry-After; written as the `limits` library reads it "
        "(moving window).",
    )
    signin_address_limit: str = Field(
        default="20 per 15 minutes",
        description="Failed sign-ins (and bad API tokens) allowed per client address before "
        "further tries are refused with 429 and Retry-After (moving window).",
    )
    signin_limit_storage: str | None = Field(
        default=None,
        description="Where failed sign-ins are counted: a `limits` storage URL "
        "(redis://host:6379/1 to share the count between server processes and machines); "
        "default: the Redis broker when TRACKER_BROKER_URL is Redis, else memory (one count "
        "per server process).",
    )
    signin_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Password checks (argon2, about 64 MiB and 0.1-0.3 s each) one server "
        "process runs at the same time; further sign-ins wait a few seconds, then get a 429.",
    )
    review_per_page: int = Field(
        default=10,
        ge=1,
        le=200,
        description="Proposals shown on one page of the web review queue (GET /review).",
    )

    broker_url: str | None = Field(
        default=None,
        description="Celery broker. Default: the embedded file broker (filesystem://) in the data "
        "dir, "
        "for `tracker run` on one machine; redis://host:6379/0 for many workers on many machines.",
    )
    namespace: str = Field(
        default="tracker",
        description="Name of the Celery queue and prefix of every Redis key (RedBeat, host "
        "limits), "
        "so several trackers can share one Redis.",
    )
    allow_private_feeds: bool = Field(
        default=False,
        description="Allow feed URLs that resolve to loopback, private, link-local or multicast "
        "addresses (1 for tests and the local demo; leave off in production: SSRF guard).",
    )
    poll_interval: timedelta = Field(
        default=timedelta(minutes=30),
        description="Default poll interval of a new feed (e.g. 15m, 1h); `tracker feeds add "
        "--interval` "
        "overrides it per feed.",
    )
    worker_concurrency: int = Field(
        default=4,
        ge=1,
        description="Poll tasks a worker (and `tracker poll`) runs at the same time; per-host "
        "politeness "
        "still allows at most 2 requests in flight per host.",
    )
    parse_processes: int | None = Field(
        default=None,
        ge=0,
        description="Worker processes that parse feeds while `tracker poll` polls many at once "
        "(unset: one "
        "per CPU core; 0: parse in the polling threads).  Celery workers parse in their own "
        "process.",
    )

    fetch_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Seconds one request (a feed, an article page, a market) may take in all: "
        "connecting, headers and body, every redirect included; waiting for a per-host slot "
        "does not count. A slower answer is recorded on the feed as a `timeout`.",
    )
    max_entries_per_feed: int = Field(
        default=1000,
        ge=1,
        description="Entries read from one feed document at most; a feed with more keeps its "
        "first ones and `tracker poll` says how many were dropped.",
    )

    page_batch: int = Field(
        default=200,
        ge=1,
        description="Article pages (of `--full-text` feeds) queued by one `fetch_due_pages` tick "
        "(every minute) on the pages queue.",
    )
    page_min_chars: int = Field(
        default=400,
        ge=1,
        description="Fewest characters of main text an article page must give; less (a paywall, "
        "a login wall, a page without an article) is recorded as `too_little_text` and retried.",
    )
    page_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Tries to fetch an article page before it stays `failed` (retried with "
        "exponential backoff from TRACKER_PAGE_RETRY_S).",
    )
    page_retry_s: int = Field(
        default=1800,
        ge=1,
        description="Seconds before the first retry of a failed article page; doubled after each "
        "failure, at most a day.",
    )
    robots_ttl_s: int = Field(
        default=6 * 3600,
        ge=0,
        description="Seconds a host's robots.txt is kept (per worker process) before it is read "
        "again.",
    )
    manifold_api_url: str = Field(
        default="https://api.manifold.markets",
        description="Base URL of Manifold's public API, which market baselines are pulled from "
        "(`/v0/slug/...`, `/v0/bets`); fetched through the feeds' guarded client.",
    )
    baseline_pull_interval_s: int = Field(
        default=6 * 3600,
        ge=60,
        le=30 * 86400,
        description="Seconds between two pulls of a market baseline's price history; a failing "
        "pull is retried after this, doubled after each failure, at most a day.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Lines the web app, the workers and the beat log: text, or json (one JSON "
        "object a line with the feed, task and forecast ids it is about; `--log-format` on "
        "`tracker run`, `serve`, `worker` and `beat` overrides it).",
    )
    metrics_public: bool = Field(
        default=False,
        description="Let anyone who can reach the web app read GET /metrics (Prometheus); false: "
        "a scraper must send `Authorization: Bearer` with TRACKER_METRICS_TOKEN.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="The bearer token Prometheus sends to read GET /metrics (unset while "
        "TRACKER_METRICS_PUBLIC is false: /metrics answers 403 saying so).",
    )

    @field_validator("signin_account_limit", "signin_address_limit")
    @classmethod
    def _check_limit(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name and value == cls.model_fields[info.field_name].default:
            return value  # the default is known good: every command is spared importing limits
        from limits import parse  # the rate-limit syntax: "5 per 15 minutes", "20/hour"

        parse(value)  # a ValueError says what is wrong
        return value

    @field_validator("poll_interval", mode="before")
    @classmethod
    def _parse_interval(cls, value: object) -> object:
        return parse_interval(value) if isinstance(value, str) else value

    @field_validator("poll_interval")
    @classmethod
    def _check_interval(cls, value: timedelta) -> timedelta:
        return check_interval(value)

    def pages_queue(self) -> str:
        """The Celery queue of article-page fetches: its own, so a slow site never holds up
        feed polling (a `tracker worker --pages` consumes it)."""
        return f"{self.namespace}.pages"

    def resolved_broker_url(self) -> str:
        return self.broker_url or "filesystem://"

    def broker_is_redis(self) -> bool:
        return self.resolved_broker_url().startswith(("redis://", "rediss://", "redis+socket://"))

    def resolved_signin_limit_storage(self) -> str:
        """Where failed sign-ins are counted: the setting, the Redis broker, or memory."""
        if self.signin_limit_storage:
            return self.signin_limit_storage
        return self.resolved_broker_url() if self.broker_is_redis() else "memory://"

    def resolved_forecasts_dir(self) -> Path:
        return self.forecasts_dir or self.data_dir / "forecasts"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'tracker.db'}"

    def shown_database_url(self) -> str:
        """The database URL to print (start-up lines of init, serve, run, demo): its password,
        if any, as ``***``."""
        url = self.resolved_database_url()
        scheme, sep, rest = url.partition("://")
        credentials, at, host = rest.rpartition("@")
        if not (sep and at and ":" in credentials):
            return url
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"

    def location_line(self) -> str:
        """One line saying where the data lives, for the commands that open it."""
        return f"Data dir: {self.data_dir}; database: {self.shown_database_url()}"


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
#: the poll intervals a feed may have: at most once a minute, at least once a month
MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(days=30)


def parse_interval(text: str) -> timedelta:
    """``"15m"``, ``"1h"``, ``"90s"``, ``"1d"`` or bare seconds as a timedelta between
    :data:`MIN_INTERVAL` and :data:`MAX_INTERVAL`; a ``ValueError`` says what is allowed."""
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"{text!r} is not an interval; write it like 15m, 2h, 1d or 90s")
    seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    _check_seconds(seconds, shown)  # before timedelta(), which overflows on huge values
    return timedelta(seconds=seconds)


def check_interval(interval: timedelta) -> timedelta:
    """``interval`` when a feed may be polled that often (see :func:`parse_interval`)."""
    _check_seconds(interval.total_seconds(), format_interval(interval))
    return interval


def _check_seconds(seconds: float, shown: str) -> None:
    if seconds < MIN_INTERVAL.total_seconds():
        raise ValueError(
            f"{shown} is shorter than one minute; feeds are polled at most once a minute"
        )
    if seconds > MAX_INTERVAL.total_seconds():
        raise ValueError(
            f"{shown} is longer than {MAX_INTERVAL.days} days; "
            "a feed is worth checking at least monthly (write it like 15m, 2h or 1d)"
        )


def format_interval(interval: timedelta) -> str:
    """An interval as written in the options: ``15m``, ``2h``, ``1d``, else seconds (``90s``)."""
    seconds = int(interval.total_seconds())
    return next(
        f"{seconds // size}{unit}" for unit, size in _UNIT_SECONDS.items() if seconds % size == 0
    )


def settings_help() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting: the documented table."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = "per-user data dir" if field.default_factory else repr(field.default)
        rows.append((f"TRACKER_{name.upper()}", default, field.description or ""))
    return rows
