"""Downloading one feed: one shared httpx client, explicit limits, every safeguard in one place.

- :class:`FetchLimits` holds every limit with a safe default (connect 5 s, read 15 s, whole
  request 30 s, body 10 MiB, 5 redirects, 2 requests in flight per host).  The whole-request
  limit is one budget for connect, headers, body and every redirect, enforced on each socket
  read and write (:class:`_Budget`); the wait for a per-host slot is not part of it.
- Whatever the server sends ends as a :class:`FetchError` of the feed (or a clamped value),
  never as another exception: a redirect to a URL httpx cannot build, header values with
  non-ASCII digits or thirty of them, validators that could not be sent back.
- Redirects are followed by hand, so each hop is checked (scheme, SSRF guard at connect time,
  loop detection, count).
- The body is streamed raw and decompressed here, chunk by bounded chunk, so the size cap
  holds after decompression too (a gzip bomb stops at the cap, not in memory).
- Per-host politeness is a :class:`HostLimiter`: a local semaphore in one process, or a Redis
  semaphore shared by every worker (:class:`RedisHostLimiter`).

Every failure is a :class:`~tracker.errors.FetchError` whose ``kind`` says what happened.
"""

from __future__ import annotations

import email.utils
import ssl
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from tracker import __version__
from tracker.clock import utcnow
from tracker.errors import (
    BlockedAddressError,
    FeedParseError,
    FetchError,
    TrackerError,
)
from tracker.ingest._schedule import MAX_DELAY
from tracker.ingest._ssrf import AddressGuard, GuardedBackend, check_url

if TYPE_CHECKING:
    import redis

USER_AGENT = (
    f"forecast-tracker/{__version__} (feed poller; polite: conditional GET, 2 requests per host)"
)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
#: what a feed poll accepts; article pages ask for HTML instead (``Fetcher(accept=...)``)
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    """The limits of one fetch.  The defaults are the production values."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2
    host_wait: float = 30.0
    user_agent: str = USER_AGENT

    def httpx_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.read_timeout,
            pool=self.connect_timeout,
        )


@dataclass
class FetchResult:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes = b""
    not_modified: bool = False
    fetched_at: datetime = field(default_factory=utcnow)


class HostBusyError(TrackerError):
    """Every per-host slot stayed taken for too long; the poll should be retried later."""

    def __init__(self, host: str, waited: float) -> None:
        self.host = host
        super().__init__(
            f"host {host!r} already has its maximum of requests in flight (waited {waited:.0f} s)"
        )


class HostLimiter(Protocol):
    def slot(self, host: str) -> contextmanager: ...  # type: ignore[valid-type]


class LocalHostLimiter:
    """At most ``per_host`` requests in flight per host within this process."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._semaphores.setdefault(host, threading.BoundedSemaphore(self.per_host))
        with semaphore:
            yield


_ACQUIRE = """
local key, token = KEYS[1], ARGV[4]
local now, ttl, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - ttl)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, token)
  redis.call('EXPIRE', key, math.ceil(ttl))
  return 1
end
return 0
"""


