"""The append-only audit log: every state change writes one :class:`AuditEntry`.

Rows are never updated or deleted: a ``before_flush`` hook refuses it, so no code
path (including a careless later one) can rewrite history through the ORM.

A transaction that writes entries adds one to the ``audit`` :class:`ChangeCount` as it commits
(:func:`changes_seen`): caches of what the log's changes can move (scorecards) read that one
row to know whether they still hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from tracker._seek import Key, read_page
from tracker.db import insert_with_conflicts
from tracker.errors import InvalidInputError, StorageError
from tracker.models import AuditEntry, ChangeCount, table_of
from tracker.paging import KeysetPage

SYSTEM_ACTOR = "system"
#: the longest name of who does something (the ``--by`` of the CLI, a user): the columns that
#: keep it (``Proposal.decided_by``, ``ProbabilityUpdate.actor``) hold 100 characters
MAX_ACTOR = 100
#: the longest text of an entry's detail (a note, a reason)
MAX_DETAIL = 10_000


def check_text(field: str, value: str | None, max_chars: int) -> str | None:
    """``value`` unchanged if it can be stored alike on SQLite and PostgreSQL: at most
    ``max_chars`` characters and no NUL character (PostgreSQL refuses one in text, SQLite keeps
    it and a 5,000-character value too); else an :class:`InvalidInputError` naming ``field``."""
    if value is None:
        return None
    if "\x00" in value:
        raise InvalidInputError(field, "contains a NUL character (\\x00); remove it")
    if len(value) > max_chars:
        raise InvalidInputError(
            field, f"is {len(value):,} characters long; at most {max_chars:,} are kept"
        )
    return value


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the session.  Who (``actor``, the ``by`` field) and every text of the
    detail (a note, a reason) are checked first (:func:`check_text`): the entry is written with
    the change it records, so a value the database would refuse refuses the change, with one
    message, before anything is written."""
    check_text("by", actor, MAX_ACTOR)
    for key, value in (detail or {}).items():
        for text in value if isinstance(value, list | tuple) else [value]:
            if isinstance(text, str):
                check_text(key, text, MAX_DETAIL)
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class LogFilter:
    """Which entries of the log to read: of one kind of entity (``forecast``, ``question``,
    ``proposal``, ...) and one id, by one actor, at or after ``since`` (all: None)."""

    entity: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    since: datetime | None = None

    def apply(self, query: Any) -> Any:
        if self.entity is not None:
            query = query.where(col(AuditEntry.entity) == self.entity)
        if self.entity_id is not None:
            query = query.where(col(AuditEntry.entity_id) == self.entity_id)
        if self.actor is not None:
            query = query.where(col(AuditEntry.actor) == self.actor)
        if self.since is not None:
            query = query.where(col(AuditEntry.at) >= self.since)
        return query


#: the log's order: newest first (the id breaks ties of one moment, and says which came first)
LOG_KEYS = (
    Key(col(AuditEntry.at), datetime, descending=True),
    Key(col(AuditEntry.id), int, descending=True),
)


def read_log(
    session: Session, where: LogFilter, *, cursor: str | None, per_page: int
) -> KeysetPage[AuditEntry]:
    """The page of the log at ``cursor`` (None: the newest entries), newest first, read by
    keyset on (at, id): the log only grows, and entries written meanwhile never shift a page."""
    rows, following, earlier = read_page(
        session,
        where.apply(select(AuditEntry)),
        LOG_KEYS,
        lambda row: (row[0].at, row[0].id),
        cursor=cursor,
        per_page=per_page,
    )
    return KeysetPage([row[0] for row in rows], following, per_page, None, cursor, earlier)


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise StorageError(
                "the audit log is append-only: its entries cannot be changed or deleted"
            )


#: the :class:`ChangeCount` of the transactions that wrote the log
AUDIT_CHANGES = "audit"
#: ``session.info`` key: this transaction has flushed an entry
_WROTE_ENTRIES = "tracker.audit.wrote_entries"


def changes_seen(session: Session) -> int:
    """How many committed transactions have written the log: a higher number means something
    audited (a status, a resolution, an import, ...) changed since a lower one was read.  One
    row by its key, unlike the counts of forecasts and resolutions it replaces."""
    value = session.exec(
        select(ChangeCount.value).where(col(ChangeCount.name) == AUDIT_CHANGES)
    ).first()
    return value or 0


def _has_new_entries(session: Session) -> bool:
    return any(isinstance(obj, AuditEntry) for obj in session.new)


@event.listens_for(Session, "before_flush")
def _note_new_entries(session: Session, _context: Any, _instances: Any) -> None:
    if _has_new_entries(session):
        session.info[_WROTE_ENTRIES] = True


@event.listens_for(Session, "before_commit")
def _count_the_change(session: Session) -> None:
    """One more audited change, written as the transaction's last statement.

    Why at commit and not with the entry: the row's lock is held from this write to the commit,
    so writers pass it one at a time, in commit order: a reader that sees the count at n sees
    every write of the transactions up to n.  Taken with the entry, it would queue every
    audited transaction behind another's whole run (a worker's poll)."""
    if not (_has_new_entries(session) or session.info.get(_WROTE_ENTRIES)):
        return
    insert = insert_with_conflicts(session.get_bind().dialect.name)(table_of(ChangeCount))
    session.execute(
        insert.values(name=AUDIT_CHANGES, value=1).on_conflict_do_update(
            index_elements=["name"], set_={"value": table_of(ChangeCount).c.value + 1}
        )
    )


@event.listens_for(Session, "after_transaction_end")
def _forget_entries(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the session's outermost transaction: committed or not
        session.info.pop(_WROTE_ENTRIES, None)
