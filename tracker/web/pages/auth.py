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
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from tracker import service
from tracker.domain.auth import MAX_PASSWORD_LENGTH
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
def sign_in(
    request: Request,
    form: Annotated[SignInForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    guard: SignInGuardDep,
) -> Response:
    if not service.same_secret(form.csrf_token, request.cookies.get(SIGN_IN_CSRF_COOKIE) or "\0"):
        raise CsrfError()
    next_path = local_path(form.next)
    try:
        signed_in = service.sign_in(
            session,
            form.name,
            form.password,
            address=client_address(request),
            guard=guard,
            settings=settings,
        )
    except (BadCredentialsError, SignInThrottledError) as exc:
        # the form again with the message (and the failure committed to the audit log)
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
