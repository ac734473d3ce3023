"""A client for Manifold's public API (https://docs.manifold.markets/api): a yes/no market and
its trades, through the feeds' guarded HTTP client.

Two endpoints, both public:

- ``GET /v0/slug/{slug}``: the market (``id``, ``outcomeType``, ``probability``,
  ``createdTime``, ``closeTime``, ``isResolved``, ``resolution``, ``resolutionTime``, ``url``);
- ``GET /v0/bets?contractId=...&limit=1000[&before=ID][&afterTime=MS]``: its bets, newest
  first (``id``, ``createdTime``, ``probBefore``, ``probAfter``), paged with ``before``.

Times are milliseconds since the epoch.  Every request goes through a
:class:`~tracker.ingest.Fetcher` (SSRF guard at each connection, timeouts, body cap, redirects
checked), and every failure becomes a :class:`~tracker.errors.BaselinePullError` whose kind
says what happened: the API timed out, answered an HTTP error, a web page instead of JSON, or
JSON of another shape than the one read here (the API is in alpha: a changed shape is named
as such, never half read).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from tracker.baselines._series import Trade
from tracker.errors import BaselinePullError, BlockedAddressError, FeedError, InvalidInputError
from tracker.ingest import Fetcher, FetchLimits, make_fetcher
from tracker.settings import Settings

PROVIDER = "manifold"
#: the site whose market pages' URLs name a market
MANIFOLD_HOST = "manifold.markets"
JSON_ACCEPT = "application/json"
#: bets per page (the API's maximum) and the most pages read for one market
PAGE_SIZE = 1000
MAX_PAGES = 100
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,299}$")
#: the fetcher's failure kinds, as a baseline records them
_KINDS = {
    "timeout": "timeout",
    "http_status": "http",
    "bot_challenge": "http",
    "too_large": "too_large",
    "ssrf": "refused",
    "dns": "connection",
    "tls": "connection",
    "connection": "connection",
    "redirect": "connection",
    "parse": "shape",
}
#: milliseconds since the epoch that a date of this world may take (1990 to 2200)
_MS_RANGE = (631152000000, 7258118400000)


def market_slug(market: str) -> str:
    """The slug of a market given as its slug or its page's URL
    (``https://manifold.markets/user/will-x-happen`` -> ``will-x-happen``)."""
    text = market.strip()
    if "/" in text:
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower()
        segments = [segment for segment in parts.path.split("/") if segment]
        on_manifold = host == MANIFOLD_HOST or host.endswith("." + MANIFOLD_HOST)
        text = segments[-1] if segments and on_manifold else ""
    if not _SLUG.match(text):
        raise InvalidInputError(
            "market",
            f"{market.strip()[:80]!r} is not a Manifold market; give its slug "
            "(will-x-happen) or its page's URL (https://manifold.markets/user/will-x-happen)",
        )
    return text


def make_manifold_client(
    settings: Settings, *, limits: FetchLimits | None = None
) -> ManifoldClient:
    """A client of the settings' ``manifold_api_url``, on a guarded fetcher asking for JSON (the
    SSRF guard lets loopback through only with ``allow_private_feeds``, as for feeds)."""
    fetcher = make_fetcher(settings, limits=limits, accept=JSON_ACCEPT)
    return ManifoldClient(fetcher, settings.manifold_api_url)


@dataclass(frozen=True)
class Market:
    """A yes/no market as the API gives it; times in UTC."""

    id: str
    slug: str
    url: str | None
    probability: float
    created: datetime
    closes: datetime | None
    resolved: bool
    resolution: str | None
    resolved_at: datetime | None

    def last_trading_moment(self) -> datetime | None:
        """When trading stopped: the earlier of its close and its resolution (None: open)."""
        moments = [m for m in (self.closes, self.resolved_at) if m is not None]
        return min(moments) if moments else None


class ManifoldClient:
    """Reads markets and their trades from ``base_url`` (the settings' ``manifold_api_url``)
    with ``fetcher``; close it (or use ``with``) to close the fetcher."""

    def __init__(
        self,
        fetcher: Fetcher,
        base_url: str,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.max_pages = max_pages

    def close(self) -> None:
        self.fetcher.close()

    def __enter__(self) -> ManifoldClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def market(self, slug: str) -> Market:
        """The market of ``slug``; a ``BaselinePullError`` if there is none, it is not a yes/no
        market, or the answer cannot be read."""
        url = f"{self.base_url}/v0/slug/{quote(slug, safe='')}"
        market: Market = _read(url, self._json(url), _market, slug)
        return market

    def trades(self, market_id: str, *, after: datetime | None = None) -> list[Trade]:
        """The market's trades (after ``after``, if given), oldest first."""
        found: list[Trade] = []
        before: str | None = None
        for _page in range(self.max_pages):
            query = {"contractId": market_id, "limit": str(self.page_size)}
            if before:
                query["before"] = before
            if after is not None:
                query["afterTime"] = str(int(after.timestamp() * 1000))
            url = f"{self.base_url}/v0/bets?{urlencode(query)}"
            page = _read(url, self._json(url), _bets, market_id)
            found.extend(trade for _id, trade in page)
            if len(page) < self.page_size:
                return sorted(found, key=lambda trade: trade.at)
            before = page[-1][0]
        raise BaselinePullError(
            "too_large",
            f"{self.base_url}/v0/bets?contractId={market_id}",
            f"more than {self.max_pages * self.page_size:,} trades; too many to pull",
        )

    def _json(self, url: str) -> object:
        try:
            result = self.fetcher.fetch(url)
        except BlockedAddressError as exc:
            raise BaselinePullError("refused", url, exc.message) from exc
        except FeedError as exc:
            kind = "not_found" if exc.status == 404 else _KINDS.get(exc.kind, "connection")
            raise BaselinePullError(kind, url, exc.message, status=exc.status) from exc
        media = result.headers.get("content-type", "").lower()
        body = result.body.lstrip()
        if "html" in media or body[:1] == b"<":
            raise BaselinePullError(
                "html", url, f"a web page ({media or 'no type'}) instead of JSON: not the API?"
            )
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise BaselinePullError("shape", url, f"the answer is not JSON ({exc})") from exc


class _ShapeError(Exception):
    """A field missing or of the wrong type in an answer (becomes a ``shape`` error)."""


class _UnsupportedError(_ShapeError):
    """A market that is not a yes/no market (becomes an ``unsupported`` error)."""


def _read(url: str, document: object, reader: Callable[[object, str], Any], key: str) -> Any:
    try:
        return reader(document, key)
    except _UnsupportedError as exc:
        raise BaselinePullError("unsupported", url, str(exc)) from exc
    except _ShapeError as exc:
        raise BaselinePullError("shape", url, f"the answer changed shape: {exc}") from exc


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    value = data.get(name)
    if (
        value is None
        or not isinstance(value, kinds)
        or (isinstance(value, bool) and bool not in kinds)
    ):
        shown = "missing" if value is None else f"a {type(value).__name__}"
        wanted = " or ".join(k.__name__ for k in kinds)
        raise _ShapeError(f"{where}: {name!r} is {shown}, not {wanted}")
    return value


def _optional(data: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    return None if data.get(name) is None else _field(data, name, kind, where)


def _moment(value: int | float, name: str, where: str) -> datetime:
    if not _MS_RANGE[0] <= value <= _MS_RANGE[1]:
        raise _ShapeError(f"{where}: {name!r} is {value}, not a time in milliseconds")
    return datetime.fromtimestamp(value / 1000, UTC)


def _probability(data: dict[str, Any], name: str, where: str) -> float:
    value = float(_field(data, name, (int, float), where))
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise _ShapeError(f"{where}: {name!r} is {value}, not a probability")
    return value


def _market(document: object, slug: str) -> Market:
    where = f"market {slug!r}"
    if not isinstance(document, dict):
        raise _ShapeError(f"{where}: a {type(document).__name__}, not an object")
    outcome = _field(document, "outcomeType", str, where)
    if outcome != "BINARY":
        raise _UnsupportedError(
            f"market {slug!r} is a {outcome[:40]} market; only yes/no (BINARY) markets are "
            "baselines"
        )
    number = (int, float)
    closes = _optional(document, "closeTime", number, where)
    resolved_at = _optional(document, "resolutionTime", number, where)
    return Market(
        id=_field(document, "id", str, where),
        slug=slug,
        url=_optional(document, "url", str, where),
        probability=_probability(document, "probability", where),
        created=_moment(_field(document, "createdTime", number, where), "createdTime", where),
        closes=None if closes is None else _moment(closes, "closeTime", where),
        resolved=_field(document, "isResolved", bool, where),
        resolution=_optional(document, "resolution", str, where),
        resolved_at=None if resolved_at is None else _moment(resolved_at, "resolutionTime", where),
    )


def _bets(document: object, market_id: str) -> list[tuple[str, Trade]]:
    """(bet id, trade) for every bet of one page, in the API's order (newest first)."""
    if not isinstance(document, list):
        raise _ShapeError(f"the bets of {market_id!r}: a {type(document).__name__}, not a list")
    found = []
    for index, bet in enumerate(document):
        where = f"bet {index} of {market_id!r}"
        if not isinstance(bet, dict):
            raise _ShapeError(f"{where}: a {type(bet).__name__}, not an object")
        at = _moment(_field(bet, "createdTime", (int, float), where), "createdTime", where)
        trade = Trade(
            at, _probability(bet, "probBefore", where), _probability(bet, "probAfter", where)
        )
        found.append((_field(bet, "id", str, where), trade))
    return found
