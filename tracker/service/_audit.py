"""Reading the audit log (the ``/audit`` page, ``GET /api/audit``, ``tracker audit``): every
state change, newest first, a page at a time, filtered by entity, id, actor and time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlmodel import Session

from tracker.domain import audit
from tracker.errors import InvalidInputError
from tracker.models import AuditEntry
from tracker.paging import KeysetPage

#: entries per page of the log
AUDIT_PER_PAGE = 50
#: an entity kind as the log writes it: forecast, question, proposal, feed, user, ...
_ENTITY = re.compile(r"^[a-z][a-z_-]{0,49}$")


@dataclass(frozen=True)
class AuditRow:
    """One entry of the log, as the page, the API and the CLI show it."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any] | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditRow:
        assert entry.id is not None  # a stored entry
        return cls(
            entry.id,
            entry.at,
            entry.actor,
            entry.action,
            entry.entity,
            entry.entity_id,
            entry.from_status,
            entry.to_status,
            entry.detail,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "detail": self.detail,
        }


def audit_log(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: date | datetime | None = None,
    cursor: str | None = None,
    per_page: int = AUDIT_PER_PAGE,
) -> KeysetPage[AuditRow]:
    """The page of the audit log at ``cursor`` (None: the newest), newest first; ``since``: at
    or after that moment (a day: from its start, UTC).  Blank filters are no filter."""
    where = audit.LogFilter(
        entity=_entity(entity),
        entity_id=_text("entity_id", entity_id, 200),
        actor=_text("actor", actor, audit.MAX_ACTOR),
        since=_moment(since),
    )
    page = audit.read_log(session, where, cursor=cursor, per_page=per_page)
    rows = [AuditRow.of(entry) for entry in page.items]
    return KeysetPage(rows, page.next_cursor, page.per_page, None, cursor, page.prev_cursor)


def _entity(value: str | None) -> str | None:
    value = (value or "").strip().lower() or None
    if value is not None and not _ENTITY.match(value):
        raise InvalidInputError(
            "entity", "is a kind of thing the log records, such as forecast, question or proposal"
        )
    return value


def _text(field: str, value: str | None, max_chars: int) -> str | None:
    return audit.check_text(field, (value or "").strip() or None, max_chars)


def _moment(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):  # a day: from its first moment, UTC
        return datetime.combine(value, time.min, tzinfo=UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
