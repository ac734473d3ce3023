"""The append-only audit log: every state change writes one :class:`AuditEntry`.

Rows are never updated or deleted: a ``before_flush`` hook refuses it, so no code
path (including a careless later one) can rewrite history through the ORM.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from tracker.errors import InvalidInputError, StorageError
from tracker.models import AuditEntry

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


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise StorageError(
                "the audit log is append-only: its entries cannot be changed or deleted"
            )
