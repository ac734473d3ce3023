"""The ids a request is about, on every line logged while it is served (uvicorn's access line
included): ``forecast_id`` for ``/forecasts/ID...`` and ``/api/forecasts/ID...``, ``feed_id``
for ``/feeds/N...``, ``question_id`` for ``/questions/ID...`` (see :mod:`tracker.logs`).

A pure ASGI middleware, so the context covers the whole exchange: the app and the ``send``
of the response, where uvicorn writes its access line."""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from tracker.logs import log_context

#: a path's first segments (after an optional ``/api``) -> the id its next segment is
PATH_IDS = {"forecasts": "forecast_id", "feeds": "feed_id", "questions": "question_id"}
_PATH = re.compile(r"^/(?:api/)?(forecasts|feeds|questions)/([^/]+)")
#: longest id put on a line (a path can be long; the ids are at most 200 characters)
MAX_ID = 200


def ids_of_path(path: str) -> dict[str, str]:
    match = _PATH.match(path)
    if not match:
        return {}
    return {PATH_IDS[match.group(1)]: unquote(match.group(2))[:MAX_ID]}


class LogContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with log_context(**ids_of_path(scope.get("path", ""))):
            await self.app(scope, receive, send)
