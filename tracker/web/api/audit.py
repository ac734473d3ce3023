"""``/api/audit``: the audit log, newest first, a page at a time (signed-in analysts only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tracker import service
from tracker.paging import KeysetPage
from tracker.service import AuditRow
from tracker.web.deps import SessionDep, SignedInDep
from tracker.web.schemas import ERROR_RESPONSES, BlankIsUnset, CursorQuery, KeysetPageOut, Text

router = APIRouter(prefix="/api", tags=["audit"])


class AuditQuery(CursorQuery):
    """The log's filters and page (the API's query string)."""

    entity: Text | None = Field(
        default=None, description="a kind of thing: forecast, question, proposal, feed, user, ..."
    )
    entity_id: Text | None = Field(default=None, description="its id (a forecast's slug, ...)")
    actor: Text | None = Field(default=None, description="who did it (exactly)")
    since: datetime | date | None = Field(
        default=None, description="at or after this moment (a day: from its start, UTC)"
    )
    per_page: int = Field(default=service.AUDIT_PER_PAGE, ge=1, le=200)

    def filters(self) -> dict[str, Any]:
        """The filters as the links of the next and previous pages carry them."""
        return self.model_dump(
            mode="json", include={"entity", "entity_id", "actor", "since"}, exclude_none=True
        )


class AuditForm(BlankIsUnset, AuditQuery):
    """The same, as the page's filter form sends it: an empty field is no filter."""


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str = Field(description="what happened: propose, resolve, confirm-proposal, ...")
    entity: str
    entity_id: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any] | None = Field(description="the change's own fields (notes, links)")


class AuditPageOut(KeysetPageOut):
    items: list[AuditEntryOut]


def read(session: SessionDep, query: AuditQuery) -> KeysetPage[AuditRow]:
    """The page of the log ``query`` asks for (the API's and the page's)."""
    return service.audit_log(
        session,
        entity=query.entity,
        entity_id=query.entity_id,
        actor=query.actor,
        since=query.since,
        cursor=query.cursor,
        per_page=query.per_page,
    )


@router.get("/audit", name="api_audit", response_model=AuditPageOut, responses=ERROR_RESPONSES)
def audit_log(
    session: SessionDep, _analyst: SignedInDep, query: Annotated[AuditQuery, Query()]
) -> AuditPageOut:
    """Every state change (imports, statements, proposals, resolutions, feeds, accounts), newest
    first, with who did it; filtered by entity, id, actor and time.  Signed-in analysts only."""
    found = read(session, query)
    items = [AuditEntryOut.model_validate(row, from_attributes=True) for row in found.items]
    return AuditPageOut(items=items, **AuditPageOut.paging(found, query.old_page_note()))
