"""Jinja2 templates (autoescaped), the navigation, and :func:`render`.

Every page extends ``base.html``, whose nav lists the sections of :data:`NAV` in that order,
showing each only once a route with its name exists: a feature appears in the nav by
registering its page under that route name (``@router.get("/scorecard", name="scorecard")``),
with no placeholder pages before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.routing import NoMatchFound

from tracker.urls import safe_url
from tracker.web.deps import CSRF_FIELD
from tracker.web.highlight import highlight

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: (label, route name) of the top navigation, in display order.
NAV: tuple[tuple[str, str], ...] = (
    ("Scorecard", "scorecard"),
    ("Forecasts", "forecasts"),
    ("Articles", "articles"),
    ("Questions", "questions"),
    ("Authors", "authors"),
    ("Review", "review"),
    ("Feeds", "feeds"),
    ("Exports", "exports"),
)


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    active: bool


def nav_items(request: Request) -> list[NavItem]:
    """The sections of :data:`NAV` that have a page in this app, the current one marked."""
    items = []
    for label, name in NAV:
        try:
            href = fast_path_for(request.app, name, {})
        except NoMatchFound:
            continue
        path = request.url.path
        items.append(NavItem(label, href, path == href or path.startswith(href.rstrip("/") + "/")))
    return items


def home_path(request: Request) -> str:
    """Where ``/`` leads: the first section of the nav that exists."""
    items = nav_items(request)
    return items[0].href if items else request.app.url_path_for("sign_in")


def _percent(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value * 100:.{digits}f}%"


def _num(value: float | int | None, digits: int = 3) -> str:
    """A score to ``digits`` decimals; an em dash where there is none (an empty scorecard)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


#: routes are fixed once the app is built, so a route's path is looked up once, with a stand-in
#: for each parameter, and each link fills the stand-ins in: Starlette's url_path_for tries every
#: route in turn (~35 µs, 100 µs with included routers), and a review page asks for two hundred
#: paths, each with its own id
PATH_CACHE_SIZE = 5_000
#: a parameter's stand-in (digits, so that an integer parameter's convertor takes it too)
_SLOT = "9137468253"
#: values put in a path as they are (what Starlette's convertors would write unchanged)
_PLAIN = re.compile(r"[A-Za-z0-9._~-]+")


def _path_cache(app: Any) -> dict[tuple[Any, ...], str]:
    cache = getattr(app.state, "path_cache", None)
    if cache is None:
        cache = app.state.path_cache = {}
    return cache


def _kept(paths: dict[tuple[Any, ...], str], key: tuple[Any, ...], make: Callable[[], Any]) -> str:
    """``paths[key]``, made by ``make()`` and kept when missing; a full cache starts over."""
    found = paths.get(key)
    if found is None:
        if len(paths) >= PATH_CACHE_SIZE:
            paths.clear()
        found = paths[key] = str(make())
    return found


def _slot(index: int) -> str:
    """The stand-in of a route's ``index``-th parameter (by name) in a cached path."""
    return f"{_SLOT}{index:02d}"


def _plain(value: Any) -> str | None:
    """``value`` as its path segment, when a convertor would write it unchanged; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return value
    return None


def fast_path_for(app: Any, name: str, params: dict[str, Any]) -> str:
    """``app.url_path_for(name, **params)``, from the route's path with stand-ins (see
    :data:`PATH_CACHE_SIZE`); a value a convertor might change goes through Starlette."""
    names = tuple(sorted(params))
    values = [_plain(params[n]) for n in names]
    paths = _path_cache(app)
    if any(v is None for v in values):
        return _whole_path_for(app, paths, name, names, params)
    shape = _kept(
        paths,
        (name, names),
        lambda: app.url_path_for(name, **{n: _slot(i) for i, n in enumerate(names)}),
    )
    for i, value in enumerate(values):
        shape = shape.replace(_slot(i), str(value))
    return shape


def _whole_path_for(
    app: Any, paths: dict[tuple[Any, ...], str], name: str, names: tuple[str, ...], params: Any
) -> str:
    """Starlette's path for values its convertors might change, kept by the values themselves
    when they are strings and numbers (a static file's ``path='/review.js'`` on every page)."""
    values = tuple(params[n] for n in names)
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        return str(app.url_path_for(name, **params))
    return _kept(paths, (name, names, values), lambda: app.url_path_for(name, **params))


def _context(request: Request) -> dict[str, Any]:
    identity = getattr(request.state, "identity", None)

    app = request.app

    def path_for(name: str, /, **params: Any) -> str:
        return fast_path_for(app, name, params)

    return {
        "identity": identity,
        "csrf_token": identity.csrf_token if identity else None,
        "csrf_field": CSRF_FIELD,
        "nav": nav_items(request),
        "path_for": path_for,
    }


def make_templates(extra_dirs: list[Path] | None = None) -> Jinja2Templates:
    """The template set: autoescape on for every template, undefined names are errors."""
    loader = jinja2.FileSystemLoader([*(extra_dirs or []), TEMPLATES_DIR])
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        safe_url=safe_url, percent=_percent, when=_when, num=_num, highlight=highlight
    )
    return Jinja2Templates(env=env, context_processors=[_context])


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the page context (identity, CSRF token, nav, ``path_for``)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, template, context or {}, status_code=status_code, headers=headers
    )
