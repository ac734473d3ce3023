"""The exceptions of the tracker, one hierarchy under :class:`TrackerError`.

User-facing surfaces (the CLI, the web app, the Celery tasks) catch
``TrackerError`` in one place each and print its ``str()``: every message is
one readable line that says what is wrong, where, and what to do.
Lower-level errors (SQLAlchemy, YAML, HTTP) are mapped with ``raise X(...) from exc``.

    TrackerError
    ├── ConfigError                  bad settings, unreadable override file
    ├── StorageError                 the database failed (wraps SQLAlchemy errors)
    │   ├── SchemaTooNewError        the schema is newer than this code (an unknown revision)
    │   ├── DatabaseBusyError        another process kept the SQLite file locked too long
    │   └── DiskFullError            the disk filled up while writing; nothing was written
    ├── BackupError                  a backup, restore, export or import refused or failed
    ├── NotFoundError                no such forecast / source / feed ...
    ├── UnknownTermError             an estimative term not in the scale
    ├── LifecycleError               an illegal status transition
    │   └── ProposalStateError       a proposal that is no longer pending (confirmed, rejected, ...)
    ├── ConflictError                a name already taken (user, API token)
    ├── AuthError                    who is asking could not be established
    │   ├── NotSignedInError         a write (or a private read) without a signed-in analyst
    │   ├── BadCredentialsError      wrong name or password; unknown, revoked or expired token
    │   └── SignInThrottledError     too many failed sign-ins (account or address), or too many
    │                                password checks at once: try again in ``retry_after`` s
    ├── RuleError                    a forecast's evidence rule cannot be compiled for matching
    ├── CsrfError                    a form post without the session's CSRF token
    ├── ForecastFileError            one problem in one forecast file (file, line, id, field)
    │   └── ForecastImportError      the whole import was refused: carries every problem found
    ├── InvalidInputError            a value a person typed that a use case cannot take; ``field``
    names it
    │   ├── FeedUrlError             a feed URL that cannot be added (scheme, duplicate, syntax)
    │   ├── FeedSettingError         a feed setting that cannot be used (an interval under 1 minute
    ...)
    │   └── ExtractionError          a source the extractor cannot read (empty, too long, not
    │                                English, not an article page); ``kind`` says which
    ├── ScoringError                 a scorecard request that cannot be met (bad dates, filters)
    ├── ReportError                  a report cannot be made or written (format, output file)
    ├── OpmlError                    an OPML file that cannot be imported (all-or-nothing)
    ├── BaselineFileError            a baseline file refused whole: carries every problem found
    ├── BaselinePullError            one pull of a market baseline failed; ``kind`` says how
    └── FeedError                    one poll of one feed failed; ``kind`` is an ErrorKind
        ├── FetchError               timeout, dns, tls, connection, http_status, bot_challenge,
        │                            too_large, redirect
        ├── BlockedAddressError      ssrf: the URL resolves to a forbidden address
        └── FeedParseError           parse: the body is not a feed we can read safely

A ``FeedError`` is recorded on its feed (kind, message, since when) and polling goes on;
it is never raised out of a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class TrackerError(Exception):
    """Base of every error the tracker raises on purpose."""


class ConfigError(TrackerError):
    """The settings, or a file they point to, cannot be used."""


class StorageError(TrackerError):
    """The database could not do what was asked (connection, migration, constraint)."""


class SchemaTooNewError(StorageError):
    """The database's schema revision is one this version's migrations do not know: a newer
    tracker made it.  Upgrading (or running against it) would fail half-way or corrupt it."""

    def __init__(self, database: str, revisions: list[str]) -> None:
        self.database = database
        self.revisions = revisions
        names = ", ".join(repr(r) for r in revisions)
        super().__init__(
            f"the database {database} has schema revision {names}, newer than this version of "
            "the tracker knows; upgrade the tracker, or point TRACKER_DATABASE_URL elsewhere"
        )


class DatabaseBusyError(StorageError):
    """Another process held the SQLite database's write lock past the busy timeout."""

    def __init__(self, database: str) -> None:
        self.database = database
        super().__init__(
            f"the database {database} stayed locked by another tracker process; "
            "retry, or stop the other process (`tracker run`, an import) first"
        )


class DiskFullError(StorageError):
    """The disk (or the file size limit) filled up while writing; the unit of work was rolled
    back, so nothing of it was written."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"disk full writing {path}: nothing was written; free space and retry")


class BackupError(TrackerError):
    """A backup, restore, export or import that cannot be done; ``path`` names the file."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class NotFoundError(TrackerError):
    """A named object does not exist."""

    def __init__(self, kind: str, key: object, hint: str = "") -> None:
        self.kind = kind
        self.key = key
        message = f"no {kind} {key!r}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)


