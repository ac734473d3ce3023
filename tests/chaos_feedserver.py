"""A loopback feed farm that misbehaves at random, for the soak (``benchmarks/soak.py``,
``tests/test_soak.py``).

Each feed gains entries over time (its own period) and answers ``If-None-Match`` with 304
like a well-behaved publisher.  Until :meth:`ChaosFarm.calm` is called, a share of the
requests (``fault_rate``) gets a fault instead, drawn at random:

- ``hang``: no answer for ``hang_s`` seconds (past the fetcher's read timeout), then a hang-up;
- ``reset``: the connection is reset (RST) without an answer;
- ``error``: HTTP 500;
- ``slow``: the right body, trickled over 2 to 40 s (past the fetcher's 30 s limit for some);
- ``slow_headers``: the status line, then a header every 5 s for 50 s, then the feed (a
  client that counts its timeout per read would wait for all of it);
- ``redirect``: a 302 to the feed's other path on the same loopback address (served cleanly);
- ``bad_redirect``: a 302 to the feed's address written with backslashes (``http:`` and two
  backslashes), a URL httpx cannot send (it once raised out of the poller);
- ``malformed``: a 200 whose body is an HTML maintenance page, not a feed.

A share of the feeds (``broken_share``) is always malformed: their entries can never be
fetched, and the soak leaves them out of the articles it expects.

The feeds are spread over several loopback addresses from 127.0.0.10 on, one publisher each:
the fetcher allows 2 requests in flight per host, so 500 feeds of a single host would measure
a farm no real tracker polls.  Every address is in 127.0.0.0/8: nothing leaves the machine.

The farm records every request of every feed (its time and whether the feed was served whole),
from which the soak reads how late each poll came against the feed's interval.
"""

from __future__ import annotations

import itertools
import math
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = (
    "hang",
    "reset",
    "error",
    "slow",
    "slow_headers",
    "redirect",
    "bad_redirect",
    "malformed",
)
BS = "\\"
MAINTENANCE = b"<!DOCTYPE html><html><body><h1>Down for maintenance</h1></body></html>"


@dataclass
class FarmFeed:
    index: int
    host: str
    interval_s: int
    period_s: float  # a new entry every period_s seconds
    offset_s: float  # the first new entry, seconds after the farm started
    initial: int  # entries already there when the farm starts
    broken: bool
    port: int = 0
    #: (time.time() of the request, served whole with 200 or 304)
    requests: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/f{self.index}.xml"

    @property
    def moved_path(self) -> str:
        return f"/moved/f{self.index}.xml"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def guid(self, k: int) -> str:
        return f"soak-f{self.index}-e{k}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        farm = self.server.farm
        path = urlsplit(self.path).path
        feed = farm.by_path.get((self.server.host, path))
        if feed is None:
            self._reply(404, b"not found", {"Content-Type": "text/plain"})
            return
        arrived = time.time()
        fault = farm.draw_fault(feed, moved=path == feed.moved_path)
        clean = False
        try:
            clean = self._serve(feed, fault, arrived)
        finally:
            farm.record(feed, fault or ("ok" if clean else "aborted"), arrived, clean)

    def _serve(self, feed: FarmFeed, fault: str | None, arrived: float) -> bool:
        """Answers the request; True when the feed was served whole."""
        farm = self.server.farm
        if fault == "hang":
            farm.sleep(farm.hang_s)
            self.close_connection = True
            return False
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return False
        if fault == "error":
            self._reply(500, b"internal error", {"Content-Type": "text/plain"})
            return False
        if fault == "malformed":
            self._reply(200, MAINTENANCE, {"Content-Type": "text/html"})
            return False
        if fault == "redirect":
            location = f"http://{feed.host}:{feed.port}{feed.moved_path}"
            self._reply(302, b"", {"Location": location})
            return False
        if fault == "bad_redirect":
            location = f"http:{BS * 2}{feed.host}:{feed.port}{BS}moved{BS}f{feed.index}.xml"
            self._reply(302, b"", {"Location": location})
            return False
        count = farm.published(feed, arrived)
        etag = f'"f{feed.index}-{count}"'
        if self.headers.get("If-None-Match") == etag:
            self._reply(304, b"", {"ETag": etag})
            return True
        body = farm.document(feed, count)
        headers = {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag}
        if fault == "slow_headers":
            self._slow_headers(body, headers)
            return False
        if fault == "slow":
            self._trickle(body, headers, farm.slow_seconds())
            return False
        self._reply(200, body, headers)
        return True

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _slow_headers(self, body: bytes, headers: dict[str, str]) -> None:
        """The status line, 10 headers 5 s apart, then the rest of the answer."""
        self.send_response_only(200)
        self.flush_headers()
        for k in range(10):
            self.server.farm.sleep(5.0)
            self.wfile.write(f"X-Wait-{k}: 1\r\n".encode())
        self._reply_rest(body, headers)

    def _reply_rest(self, body: bytes, headers: dict[str, str]) -> None:
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, body: bytes, headers: dict[str, str], seconds: float) -> None:
        self._reply(200, b"", {**headers, "Content-Length": str(len(body))})
        pieces = 10
        step = math.ceil(len(body) / pieces)
        for start in range(0, len(body), step):
            self.server.farm.sleep(seconds / pieces)
            self.wfile.write(body[start : start + step])

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    farm: ChaosFarm
    host: str

    def handle_error(self, request: object, client_address: object) -> None:
        """A fetcher that gives up (timeout) or a reset we made is no server error."""
        import sys

        if not isinstance(sys.exc_info()[1], OSError | ValueError):
            super().handle_error(request, client_address)


