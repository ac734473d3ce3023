"""The database models (SQLModel).  The schema changes only through ``migrations/``.

Design notes:
- A forecast's id is the slug of its forecast file: stable across re-imports.
- ``Forecast.probability`` (and its estimate) is the standing one: the latest statement by date.
  Every statement is a dated :class:`ProbabilityUpdate` row (time-weighted scoring reads them);
  a correction is a row that replaces another's value, never a period of its own.
- A resolution is never edited or deleted: reopening marks it inactive and a new
  one may follow.  At most one resolution of a forecast is active.
- :class:`AuditEntry` rows are append-only (``tracker.domain.audit`` refuses updates and deletes).
- A :class:`Question` is the event: its text, criteria, window, resolution rules and its
  resolution.  A forecast is one author's probability on a question (``Forecast.question_id``);
  several authors' forecasts may stand on one question.  Evidence, proposals and resolutions
  belong to the question, so matching and review happen once per question.  A forecast that
  defines its question inline gets a question with its own id; its question columns
  (``question``, ``criteria``, ``closes``, the rules, ``status``, ``outcome``, ``resolved_at``)
  are a copy of the question's, written in the same transaction by the import and by
  :mod:`tracker.domain.lifecycle`, so lists, filters and scores read one table.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Table,
    TypeDecorator,
    UniqueConstraint,
    inspect,
    text,
)
from sqlmodel import Field, SQLModel

from tracker.clock import utcnow
from tracker.states import Outcome, StatementKind, StatementOrigin, Status


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


class Source(SQLModel, table=True):
    """A published text whose predictions we track (one forecast file each)."""

    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(
        unique=True, max_length=200, description="the forecast file's name without .yaml"
    )
    title: str
    author: str = Field(index=True)
    publisher: str | None = None
    url: str | None = None
    published: date | None = None
    created_at: datetime = _ts()


class Question(SQLModel, table=True):
    """The event forecasts are made on, and how it resolves.

    Resolution belongs here: evidence, proposals and resolutions name the question, and the
    lifecycle moves the question, then copies its state onto its forecasts.  ``defined_in`` is
    the source key of the forecast file that defined it inline, or ``questions/<file>`` for a
    question file.
    """

    __tablename__ = "question"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'closed', 'resolved', 'annulled')", name="ck_question_status"
        ),
        CheckConstraint("outcome IS NULL OR outcome IN ('yes', 'no')", name="ck_question_outcome"),
        CheckConstraint("closes >= opens", name="ck_question_window"),
    )

    id: str = Field(primary_key=True, max_length=200)
    text: str
    criteria: str | None = None
    opens: date
    closes: date = Field(index=True)
    status: str = Field(default=Status.OPEN.value, index=True, max_length=16)
    outcome: str | None = Field(default=None, max_length=8)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    yes_when: dict[str, list[str]] | None = Field(default=None, sa_column=Column(JSON))
    no_when: dict[str, list[str]] | None = Field(default=None, sa_column=Column(JSON))
    min_sources: int = 2
    default_at_close: str | None = Field(default=None, max_length=8)
    defined_in: str = Field(max_length=220, description="source key, or questions/<file>")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Forecast(SQLModel, table=True):
    __tablename__ = "forecast"
    __table_args__ = (
        CheckConstraint("probability >= 0 AND probability <= 1", name="ck_forecast_probability"),
        CheckConstraint(
            "status IN ('open', 'closed', 'resolved', 'annulled')", name="ck_forecast_status"
        ),
        CheckConstraint("outcome IS NULL OR outcome IN ('yes', 'no')", name="ck_forecast_outcome"),
        CheckConstraint("closes >= opens", name="ck_forecast_window"),
        # the forecasts list's keyset sorts (migration 0018; closes has its own index)
        Index("ix_forecast_probability_id", "probability", "id"),
        Index("ix_forecast_opens_id", "opens", "id"),
    )

    id: str = Field(primary_key=True, max_length=200)
    source_id: int = Field(foreign_key="source.id", index=True)
    question_id: str = Field(foreign_key="question.id", index=True, max_length=200)
    question: str
    quote: str
    estimate: str = Field(description="the author's verbal term, as written")
    probability: float
    probability_from_scale: bool = False
    vague: bool = Field(
        default=False, description="the estimate is a vague term (could, possible, ...)"
    )
    opens: date
    closes: date = Field(index=True)
    status: str = Field(default=Status.OPEN.value, index=True, max_length=16)
    outcome: str | None = Field(default=None, max_length=8)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    criteria: str | None = None
    yes_when: dict[str, list[str]] | None = Field(default=None, sa_column=Column(JSON))
    no_when: dict[str, list[str]] | None = Field(default=None, sa_column=Column(JSON))
    min_sources: int = 2
    default_at_close: str | None = Field(default=None, max_length=8)
    extra: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    corrected_after_resolution: bool = Field(
        default=False,
        description="a statement's value was corrected while the forecast was resolved "
        "(flagged on the scorecard)",
    )
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ForecastTag(SQLModel, table=True):
    __tablename__ = "forecast_tag"

    forecast_id: str = Field(foreign_key="forecast.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True, max_length=100, index=True)


class ProbabilityUpdate(SQLModel, table=True):
    """One statement of a forecast's probability, standing from ``as_of`` until the next one.

    ``kind`` says what it is (:class:`StatementKind`): the initial statement, a later one of the
    author (with its own date, quote and link), or a correction.  A correction fixes a
    data-entry error in another row's value: it points at the statement it corrects
    (``corrects_id``, always the first row of that statement), keeps its date and stands
    instead of it, so it never adds a period to the time-weighted score.  Of a statement and
    its corrections, the newest row is the one in force.  ``note`` says why (required for a
    correction), ``actor`` who recorded it, ``origin`` where it came from
    (:class:`StatementOrigin`).
    """

    __tablename__ = "probability_update"
    __table_args__ = (
        CheckConstraint("probability >= 0 AND probability <= 1", name="ck_update_probability"),
        CheckConstraint("kind IN ('initial', 'update', 'correction')", name="ck_update_kind"),
        CheckConstraint("origin IN ('file', 'entered', 'reimport')", name="ck_update_origin"),
        CheckConstraint(
            "(kind = 'correction' AND corrects_id IS NOT NULL)"
            " OR (kind <> 'correction' AND corrects_id IS NULL)",
            name="ck_update_corrects",
        ),
        Index("ix_probability_update_forecast_as_of", "forecast_id", "as_of"),
    )

    id: int | None = Field(default=None, primary_key=True)
    forecast_id: str = Field(foreign_key="forecast.id", ondelete="CASCADE")
    as_of: date
    probability: float
    estimate: str
    recorded_at: datetime = _ts()
    note: str | None = None
    kind: str = Field(default=StatementKind.UPDATE.value, max_length=12)
    origin: str = Field(default=StatementOrigin.FILE.value, max_length=12)
    quote: str | None = Field(default=None, description="the author's words, verbatim")
    url: str | None = Field(default=None, max_length=2000, description="where they were published")
    vague: bool = Field(default=False, description="the estimate is a vague term")
    from_scale: bool = Field(default=False, description="the probability was read from the scale")
    actor: str | None = Field(default=None, max_length=100, description="who recorded it")
    corrects_id: int | None = Field(
        default=None,
        foreign_key="probability_update.id",
        ondelete="CASCADE",
        index=True,
        description="a correction: the statement (its first row) whose value it replaces",
    )


class Resolution(SQLModel, table=True):
    """An outcome recorded for a forecast.  Never edited: reopening deactivates it."""

    __tablename__ = "resolution"
    __table_args__ = (
        CheckConstraint("outcome IN ('yes', 'no', 'annulled')", name="ck_resolution_outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: str = Field(foreign_key="question.id", index=True, ondelete="CASCADE")
    outcome: str = Field(max_length=8)
    resolved_at: datetime = _ts()
    resolved_by: str
    note: str | None = None
    evidence_links: list[str] | None = Field(default=None, sa_column=Column(JSON))
    active: bool = True
    reopened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopened_by: str | None = None
    reopen_note: str | None = None


class AuditEntry(SQLModel, table=True):
    """One state change, append-only."""

    __tablename__ = "audit_log"
    #: the keyset of the log's pages, newest first (``tracker.domain.audit.read_log``)
    __table_args__ = (Index("ix_audit_log_at_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str
    action: str = Field(max_length=50)
    entity: str = Field(max_length=50)
    entity_id: str = Field(index=True, max_length=200)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class ChangeCount(SQLModel, table=True):
    """How many committed transactions changed something of one kind: ``audit``, those that
    wrote the audit log (one more per transaction, at its commit: ``tracker.domain.audit``).

    Why: the web app keeps computed scorecards while nothing scored has changed, and asks on
    every request.  Every change that can move a score writes an audit entry, so this one row
    answers it (a count of 100,000 forecasts and resolutions took 13-19 ms on PostgreSQL).  It
    is written last, at commit, under the row's lock, so a higher value is never seen before
    the writes of a lower one (an audit id, taken at insert, can commit out of order)."""

    __tablename__ = "change_count"

    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0)


class Feed(SQLModel, table=True):
    """A news feed we poll.  Its schedule is its own (``next_check_at``), as in Miniflux.

    A failing feed keeps being polled with exponential backoff (capped at 24 h); only HTTP 410
    Gone or an operator sets ``disabled_at``.  ``error_since`` is the first failure of the
    current run of failures, so `tracker feeds list` can say "failing since ...".
    ``fetch_articles`` feeds (teasers only) get each new article's page fetched and its main
    text stored as the article's body.
    """

    __tablename__ = "feed"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True, max_length=2000)
    title: str | None = None
    site_url: str | None = Field(default=None, max_length=2000, description="the feed's own <link>")
    interval_s: int = Field(description="the operator's poll interval, seconds")
    fetch_articles: bool = Field(
        default=False, description="fetch each new article's page for its full text"
    )
    publisher: str | None = Field(
        default=None,
        max_length=255,
        description="the publisher the operator vouches this feed is (else its server's domain)",
    )
    next_check_at: datetime = _ts(index=True)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    consecutive_failures: int = 0
    error_kind: str | None = Field(default=None, max_length=20)
    last_error: str | None = None
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = None
    lease_until: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="a poller holds this feed until then (per-feed lock)",
    )
    #: how many articles it stored (``Article.feed_id``): one more per new article, written by
    #: the poll that stores them, in its transaction; read by the feeds list instead of
    #: counting (500,000 articles on a page of 100 busy feeds took 85 ms on PostgreSQL)
    article_count: int = Field(default=0)
    created_at: datetime = _ts()


class Article(SQLModel, table=True):
    """One story, stored exactly once.

    ``identity`` is the sha256 of the entry's identity within its feed (guid, else canonical
    link plus title, else title+content; guid+link when a document repeats a guid): two
    entries with different guids are two articles whatever their links.  ``story`` is the
    sha256 of canonical URL plus title, unique across feeds: a syndicated copy of a story on
    another feed is not stored again but linked to that feed (:class:`ArticleFeed`).  Both are
    database constraints, so racing pollers cannot store a story twice.  ``url`` is the
    canonical URL (tracking parameters and fragment removed), ``original_url`` the link as the
    feed gave it.  ``feed_id`` becomes NULL when the feed is removed: articles are kept (they
    may be evidence).  ``matched_at`` is set by the resolution stage.

    Text comes in three fields, all matched: ``title``, ``summary`` (the feed's teaser) and
    ``body`` (the feed's full content, or the article page's main text: ``body_source``), each
    bounded (:data:`tracker.ingest.MAX_BODY`); ``text_truncated`` says one was cut.  ``page_*``
    is the article-page fetch of feeds that ask for it (``Feed.fetch_articles``): its state, the
    last failure's kind, message and time, and when to try again.

    Dates are indexed per feed, ``(feed_id, published_at)``, not across feeds: a poll's rows
    then land in one feed's stretch of the index, where a single date index spreads them over
    all of it and every commit rewrites most of its pages (about half of a poll's storing cost;
    ``docs/dev.md``).  The newest articles of all feeds are the newest of each feed, merged
    (:func:`tracker.ingest.list_articles`).
    """

    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("feed_id", "identity", name="uq_article_feed_identity"),
        Index("ix_article_unmatched", "matched_at", "id"),
        Index("ix_article_feed_published", "feed_id", "published_at"),
        Index("ix_article_page_due", "page_state", "page_next_try_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int | None = Field(default=None, foreign_key="feed.id", ondelete="SET NULL")
    identity: str = Field(max_length=64)
    story: str | None = Field(
        default=None, unique=True, max_length=64, description="sha256 of canonical URL + title"
    )
    guid: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, index=True, max_length=2000)
    original_url: str | None = Field(default=None, max_length=2000)
    title: str
    summary: str = ""
    body: str = ""
    body_source: str | None = Field(default=None, max_length=8, description="feed or page")
    text_truncated: bool = Field(default=False, description="a text field was cut at its limit")
    author: str | None = Field(default=None, max_length=500)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published_at: datetime = _ts()
    published_estimated: bool = Field(
        default=False, description="no usable date: fetched time used"
    )
    fetched_at: datetime = _ts()
    content_hash: str = Field(max_length=64)
    publisher: str | None = Field(
        default=None,
        max_length=255,
        description="registered domain of the server its text came from: the feed's, or its "
        "own link's once its page was fetched from there (NULL: stored before migration 0013)",
    )
    matched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    page_state: str | None = Field(
        default=None, max_length=10, description="pending, fetched, failed or refused"
    )
    page_error_kind: str | None = Field(default=None, max_length=20)
    page_error: str | None = Field(default=None)
    page_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    page_attempts: int = Field(default=0)
    page_next_try_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ArticleFeed(SQLModel, table=True):
    """Another feed that carried a stored story (a syndicated copy): the article is stored once,
    under its first feed, and linked here to the others."""

    __tablename__ = "article_feed"

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    feed_id: int = Field(foreign_key="feed.id", primary_key=True, index=True, ondelete="CASCADE")
    seen_at: datetime = _ts()


class Evidence(SQLModel, table=True):
    """One article bearing on one side of one forecast: the sentence that matched, and whether
    it counts.  ``negated`` rows (every trigger phrase governed by a negation cue) never count
    toward a proposal but are kept for reviewers.  Unique per (forecast, article, side), so
    matching an article again adds nothing."""

    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint(
            "question_id", "article_id", "side", name="uq_evidence_question_article_side"
        ),
        CheckConstraint("side IN ('yes', 'no')", name="ck_evidence_side"),
        # a forecast's timeline, counting and negated rows apart, oldest first: read a page at a
        # time
        # without sorting (the web's evidence pages, the review queue) and counted from the index
        # alone
        Index("ix_evidence_timeline", "question_id", "negated", "published_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: str = Field(foreign_key="question.id", ondelete="CASCADE", max_length=200)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    side: str = Field(max_length=3)
    matched_phrases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sentence: str
    field: str | None = Field(
        default=None, max_length=8, description="title, summary or body: where the sentence is"
    )
    negated: bool = False
    publisher: str = Field(
        max_length=255,
        description="whom it counts for: the article's publisher (the server it came from)",
    )
    published_at: datetime = Field(
        sa_type=UTCDateTime, description="the article's publication time"
    )
    attached_by: str | None = Field(
        default=None,
        max_length=100,
        description="the user who attached it by hand; NULL: found by matching",
    )
    note: str | None = Field(
        default=None, max_length=2000, description="why it was attached by hand"
    )
    created_at: datetime = _ts()


class ProposalKind(str, enum.Enum):
    EVIDENCE = "evidence"  # >= min_sources publishers on one side, none on the other
    DEFAULT_AT_CLOSE = "default_at_close"  # past closes, nothing decisive: the forecast's default
    DISPUTED = "disputed"  # counting evidence on both sides
    NOT_YET_RESOLVABLE = (
        "not_yet_resolvable"  # past closes, no default (none) or weak evidence against it
    )


#: the condition of the partial index ``uq_proposal_one_pending`` (one pending proposal a question)
PENDING_ONLY = "status = 'pending'"


class ProposalStatus(str, enum.Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # the evidence changed before anyone decided


class Proposal(SQLModel, table=True):
    """What the resolver proposes for a forecast, and what became of it.

    ``outcome`` is the resolver's (None for disputed / not yet resolvable); ``final_outcome``
    is the analyst's decision when confirmed (it may differ: a changed outcome), so the
    resolver itself can be scored.  A forecast has at most one pending proposal (a partial
    unique index, on both backends).
    """

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('evidence', 'default_at_close', 'disputed', 'not_yet_resolvable')",
            name="ck_proposal_kind",
        ),
        CheckConstraint("outcome IS NULL OR outcome IN ('yes', 'no')", name="ck_proposal_outcome"),
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'rejected', 'superseded')",
            name="ck_proposal_status",
        ),
        CheckConstraint(
            "final_outcome IS NULL OR final_outcome IN ('yes', 'no', 'annulled')",
            name="ck_proposal_final_outcome",
        ),
        Index(
            "uq_proposal_one_pending",
            "question_id",
            unique=True,
            sqlite_where=text(PENDING_ONLY),  # and postgresql_where: add_postgresql_options
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: str = Field(
        foreign_key="question.id", index=True, ondelete="CASCADE", max_length=200
    )
    kind: str = Field(max_length=20)
    outcome: str | None = Field(default=None, max_length=8)
    evidence_count: int = Field(default=0, description="counting evidence rows behind it")
    publishers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    decisive_on: date | None = Field(
        default=None,
        description="the day the evidence reached min_sources "
        "publishers, or the close date for a deadline proposal",
    )
    reason: str = ""
    created_at: datetime = _ts(index=True)
    status: str = Field(default=ProposalStatus.PENDING.value, max_length=12, index=True)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=100)
    decision_note: str | None = None
    final_outcome: str | None = Field(default=None, max_length=8)
    auto_confirmed: bool = Field(
        default=False, description="confirmed by --auto-confirm, not by an analyst"
    )


class TaskRun(SQLModel, table=True):
    """The last run of each periodic task (shown by `tracker status`)."""

    __tablename__ = "task_run"

    name: str = Field(primary_key=True, max_length=100)
    last_started: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_finished: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status: str | None = Field(default=None, max_length=20)
    last_detail: str | None = None


class TaskStat(SQLModel, table=True):
    """Counters of every Celery task's runs, by task name: what ``/metrics`` reports as task
    latencies and failures.  Each finished run adds to its row in one ``UPDATE`` (an upsert), so
    every worker process counts into the same row and every web process reads the same figures.
    ``le_*`` are the cumulative buckets of the run times (runs that took at most that long)."""

    __tablename__ = "task_stat"

    name: str = Field(primary_key=True, max_length=100)
    successes: int = 0
    failures: int = 0
    retries: int = 0
    seconds_sum: float = 0.0
    le_100ms: int = 0
    le_500ms: int = 0
    le_1s: int = 0
    le_5s: int = 0
    le_30s: int = 0
    le_120s: int = 0
    last_finished: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seconds: float | None = None


class User(SQLModel, table=True):
    """An analyst who may sign in to the web app; the name is what resolutions and the audit log
    record."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    password_hash: str = Field(
        description="argon2id hash in PHC format (salt and parameters included)"
    )
    active: bool = True
    created_at: datetime = _ts()
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token for the HTTP API, acting as one user.  Only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(
        max_length=16, description="the token's first characters, to recognise it in lists"
    )
    created_at: datetime = _ts()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random secret, the row its SHA-256 and the CSRF
    token.  ``expires_at`` slides with use (the idle limit) but never past ``created_at`` plus
    the absolute limit (``TRACKER_WEB_SESSION_HOURS``)."""

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime = Field(sa_type=UTCDateTime)


class BaselineKind(str, enum.Enum):
    """Where a :class:`Baseline`'s probabilities come from."""

    MARKET = "market"  # a prediction market's price
    CROWD = "crowd"  # a crowd aggregate (Metaculus community, a survey median, ...)
    FILE = "file"  # a baseline file that did not say which