class UnknownTermError(TrackerError):
    """An estimative term that the scale does not know."""

    def __init__(self, term: str, scale: str | None = None) -> None:
        self.term = term
        self.scale = scale
        where = f"the {scale!r} scale" if scale else "the estimative scale"
        super().__init__(
            f"unknown estimative term {term!r} in {where}; "
            "give an explicit probability or add the term to the scale (see `tracker scale`)"
        )


class LifecycleError(TrackerError):
    """A forecast was asked to move to a status its current status does not allow."""

    def __init__(self, forecast_id: str, current: str, requested: str, reason: str = "") -> None:
        self.forecast_id = forecast_id
        self.current = current
        self.requested = requested
        message = f"forecast {forecast_id!r} is {current}; it cannot become {requested}"
        if reason:
            message += f" ({reason})"
        super().__init__(message)


class ProposalStateError(LifecycleError):
    """A resolver proposal asked to be confirmed or rejected when it is no longer pending."""

    def __init__(
        self, proposal_id: int, forecast_id: str, current: str, requested: str, reason: str = ""
    ) -> None:
        self.proposal_id = proposal_id
        self.forecast_id = forecast_id
        self.current = current
        self.requested = requested
        message = (
            f"proposal {proposal_id} (forecast {forecast_id!r}) is {current}; "
            f"it cannot be {requested}"
        )
        if reason:
            message += f" ({reason})"
        TrackerError.__init__(self, message)


class ConflictError(TrackerError):
    """A named object cannot be created because the name is taken."""

    def __init__(self, kind: str, key: object, hint: str = "") -> None:
        self.kind = kind
        self.key = key
        message = f"{kind} {key!r} already exists"
        if hint:
            message += f"; {hint}"
        super().__init__(message)


class AuthError(TrackerError):
    """The request's identity could not be established (web app, API)."""


class NotSignedInError(AuthError):
    """The action needs a signed-in analyst (a session or an API token) and there is none."""

    def __init__(self, action: str = "this") -> None:
        self.action = action
        super().__init__(
            f"{action} needs a signed-in analyst; sign in, or send an API token "
            "(`tracker tokens create`) as 'Authorization: Bearer ...'"
        )


class BadCredentialsError(AuthError):
    """A name/password pair or a token that does not identify an active analyst.

    ``reason`` (``unknown_user``, ``wrong_password``, ``disabled``, ``token``) is for the audit
    log only: the message is the same for every sign-in failure, so it tells no one which
    names exist."""

    def __init__(self, message: str, reason: str = "token") -> None:
        self.reason = reason
        super().__init__(message)


class SignInThrottledError(AuthError):
    """A sign-in (or bearer token) refused before any password check: too many failures for
    the account or the client address (``reason`` ``throttled``), or every password-check slot
    busy (``busy``).  ``retry_after`` is whole seconds, sent as ``Retry-After``."""

    def __init__(self, retry_after: int, reason: str = "throttled") -> None:
        self.retry_after = max(1, retry_after)
        self.reason = reason
        what = "too many failed sign-ins" if reason == "throttled" else "too many sign-ins at once"
        unit = "second" if self.retry_after == 1 else "seconds"
        super().__init__(f"{what}; try again in {self.retry_after} {unit}")


class CsrfError(TrackerError):
    """A state-changing request made with a session cookie but without the session's CSRF token."""

    def __init__(self) -> None:
        super().__init__(
            "the form's security token is missing or stale; reload the page and submit it again"
        )


class RuleError(TrackerError):
    """A forecast's ``yes_when`` / ``no_when`` rule that the matcher cannot compile.

    Forecast files are validated on import, so this means rules that reached the matcher
    some other way (edited in the database, built in code); the message says which.
    """

    def __init__(self, forecast_id: str, field: str, message: str) -> None:
        self.forecast_id = forecast_id
        self.field = field
        self.message = message
        super().__init__(
            f"forecast {forecast_id!r}, field {field!r}: {message}; fix the forecast file and "
            "import it again"
        )


class ForecastFileError(TrackerError):
    """One problem in one forecast file, located as precisely as possible."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        forecast_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.forecast_id = forecast_id
        self.field = field
        self.message = message
        super().__init__(self.location() + ": " + message)

    def location(self) -> str:
        parts = [self.path + (f":{self.line}" if self.line else "")]
        if self.forecast_id:
            parts.append(f"forecast {self.forecast_id!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)


class ForecastImportError(ForecastFileError):
    """An import refused as a whole; ``problems`` lists every error found."""

    def __init__(self, problems: list[ForecastFileError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(
            first.path,
            first.message,
            line=first.line,
            forecast_id=first.forecast_id,
            field=first.field,
        )
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        self.args = (f"{first}{more}; nothing was imported",)

    def __str__(self) -> str:
        return str(self.args[0])


class ReportError(TrackerError):
    """A scorecard or report cannot be produced or written; ``path`` names the file if any."""

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class ScoringError(TrackerError):
    """A scorecard was asked for with options that cannot work; ``option`` names the culprit."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        super().__init__(f"{option}: {message}")


