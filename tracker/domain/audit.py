"""The append-only audit log: every state change writes one :class:`AuditEntry`.

Rows are never updated or deleted: a ``before_flush`` hook refuses it, so no code
path (including a careless later one) can rewrite history through the ORM.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from tracker.errors import StorageError
from tracker.models import AuditEntry

SYSTEM_ACTOR = "system"


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
