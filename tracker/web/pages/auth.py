"""Signing in and out of the web app.

The sign-in form is protected against login CSRF with a double-submit token (a random value
in a SameSite=Strict cookie and in the form, which must match), since there is no session yet
to bind a token to.  Signing in always starts a new session (no session fixation).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from tracker import service
from tracker.domain.auth import MAX_PASSWORD_LENGTH
from tracker.errors import BadCredentialsError, CsrfError
from tracker.urls import local_path
from tracker.web.deps import SESSION_COOKIE, AnalystDep, CurrentIdentityDep, SessionDep, SettingsDep
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
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    token = request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"next": next_path, "signin_token": token, "error": error},
        status_code=status_code,
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
) -> Response:
    if not service.same_secret(form.csrf_token, request.cookies.get(SIGN_IN_CSRF_COOKIE) or "\0"):
        raise CsrfError()
    next_path = local_path(form.next)
    lifetime = timedelta(hours=settings.web_session_hours)
    try:
        signed_in = service.sign_in(session, form.name, form.password, lifetime=lifetime)
    except BadCredentialsError as exc:  # not an error page: the form again, with the message
        return _sign_in_page(
            request,
            settings.web_secure_cookies,
            next_path=next_path,
            error=str(exc),
            status_code=401,
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