class ChaosFarm:
    """``feeds`` feeds over ``hosts`` loopback addresses, faults drawn with ``seed``."""

    def __init__(
        self,
        feeds: int,
        *,
        hosts: int = 50,
        interval_s: tuple[int, int] = (60, 180),
        period_s: tuple[float, float] = (60.0, 300.0),
        fault_rate: float = 0.08,
        broken_share: float = 0.02,
        hang_s: float = 40.0,
        seed: int = 17,
    ) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.fault_rate = fault_rate
        self.hang_s = hang_s
        self.started = time.time()
        self.calm_at: float | None = None
        self.served: Counter[str] = Counter()
        addresses = [f"127.0.0.{10 + i}" for i in range(max(1, min(hosts, 200)))]
        self.feeds = [
            FarmFeed(
                index=i,
                host=addresses[i % len(addresses)],
                interval_s=self._rng.randint(*interval_s),
                period_s=self._rng.uniform(*period_s),
                offset_s=self._rng.uniform(0, period_s[1]),
                initial=self._rng.randint(2, 6),
                broken=self._rng.random() < broken_share,
            )
            for i in range(feeds)
        ]
        self._servers = [self._serve(address) for address in addresses]
        ports = {server.host: server.server_address[1] for server in self._servers}
        self.by_path: dict[tuple[str, str], FarmFeed] = {}
        for feed in self.feeds:
            feed.port = ports[feed.host]
            self.by_path[(feed.host, feed.path)] = feed
            self.by_path[(feed.host, feed.moved_path)] = feed

    def _serve(self, address: str) -> _Server:
        server = _Server((address, 0), _Handler)
        server.farm = self
        server.host = address
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        return server

    # -- what the feeds publish -------------------------------------------------------------

    def published(self, feed: FarmFeed, at: float | None = None) -> int:
        """How many entries ``feed`` has at ``at`` (now): none is added once the farm is calm."""
        moment = at if at is not None else time.time()
        if self.calm_at is not None:
            moment = min(moment, self.calm_at)
        elapsed = moment - self.started - feed.offset_s
        return feed.initial + (math.floor(elapsed / feed.period_s) + 1 if elapsed >= 0 else 0)

    def entry_time(self, feed: FarmFeed, k: int) -> float:
        new = k - feed.initial
        return self.started + feed.offset_s + new * feed.period_s if new >= 0 else self.started

    def document(self, feed: FarmFeed, count: int) -> bytes:
        items = []
        for k in reversed(range(count)):
            when = datetime.fromtimestamp(self.entry_time(feed, k) - 60 * (feed.initial - k), UTC)
            link = f"http://{feed.host}:{feed.port}/f{feed.index}/e{k}.html"
            items.append(
                f"<item><title>Feed {feed.index} story {k}: talks resume</title>"
                f"<link>{link}</link>"
                f'<guid isPermaLink="false">{feed.guid(k)}</guid>'
                f"<description>Story {k} of feed {feed.index}.</description>"
                f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Soak feed {feed.index}</title><link>http://{feed.host}/</link>"
            + "".join(items)
            + "</channel></rss>"
        ).encode()

    def expected_guids(self) -> dict[int, set[str]]:
        """Every entry published by a feed that can be fetched, by feed index."""
        return {
            feed.index: {feed.guid(k) for k in range(self.published(feed))}
            for feed in self.feeds
            if not feed.broken
        }

    # -- faults ------------------------------------------------------------------------------

    def draw_fault(self, feed: FarmFeed, *, moved: bool) -> str | None:
        if feed.broken:
            return "malformed"
        with self._lock:
            if self.calm_at is not None or self._rng.random() >= self.fault_rate:
                return None
            fault = self._rng.choice(FAULTS)
        return None if moved and fault == "redirect" else fault

    def slow_seconds(self) -> float:
        with self._lock:
            return self._rng.uniform(2.0, 40.0)

    def sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def calm(self) -> None:
        """No more faults and no more new entries from now on."""
        with self._lock:
            self.calm_at = time.time()

    # -- what happened -----------------------------------------------------------------------

    def record(self, feed: FarmFeed, kind: str, arrived: float, clean: bool) -> None:
        with self._lock:
            self.served[kind] += 1
            feed.requests.append((arrived, clean))

    def served_since(self, feed: FarmFeed, moment: float) -> bool:
        """Whether ``feed`` was served whole by a request that came after ``moment``."""
        with self._lock:
            return any(clean and at >= moment for at, clean in feed.requests)

    def lateness(self) -> list[tuple[float, int]]:
        """(seconds late, interval) of every poll whose previous poll was served whole: the
        feed was then due one interval later (plus the scheduler's jitter of up to 10 %)."""
        late: list[tuple[float, int]] = []
        with self._lock:
            for feed in self.feeds:
                requests = sorted(feed.requests)
                for (before, clean), (after, _) in itertools.pairwise(requests):
                    if clean:
                        late.append((after - before - feed.interval_s, feed.interval_s))
        return late

    def close(self) -> None:
        self._stop.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> ChaosFarm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
