"""``/api/me`` (who the credentials identify) and ``/api/health`` (for monitoring)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Security
from pydantic import BaseModel

from tracker import service
from tracker.errors import NotSignedInError
from tracker.web.deps import CurrentIdentityDep, bearer_scheme, get_engine
from tracker.web.schemas import ErrorOut, IdentityOut

router = APIRouter(prefix="/api", tags=["meta"])


@router.get(
    "/me",
    name="api_me",
    response_model=IdentityOut,
    dependencies=[Security(bearer_scheme)],
    responses={401: {"model": ErrorOut, "description": "No or bad credentials"}},
)
def me(identity: CurrentIdentityDep) -> IdentityOut:
    """The analyst the request's token or session cookie stands for."""
    if identity is None:
        raise NotSignedInError("/api/me")
    return IdentityOut(name=identity.name, via=identity.via)


class HealthOut(BaseModel):
    status: str
    schema_current: bool


@router.get(
    "/health",
    name="api_health",
    response_model=HealthOut,
    responses={503: {"model": ErrorOut, "description": "The database cannot be reached"}},
)
def health(request: Request) -> HealthOut:
    """``ok`` when the database answers; ``schema_current`` says whether its schema is this
    version's."""
    return HealthOut(status="ok", schema_current=service.schema_is_current(get_engine(request)))
