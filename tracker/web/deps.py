"""Request dependencies: the settings, one database session per request, and who is asking.

Use them through the ``Annotated`` aliases in routes::

    @router.get("/things")
    def things(session: SessionDep, reader: ReaderDep): ...          # a read (open or not, per
    settings)

    @router.post("/things/{id}/do")
    def do(session: SessionDep, analyst: AnalystDep): ...            # a write: signed-in analyst +
    CSRF

Identity comes from a bearer token (``Authorization: Bearer trk_...``, for the API) or the
session cookie (for browsers).  The CSRF rule lives in one place, :func:`require_analyst`:
a state-changing request authenticated *by the cookie* must carry the session's CSRF token
(form field ``csrf_token`` or header ``X-CSRF-Token``); a bearer token is not sent by the
browser on its own, so requests carrying one need no CSRF token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from tracker import service
from tracker.errors import BadCredentialsError, CsrfError, NotSignedInError
from tracker.settings import Settings
from tracker.web.scorecards import ScorecardCache

SESSION_COOKIE = "tracker_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route returns, rolled back when it raises.
    A GET or HEAD does not take SQLite's write lock first (``db.session_scope``)."""
    write = request.method not in ("GET", "HEAD")
    with service.unit_of_work(get_engine(request), write=write) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_scorecards(request: Request) -> ScorecardCache:
    cache: ScorecardCache = request.app.state.scorecards
    return cache


#: the app's scorecard cache (see :mod:`tracker.web.scorecards`)
ScorecardsDep = Annotated[ScorecardCache, Depends(get_scorecards)]
# scope="function": commit before the response is sent, so a redirect after a POST shows the
# new state and a failed commit becomes an error response, not a lost write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Identity:
    """Who is asking: the analyst's name (recorded as the actor) and how they proved it."""

    name: str
    user_id: int
    via: Literal["session", "token"]
    csrf_token: str | None = None


def current_identity(request: Request, session: SessionDep) -> Identity | None:
    """The bearer token's or session cookie's analyst; None for an anonymous visitor.

    A bearer token that does not check out is refused outright (no fallback to anonymous):
    a client that sends credentials wants to know they are wrong.  A stale cookie is just ignored.
    """
    identity = _from_bearer(request, session) or _from_cookie(request, session)
    request.state.identity = identity
    return identity


def get_signin_guard(request: Request) -> service.SignInGuard:
    guard: service.SignInGuard = request.app.state.signin_guard
    return guard


#: the app's throttle of failed sign-ins and bad tokens (see :class:`tracker.service.SignInGuard`)
SignInGuardDep = Annotated[service.SignInGuard, Depends(get_signin_guard)]


def client_address(request: Request) -> str:
    """The peer's address, which failed sign-ins are counted against (no proxy headers are
    trusted: behind a reverse proxy every client shares the proxy's address)."""
    return request.client.host if request.client else "unknown"


def _from_bearer(request: Request, session: Session) -> Identity | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise BadCredentialsError("the Authorization header must be 'Bearer <token>'")
    user = service.token_user(
        session,
        secret.strip(),
        address=client_address(request),
        guard=get_signin_guard(request),
    )
    assert user.id is not None  # a stored row
    return Identity(name=user.name, user_id=user.id, via="token")


def _from_cookie(request: Request, session: Session) -> Identity | None:
    secret = request.cookies.get(SESSION_COOKIE)
    found = service.session_user(session, secret, get_settings(request)) if secret else None
    if found is None:
        return None
    user, web_session = found
    assert user.id is not None  # a stored row
    return Identity(
        name=user.name, user_id=user.id, via="session", csrf_token=web_session.csrf_token
    )


CurrentIdentityDep = Annotated[Identity | None, Depends(current_identity)]


def require_signed_in(identity: CurrentIdentityDep) -> Identity:
    """A signed-in analyst, whatever ``TRACKER_WEB_PUBLIC_READ`` says: for what is not for the
    public (the audit log names who did what, with their notes)."""
    if identity is None:
        raise NotSignedInError("reading the audit log")
    return identity


def require_reader(identity: CurrentIdentityDep, settings: SettingsDep) -> Identity | None:
    """Anyone when ``TRACKER_WEB_PUBLIC_READ`` is on (the default); else a signed-in analyst."""
    if identity is None and not settings.web_public_read:
        raise NotSignedInError("reading")
    return identity


#: declares the bearer scheme in the OpenAPI description of the routes that need an analyst
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="APIToken",
    description="an API token from `tracker tokens create NAME --user USER`",
)


async def require_analyst(
    request: Request,
    identity: CurrentIdentityDep,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Identity:
    """A signed-in analyst; for cookie sessions, also the session's CSRF token (see the module
    doc)."""
    if identity is None:
        raise NotSignedInError("this change")
    if identity.via == "session" and request.method not in SAFE_METHODS:
        submitted = request.headers.get(CSRF_HEADER)
        if submitted is None and _is_form(request):
            value = (await request.form()).get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
        if not service.same_secret(submitted, identity.csrf_token or ""):
            raise CsrfError()
    return identity


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


ReaderDep = Annotated[Identity | None, Depends(require_reader)]
AnalystDep = Annotated[Identity, Depends(require_analyst)]
SignedInDep = Annotated[Identity, Depends(require_signed_in)]
