"""The web app factory: one place wires settings, database, templates, routes and middleware.

To add a section (scorecard, review queue, feeds, exports): write a router module under
``tracker/web/pages/`` (HTML) and/or ``tracker/web/api/`` (JSON), name its main page route
after the section's entry in :data:`tracker.web.templating.NAV`, and add the router to
:data:`ROUTERS`.  The nav shows the section from then on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

import tracker
from tracker import service
from tracker.domain.scale import EstimativeScale
from tracker.settings import Settings
from tracker.web import metrics as metrics_endpoint
from tracker.web.api import articles as api_articles
from tracker.web.api import audit as api_audit
from tracker.web.api import authors as api_authors
from tracker.web.api import feeds as api_feeds
from tracker.web.api import forecasts as api_forecasts
from tracker.web.api import meta as api_meta
from tracker.web.api import review as api_review
from tracker.web.api import scorecard as api_scorecard
from tracker.web.api import sources as api_sources
from tracker.web.errors import install_error_handlers
from tracker.web.logcontext import LogContextMiddleware
from tracker.web.pages import articles as article_pages
from tracker.web.pages import audit as audit_pages
from tracker.web.pages import auth as auth_pages
from tracker.web.pages import authors as author_pages
from tracker.web.pages import exports as export_pages
from tracker.web.pages import feeds as feed_pages
from tracker.web.pages import forecasts as forecast_pages
from tracker.web.pages import review as review_pages
from tracker.web.pages import scorecard as scorecard_pages
from tracker.web.pages import sources as source_pages
from tracker.web.scorecards import ScorecardCache
from tracker.web.security import SecurityHeadersMiddleware
from tracker.web.templating import make_templates

log = logging.getLogger("tracker.web")
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: every router of the app, pages and API; the order only matters for overlapping paths
ROUTERS: list[APIRouter] = [
    auth_pages.router,
    scorecard_pages.router,
    forecast_pages.router,
    article_pages.router,
    review_pages.router,
    audit_pages.router,
    feed_pages.router,
    export_pages.router,
    source_pages.router,
    author_pages.router,
    api_meta.router,
    api_forecasts.router,
    api_review.router,
    api_audit.router,
    api_scorecard.router,
    api_feeds.router,
    api_sources.router,
    api_authors.router,
    api_articles.router,
    metrics_endpoint.router,
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app for ``settings``; the schema is brought up to date when it starts."""
    settings = settings or Settings()
    engine = service.database(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.init_database(settings)
        _warn_without_users(engine)
        yield
        engine.dispose()

    app = FastAPI(
        title="Forecast tracker",
        version=tracker.__version__,
        description="Pundits' forecasts, their resolutions and audit log. Reads may be open "
        "(TRACKER_WEB_PUBLIC_READ); writes need an API token: `Authorization: Bearer <token>` "
        "(create one with `tracker tokens create NAME --user USER`).",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        # Swagger UI and ReDoc load scripts from a CDN: no internet here, and the CSP forbids it
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.templates = make_templates()
    app.state.signin_guard = service.SignInGuard.of(settings)
    app.state.scorecards = ScorecardCache(EstimativeScale.for_project(settings.scale_file))
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(LogContextMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def _warn_without_users(engine: Engine) -> None:
    with service.unit_of_work(engine) as session:
        if not service.list_users(session):
            log.warning(
                "no analyst accounts yet: nobody can sign in to make changes; "
                "create one with `tracker users add NAME`"
            )
