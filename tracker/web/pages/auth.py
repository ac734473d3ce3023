"""Signing in and out of the web app.

The sign-in form is protected against login CSRF with a double-submit token (a random value
in a SameSite=Strict cookie and in the form, which must match), since there is no session yet
to bind a token to.  Signing in always starts a new session (no session fixation).
Too many failed sign-ins for a name or from an address get the form again with a 429 and
``Retry-After``, before any password is checked (:class:`tracker.service.SignInGuard`).
"Sign out everywhere" ends every session of the analyst, this one included.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from tracker import service
from tracker.domain.auth import MAX_PASSWORD_LENGTH, SIGN_IN_WAIT_S
from tracker.errors import AuthError, BadCredentialsError, CsrfError, SignInThrottledError
from tracker.urls import local_path
from tracker.web.deps import (
    SESSION_COOKIE,
    AnalystDep,
    CurrentIdentityDep,
    SessionDep,
    SettingsDep,
    SignInGuardDep,
    client_address,
    get_engine,
)
from tracker.web.errors import error_headers
from tracker.web.templating import home_path, render

router = APIRouter(include_in_schema=False)
SIGN_IN_CSRF_COOKIE = "tracker_signin_csrf"


class SignInForm(BaseModel):
    name: str = Field(default="", max_length=100)
    password: str = Field(default="", max_length=MAX_PASSWORD_LENGTH)
    next: str = Field(default="/", max_length=2000)
    csrf_token: str = Field(default="", max_length=200)


def _sign_in_page(
    request: Request,
    settings_secure: bool,
    *,
    next_path: str,
    error: AuthError | None = None,
    status_code: int = 200,
) -> Response:
    token = request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"next": next_path, "signin_token": token, "error": str(error) if error else None},
        status_code=status_code,
        headers=error_headers(error) if isinstance(error, SignInThrottledError) else None,
    )
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings_secure,
        path="/login",
    )
    return response


@router.get("/login", name="sign_in")
def sign_in_page(
    request: Request,
    identity: CurrentIdentityDep,
    settings: SettingsDep,
    next: Annotated[str, Query(max_length=2000)] = "/",
) -> Response:
    if identity is not None:
        return RedirectResponse(local_path(next), status_code=303)
    return _sign_in_page(request, settings.web_secure_cookies, next_path=local_path(next))


@router.post("/login", name="sign_in_submit")
async def sign_in(
    request: Request,
    form: Annotated[SignInForm, Form()],
    engine: Annotated[Engine, Depends(get_engine)],
    settings: SettingsDep,
    guard: SignInGuardDep,
) -> Response:
    if not service.same_secret(form.csrf_token, request.cookies.get(SIGN_IN_CSRF_COOKIE) or "\0"):
        raise CsrfError()
    next_path = local_path(form.next)
    attempt = partial(
        service.sign_in,
        engine,
        form.name,
        form.password,
        address=client_address(request),
        guard=guard,
        settings=settings,
    )
    try:
        signed_in = await _in_a_password_slot(request, settings.signin_concurrency, attempt)
    except (BadCredentialsError, SignInThrottledError) as exc:
        # the form again with the message (the failure is in the audit log already)
        return _sign_in_page(
            request,
            settings.web_secure_cookies,
            next_path=next_path,
            error=exc,
            status_code=429 if isinstance(exc, SignInThrottledError) else 401,
        )
    response = RedirectResponse(
        next_path if next_path != "/" else home_path(request), status_code=303
    )
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.secret,
        max_age=settings.web_session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.web_secure_cookies,
        path="/",
    )
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/login")
    return response


async def _in_a_password_slot(
    request: Request, slots: int, attempt: Callable[[], service.SignedIn]
) -> service.SignedIn:
    """Run ``attempt`` in a worker thread once one of ``slots`` is free, waiting in the event
    loop: a burst of sign-ins then holds no threads of the pool that every other page runs in
    (waiting in the service's own slot would hold one each).  After a few seconds' wait the
    answer is a 429 (``busy``)."""
    limiter = getattr(request.app.state, "signin_slots", None)
    if limiter is None:
        limiter = request.app.state.signin_slots = anyio.CapacityLimiter(slots)
    acquired = False
    with anyio.move_on_after(SIGN_IN_WAIT_S):  # only the wait: a started check is never cut
        await limiter.acquire()
        acquired = True
    if not acquired:
        raise SignInThrottledError(1, reason="busy")
    try:
        return await run_in_threadpool(attempt)
    finally:
        limiter.release()


@router.post("/logout", name="sign_out")
def sign_out(
    request: Request, session: SessionDep, _analyst: AnalystDep, settings: SettingsDep
) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        service.sign_out(session, secret)
    response = RedirectResponse(home_path(request), status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.web_secure_cookies
    )
    return response


@router.post("/logout/everywhere", name="sign_out_everywhere")
def sign_out_everywhere(
    session: SessionDep, analyst: AnalystDep, settings: SettingsDep, request: Request
) -> Response:
    """End every web session of the signed-in analyst (other browsers and this one)."""
    service.sign_out_everywhere(session, analyst.name, actor=analyst.name)
    response = RedirectResponse(home_path(request), status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.web_secure_cookies
    )
    return response