class Baseline(SQLModel, table=True):
    """A forecaster whose probabilities come from outside, on one question: a prediction
    market's price history or a crowd aggregate, read from a file or pulled from a market's API.

    ``provider`` names the API a baseline is pulled from (``manifold``; None for one imported
    from files), ``market`` the market there (its slug) and ``market_id`` the API's id for it,
    learnt on the first pull.  Pulled baselines keep their own schedule and failure record like
    feeds: ``next_pull_at``, and for a failing one the kind of the last failure
    (:class:`~tracker.errors.BaselinePullError`), its message, and since when.  Its points
    (:class:`BaselinePoint`) are never deleted by a failed pull.
    """

    __tablename__ = "baseline"
    __table_args__ = (
        UniqueConstraint("name", "question_id", name="uq_baseline_name_question"),
        CheckConstraint("kind IN ('market', 'crowd', 'file')", name="ck_baseline_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, description="the forecaster's name: Manifold, Metaculus ...")
    kind: str = Field(max_length=8)
    question_id: str = Field(
        foreign_key="question.id", index=True, ondelete="CASCADE", max_length=200
    )
    provider: str | None = Field(default=None, max_length=20, description="manifold, or None")
    market: str | None = Field(default=None, max_length=300, description="the market's slug")
    market_id: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=2000)
    interval_s: int | None = Field(default=None, description="seconds between pulls")
    next_pull_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    consecutive_failures: int = 0
    error_kind: str | None = Field(default=None, max_length=20)
    last_error: str | None = None
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: how many times its points were written (one more per write, in the write's transaction):
    #: the cached comparisons' fingerprint reads it instead of every point
    points_version: int = Field(default=0)
    created_at: datetime = _ts()


class BaselinePoint(SQLModel, table=True):
    """A baseline's probability on one day: for a market, its last price of that UTC day."""

    __tablename__ = "baseline_point"
    __table_args__ = (
        CheckConstraint(
            "probability >= 0 AND probability <= 1", name="ck_baseline_point_probability"
        ),
    )

    baseline_id: int = Field(foreign_key="baseline.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    probability: float
    recorded_at: datetime = _ts()


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements built on columns rather than the ORM
    (SQLModel does not declare ``__table__`` to type checkers)."""
    found = inspect(model).local_table
    assert isinstance(found, Table)
    return found


def add_postgresql_options() -> None:
    """Give the indexes their PostgreSQL options (``postgresql_where``), once a PostgreSQL engine
    is made (:func:`tracker.db.make_engine`).

    Why not in the model: SQLAlchemy checks a ``postgresql_*`` keyword by loading its PostgreSQL
    dialect, every driver module with it (about 20 ms), so each command paid for it on SQLite
    too (docs/dev.md, "CLI start-up").  The schema itself comes from the migrations; this keeps
    the models describing it for autogenerate and DDL on PostgreSQL.  Safe to call again."""
    index = next(i for i in table_of(Proposal).indexes if i.name == "uq_proposal_one_pending")
    index.dialect_kwargs["postgresql_where"] = text(PENDING_ONLY)


__all__ = [
    "ApiToken",
    "Article",
    "AuditEntry",
    "Baseline",
    "BaselineKind",
    "BaselinePoint",
    "ChangeCount",
    "Evidence",
    "Feed",
    "Forecast",
    "ForecastTag",
    "Outcome",
    "ProbabilityUpdate",
    "Proposal",
    "ProposalKind",
    "ProposalStatus",
    "Question",
    "Resolution",
    "Source",
    "StatementKind",
    "StatementOrigin",
    "Status",
    "TaskRun",
    "UTCDateTime",
    "User",
    "WebSession",
    "add_postgresql_options",
    "table_of",
]
