"""The one place where errors become HTTP responses.

Under ``/api/`` the answer is JSON ``{"error": <kind>, "detail": <one line>}`` (and FastAPI's
usual ``{"detail": [...]}`` for request validation, 422); elsewhere it is an HTML page in the
site's layout, except that a browser who must sign in is redirected to the sign-in page.

    TrackerError subclass      status
    NotFoundError              404
    NotSignedInError           401  (HTML: 303 to /login?next=...)
    BadCredentialsError        401  (with WWW-Authenticate: Bearer)
    SignInThrottledError       429  (with Retry-After)
    CsrfError                  403
    LifecycleError             409  (e.g. resolving a resolved forecast)
    ConflictError              409
    StorageError               503  (details logged, not shown)
    ConfigError                500  (details logged, not shown)
    any other TrackerError     400  (bad input: the message says what to fix)
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tracker.errors import (
    BadCredentialsError,
    ConfigError,
    ConflictError,
    CsrfError,
    LifecycleError,
    NotFoundError,
    NotSignedInError,
    SignInThrottledError,
    StorageError,
    TrackerError,
)
from tracker.urls import local_path
from tracker.web.templating import render

log = logging.getLogger("tracker.web")

#: most specific first
STATUS_OF: tuple[tuple[type[TrackerError], int, str], ...] = (
    (NotFoundError, 404, "not_found"),
    (NotSignedInError, 401, "not_signed_in"),
    (BadCredentialsError, 401, "bad_credentials"),
    (SignInThrottledError, 429, "throttled"),
    (CsrfError, 403, "csrf"),
    (LifecycleError, 409, "lifecycle"),
    (ConflictError, 409, "conflict"),
    (StorageError, 503, "storage"),
    (ConfigError, 500, "config"),
    (TrackerError, 400, "bad_request"),
)
HIDDEN = {
    503: "the database is unavailable; try again shortly (details are in the server log)",
    500: "the server is misconfigured (details are in the server log)",
}
TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Not possible now",
    429: "Too many attempts",
    422: "Invalid input",
    500: "Server error",
    503: "Service unavailable",
}


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def classify(exc: TrackerError) -> tuple[int, str]:
    return next((status, kind) for cls, status, kind in STATUS_OF if isinstance(exc, cls))


def error_response(
    request: Request, status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    if is_api(request):
        return JSONResponse({"error": kind, "detail": message}, status_code=status, headers=headers)
    context = {"status": status, "title": TITLES.get(status, "Error"), "message": message}
    return render(request, "error.html", context, status_code=status, headers=headers)


async def tracker_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TrackerError)
    status, kind = classify(exc)
    if isinstance(exc, NotSignedInError) and not is_api(request):
        return RedirectResponse(_sign_in_url(request), status_code=303)
    message = str(exc)
    if status in HIDDEN:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
        message = HIDDEN[status]
    return error_response(request, status, kind, message, error_headers(exc))


def error_headers(exc: TrackerError) -> dict[str, str] | None:
    """What a client needs beside the message: how to authenticate, or when to try again."""
    if isinstance(exc, SignInThrottledError):
        return {"Retry-After": str(exc.retry_after)}
    return {"WWW-Authenticate": "Bearer"} if classify(exc)[0] == 401 else None


def _sign_in_url(request: Request) -> str:
    """The sign-in page, with where to come back: this page, or for a form post the page it was
    on."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc
        back = (referer.path + (f"?{referer.query}" if referer.query else "")) if same_site else "/"
    sign_in: str = request.app.url_path_for("sign_in")
    return sign_in + "?" + urlencode({"next": local_path(back)})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kind = "not_found" if exc.status_code == 404 else "http_error"
    return error_response(
        request, exc.status_code, kind, str(exc.detail), getattr(exc, "headers", None)
    )


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        return await request_validation_exception_handler(request, exc)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'input'}: {e['msg']}" for e in exc.errors()
    )
    return error_response(request, 422, "invalid", problems)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TrackerError, tracker_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
