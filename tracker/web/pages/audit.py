"""The audit log's page, ``/audit``: every state change, newest first, for signed-in analysts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tracker.web.api.audit import AuditForm, read
from tracker.web.deps import SessionDep, SignedInDep
from tracker.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/audit", name="audit")
def audit_page(
    request: Request,
    session: SessionDep,
    _analyst: SignedInDep,
    query: Annotated[AuditForm, Query()],
) -> Response:
    found = read(session, query)
    return render(
        request,
        "audit/list.html",
        {
            "query": query,
            "found": found,
            "page_params": query.filters(),
            "note": query.old_page_note(),
        },
    )