class RedisHostLimiter:
    """At most ``per_host`` requests in flight per host across every worker sharing one Redis.

    A sorted set per host holds one token per request in flight, scored by its start time;
    tokens older than ``ttl`` (a worker that died mid-request) are dropped, so a crash cannot
    block a host for ever.
    """

    def __init__(
        self, client: redis.Redis, prefix: str, per_host: int, *, ttl: float, wait: float
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.per_host = per_host
        self.ttl = ttl
        self.wait = wait
        self._acquire = client.register_script(_ACQUIRE)

    def key(self, host: str) -> str:
        return f"{self.prefix}:host:{host}"

    def in_flight(self, host: str) -> int:
        return int(self.client.zcard(self.key(host)))

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        token = uuid.uuid4().hex
        started = time.monotonic()
        delay = 0.01
        while not self._acquire(
            keys=[self.key(host)], args=[time.time(), self.ttl, self.per_host, token]
        ):
            waited = time.monotonic() - started
            if waited > self.wait:
                raise HostBusyError(host, waited)
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
        try:
            yield
        finally:
            self.client.zrem(self.key(host), token)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the SSRF guard in its network backend and no proxies."""

    def __init__(self, guard: AddressGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=200,
            max_keepalive_connections=50,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(guard),
        )


_DEADLINE = threading.local()  # .at: the monotonic time the current thread's request must end


class _Budget:
    """The time one request may take, connect, headers and body of every hop together
    (``FetchLimits.total_timeout``).  httpx's own timeouts are per read: a server dribbling its
    headers one byte a second never trips them.  Only the time spent talking to the server
    counts: the wait for a per-host slot is not part of it (a busy host would otherwise give its
    healthy feeds false timeouts)."""

    def __init__(self, url: str, seconds: float) -> None:
        self.url, self.total, self.left = url, seconds, seconds

    @contextmanager
    def running(self) -> Iterator[float]:
        """Counts the time inside against the budget; the sockets of this thread read and write
        with at most what is left (``_DeadlineStream``)."""
        if self.left <= 0:
            raise self.exceeded()
        started = time.monotonic()
        _DEADLINE.at = started + self.left
        try:
            yield _DEADLINE.at
        finally:
            _DEADLINE.at = None
            self.left -= time.monotonic() - started

    def exceeded(self) -> FetchError:
        return FetchError(
            "timeout", self.url, f"no complete answer within the time limit of {self.total:g} s"
        )


def _time_left(timeout: float | None) -> float | None:
    """``timeout`` shortened to what is left of this thread's request; a timeout error when
    nothing is left."""
    at: float | None = getattr(_DEADLINE, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the whole request took longer than its time limit")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write ends by the request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, _time_left(timeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(GuardedBackend):
    """The guarded backend whose connections keep the request's deadline."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = super().connect_tcp(host, port, _time_left(timeout), local_address, socket_options)
        return _DeadlineStream(stream)


class Fetcher:
    """One shared HTTP client per worker.  Thread-safe; close it when the worker stops.

    Feeds and article pages (``tracker.ingest._pages``) use one each, differing only in the
    ``Accept`` header; they may share a host limiter, so the per-host limit holds for both."""

    def __init__(
        self,
        limits: FetchLimits | None = None,
        guard: AddressGuard | None = None,
        host_limiter: HostLimiter | None = None,
        *,
        accept: str = FEED_ACCEPT,
    ) -> None:
        self.limits = limits or FetchLimits()
        self.guard = guard or AddressGuard()
        self.host_limiter = host_limiter or LocalHostLimiter(self.limits.per_host)
        self.client = httpx.Client(
            transport=_GuardedTransport(self.guard),
            timeout=self.limits.httpx_timeout(),
            follow_redirects=False,
            headers={
                "User-Agent": self.limits.user_agent,
                "Accept-Encoding": "gzip, deflate",
                "Accept": accept,
            },
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` conditionally, following at most ``max_redirects`` checked redirects, all
        within one time budget (``total_timeout``)."""
        budget = _Budget(url, self.limits.total_timeout)
        headers = _validators(etag, last_modified)
        seen = [url]
        current = url
        while True:
            check_url(current)
            outcome = self._one_hop(current, headers, budget)
            if isinstance(outcome, FetchResult):
                return outcome
            target = _redirect_target(url, current, outcome)
            if target in seen:
                raise FetchError("redirect", url, f"redirect loop: {current} -> {target}")
            if len(seen) > self.limits.max_redirects:
                raise FetchError(
                    "redirect", url, f"more than {self.limits.max_redirects} redirects"
                )
            seen.append(target)
            current = target

    def _one_hop(self, url: str, headers: dict[str, str], budget: _Budget) -> FetchResult | str:
        """The result, or the Location to follow."""
        request = _request(
            self.client, url, headers, "connection" if url == budget.url else "redirect"
        )
        host = urlsplit(url).hostname or ""
        try:
            with self.host_limiter.slot(host), budget.running() as deadline:
                return self._exchange(url, request, deadline)
        except httpx.TimeoutException as exc:
            raise (
                budget.exceeded()
                if budget.left <= 0
                else FetchError("timeout", url, f"no answer in time ({exc.__class__.__name__})")
            ) from exc
        except httpx.ConnectError as exc:
            kind = "tls" if _is_tls(exc) else "connection"
            raise FetchError(kind, url, f"cannot connect: {exc}") from exc
        except httpx.TransportError as exc:
            raise FetchError("connection", url, f"{exc.__class__.__name__}: {exc}") from exc
        except BlockedAddressError as exc:
            raise BlockedAddressError(url, exc.message) from exc
        except FetchError as exc:
            if exc.url == url:
                raise
            raise FetchError(exc.kind, url, exc.message) from exc

    def _exchange(self, url: str, request: httpx.Request, deadline: float) -> FetchResult | str:
        """One request and its response (the caller holds the host slot and runs the budget)."""
        try:
            response = self.client.send(request, stream=True)
        except (httpx.InvalidURL, ValueError) as exc:
            # httpx builds the next request of a redirect even when it does not follow it: a
            # Location it cannot make a URL of raises here (ValueError: UnicodeError, IDNAError)
            raise FetchError(
                "redirect", url, f"the redirect goes to an invalid URL: {exc}"
            ) from exc
        try:
            if response.status_code in REDIRECT_CODES:
                location: str | None = response.headers.get("location")
                if not location:
                    raise FetchError(
                        "http_status",
                        url,
                        f"HTTP {response.status_code} without a Location",
                        status=response.status_code,
                    )
                return location
            if response.status_code == 304:
                return FetchResult(url, 304, response.headers, not_modified=True)
            _raise_for_status(url, response)
            body = _read_capped(url, response, self.limits.max_body_bytes, deadline)
            return FetchResult(url, response.status_code, response.headers, body)
        finally:
            response.close()


#: what a conditional request may send back: the validators a server gave, if they are plain
#: ASCII of a sane length (a header value httpx cannot encode would fail every later poll)
_MAX_VALIDATOR = {"etag": 500, "last-modified": 100}


def validator(name: str, value: str | None) -> str | None:
    """A response's ``ETag`` or ``Last-Modified`` worth keeping for the next conditional GET:
    printable ASCII no longer than the feed's column (``name``: the header, lower case)."""
    if not value or len(value) > _MAX_VALIDATOR[name]:
        return None
    return value if value.isascii() and value.isprintable() else None


def _validators(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag := validator("etag", etag):
        headers["If-None-Match"] = etag
    if last_modified := validator("last-modified", last_modified):
        headers["If-Modified-Since"] = last_modified
    return headers


def _request(client: httpx.Client, url: str, headers: dict[str, str], kind: str) -> httpx.Request:
    """The GET of ``url``; a URL httpx cannot send (a NUL, a malformed IDNA label) is the
    feed's error (``kind``: a redirect's, or the connection's for the feed's own URL), not the
    poller's."""
    try:
        return client.build_request("GET", url, headers=headers)
    except (httpx.InvalidURL, ValueError) as exc:  # ValueError: UnicodeError, IDNAError
        raise FetchError(kind, url, f"not a URL that can be fetched: {exc}") from exc


def _redirect_target(url: str, current: str, location: str) -> str:
    """The absolute URL a ``Location`` points to (checked as any URL before it is fetched)."""
    try:
        target = urljoin(current, location)
    except ValueError as exc:  # an unbalanced IPv6 bracket, a host that NFKC makes unsafe
        raise FetchError(
            "redirect", url, f"the redirect from {current} goes to an invalid URL: {exc}"
        ) from exc
    return target


def _is_tls(exc: BaseException) -> bool:
    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(chain, ssl.SSLError):
            return True
        chain = chain.__cause__ or chain.__context__
    return "SSL" in str(exc) or "CERTIFICATE" in str(exc).upper()


def _raise_for_status(url: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 410:
        raise FetchError(
            "http_status",
            url,
            "HTTP 410 Gone: the publisher removed this feed",
            status=status,
            permanent=True,
        )
    if status in (403, 429, 503) and (
        response.headers.get("cf-mitigated", "").lower() == "challenge"
        or "challenge" in response.headers.get("server-timing", "")
    ):
        raise FetchError(
            "bot_challenge",
            url,
            f"HTTP {status}: a bot challenge (cf-mitigated) blocks polling",
            status=status,
        )
    retry_after = (
        parse_retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
    )
    reason = response.reason_phrase or "error"
    hint = f"; the server asks to wait {retry_after:.0f} s" if retry_after else ""
    raise FetchError(
        "http_status", url, f"HTTP {status} {reason}{hint}", status=status, retry_after=retry_after
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: either delta-seconds or an HTTP date; at most the longest
    backoff (:data:`~tracker.ingest._schedule.MAX_DELAY`), whatever the server asks for."""
    if not value:
        return None
    value = value.strip()
    longest = MAX_DELAY.total_seconds()
    if value.isascii() and value.isdigit():
        return longest if len(value.lstrip("0")) > 9 else min(float(value), longest)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - (now or utcnow())).total_seconds()), longest)


def _decoder(url: str, encoding: str) -> zlib._Decompress | str | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return "deflate"  # zlib-wrapped or raw: decided on the first bytes
    raise FeedParseError(url, f"unsupported Content-Encoding {encoding!r}")


def _decoded_chunks(url: str, response: httpx.Response) -> Iterator[bytes]:
    """The body, decompressed in pieces of at most 64 KiB each (so a bomb cannot fill memory)."""
    decoder = _decoder(url, response.headers.get("content-encoding", ""))
    try:
        for raw in response.iter_raw():
            if decoder is None:
                yield raw
                continue
            if isinstance(decoder, str):  # "deflate": zlib-wrapped or raw, said the first bytes
                decoder = zlib.decompressobj(
                    zlib.MAX_WBITS if raw[:1] == b"\x78" else -zlib.MAX_WBITS
                )
            data = raw
            while data:
                yield decoder.decompress(data, _CHUNK)
                data = decoder.unconsumed_tail
        if decoder is not None and not isinstance(decoder, str):
            yield decoder.flush()
    except zlib.error as exc:
        raise FeedParseError(url, f"the compressed body is corrupt: {exc}") from exc


def _read_capped(url: str, response: httpx.Response, limit: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if (
        declared.isascii()
        and declared.isdigit()
        and int(declared) > limit
        and not response.headers.get("content-encoding")
    ):
        raise FetchError(
            "too_large", url, f"the body is {int(declared):,} bytes; the limit is {limit:,}"
        )
    parts: list[bytes] = []
    size = 0
    for chunk in _decoded_chunks(url, response):
        size += len(chunk)
        if size > limit:
            raise FetchError(
                "too_large",
                url,
                f"the body is larger than the limit of {limit:,} bytes (after decompression)",
            )
        if time.monotonic() > deadline:
            raise FetchError("timeout", url, "the whole request took longer than its time limit")
        parts.append(chunk)
    return b"".join(parts)