class InvalidInputError(TrackerError):
    """A value given by a person (an option, a form field, a JSON field) that the use case cannot
    take.  ``field`` names it and ``reason`` says what is allowed; the message is the same from
    the CLI and the API: ``"<field>: <reason>"``."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class FeedUrlError(InvalidInputError):
    """A feed URL that cannot be used."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.field = "url"
        self.reason = reason
        TrackerError.__init__(self, f"feed URL {url!r}: {reason}")


class FeedSettingError(InvalidInputError):
    """A feed setting that cannot be used (the poll interval)."""


class ExtractionError(InvalidInputError):
    """A source that predictions cannot be extracted from (``tracker extract``, the "New source"
    page).  ``source`` names it (a file, a URL, "the pasted text"), ``kind`` says what is wrong
    (``empty``, ``too_large``, ``not_text``, ``not_english``, ``not_html``, ``no_article``,
    ``fetch``, ``exists``) and ``reason`` says it in words; nothing was written."""

    def __init__(self, source: str, kind: str, reason: str) -> None:
        self.source = source
        self.kind = kind
        self.field = "source"
        self.reason = reason
        TrackerError.__init__(self, f"{source}: {reason}")


class OpmlError(TrackerError):
    """An OPML file that cannot be imported; nothing of it was imported."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{self.path}: {problems[0]}{more}; nothing was imported")


class FeedError(TrackerError):
    """One poll of one feed failed.  ``kind`` is a :class:`tracker.ingest.ErrorKind` value.

    ``retry_after`` (seconds) is the server's own wish (429/503 ``Retry-After``), if any;
    ``permanent`` marks 410 Gone, the only error that disables a feed by itself.
    """

    def __init__(
        self,
        kind: str,
        url: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        self.kind = kind
        self.url = url
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.permanent = permanent
        super().__init__(f"{kind}: {message} ({url})")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its fields: a parse error crosses from a parse worker process
        (``_parsepool``),
        and the subclasses' own ``__init__`` signatures would not take ``args`` back."""
        return _rebuild_error, (type(self), self.args, self.__dict__.copy())


def _rebuild_error(
    cls: type[FeedError], args: tuple[object, ...], fields: dict[str, object]
) -> FeedError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(fields)
    return error


class FetchError(FeedError):
    """The feed could not be downloaded (network, HTTP status, size, redirects)."""


class BlockedAddressError(FeedError):
    """The feed URL (or a redirect) resolves to an address the SSRF guard forbids."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__("ssrf", url, message)


class FeedParseError(FeedError):
    """The body is not a feed we can read (malformed, HTML, unsafe DTD, wrong JSON types)."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__("parse", url, message)


class PageError(TrackerError):
    """An article's page could not be fetched or yielded no article text.  ``kind`` is a
    :class:`tracker.ingest.PageErrorKind` value; ``permanent`` failures are not retried."""

    def __init__(self, kind: str, url: str, message: str, *, permanent: bool = False) -> None:
        self.kind = kind
        self.url = url
        self.message = message
        self.permanent = permanent
        super().__init__(f"{kind}: {message} ({url})")


@dataclass(frozen=True)
class BaselineFileProblem:
    """One problem in a baseline file: where (``line``: the CSV line; ``item``: the place of the
    JSON list's object, 1 first; ``field``: the column or key) and what to do."""

    path: str
    message: str
    line: int | None = None
    field: str | None = None
    item: int | None = None

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        if self.item:
            where += f", item {self.item}"
        if self.field:
            where += f", field {self.field!r}"
        return f"{where}: {self.message}"


class BaselineFileError(TrackerError):
    """A baseline file (``tracker baselines import``) refused whole; ``problems`` lists every
    problem found, so one run shows them all; nothing of the file was stored."""

    def __init__(self, path: Path | str, problems: list[BaselineFileProblem]) -> None:
        self.path = str(path)
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}; nothing was imported")


class BaselinePullError(TrackerError):
    """One pull of a market baseline failed.  ``kind`` says how: ``timeout``, ``connection``,
    ``http`` (``status`` set), ``not_found`` (no such market), ``html`` (a web page instead of
    JSON), ``shape`` (JSON without the fields or types expected), ``unsupported`` (not a yes/no
    market), ``too_large`` or ``refused`` (the SSRF guard).  Recorded on the baseline, which is
    retried with backoff; never raised out of a pull."""

    def __init__(self, kind: str, url: str, message: str, *, status: int | None = None) -> None:
        self.kind = kind
        self.url = url
        self.message = message
        self.status = status
        super().__init__(f"{kind}: {message} ({url})")
