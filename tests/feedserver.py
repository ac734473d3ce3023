"""A real HTTP server on 127.0.0.1 (ephemeral port) that serves feeds to the tests and the
benchmark.

Static routes honour ``If-None-Match`` (304) like a well-behaved publisher; handler routes get
the raw request handler, for the hostile cases (trickling bytes, lying headers, bombs).
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Static:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: bool = True

    @cached_property
    def tag(self) -> str:
        """The body's entity tag, hashed once: the benchmark's farm serves each feed's ~850 KB
        again and again on the machine it measures, so hashing per request would be its CPU."""
        return '"' + hashlib.blake2b(self.body, digest_size=8).hexdigest() + '"'


Route = Static | Callable[[BaseHTTPRequestHandler], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.owner.hits[path] += 1
        self.server.owner.request_headers[path] = dict(self.headers)
        route = self.server.owner.routes.get(path)
        if route is None:
            self.reply(404, b"not found", {"Content-Type": "text/plain"})
        elif isinstance(route, Static):
            self.serve_static(route)
        else:
            route(self)

    def serve_static(self, route: Static) -> None:
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag and route.status == 200:
            tag = route.tag
            headers["ETag"] = tag
            if self.headers.get("If-None-Match") == tag:
                self.reply(304, b"", {"ETag": tag})
                return
        self.reply(route.status, route.body, headers)

    def reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    owner: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up early (the fetcher stops reading a body it refuses by its
        headers or size) is no server error; anything else is still printed.  The default prints
        a traceback to stderr, where a command's output captured in the same process reads it."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FeedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.request_headers: dict[str, dict[str, str]] = {}
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FeedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rss(
    items: list[dict],
    *,
    title: str = "Test feed",
    link: str = "https://news.example/",
    extra_channel: str = "",
) -> bytes:
    """An RSS 2.0 document; each item dict may have title, link, guid, description, pubDate."""
    parts = [
        (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<rss version="2.0"><channel><title>{title}</title>'
            f"<link>{link}</link>{extra_channel}"
        )
    ]
    parts.extend(
        "<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>" for item in items
    )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def news_items(prefix: str, count: int, *, site: str = "https://news.example") -> list[dict]:
    start = datetime(2022, 1, 21, tzinfo=UTC)
    return [
        {
            "title": f"{prefix} story {i}: NATO and Russia talks",
            "link": f"{site}/{prefix}/{i}?utm_source=rss&amp;utm_medium=feed",
            "guid": f"{site}/{prefix}/{i}",
            "description": (
                f"&lt;p&gt;Body of {prefix} story {i} about "
                "&lt;b&gt;security&lt;/b&gt; guarantees.&lt;/p&gt;"
            ),
            "pubDate": (start + timedelta(hours=i)).strftime("%a, %d %b %Y %H:%M:%S +0000"),
        }
        for i in range(count)
    ]
