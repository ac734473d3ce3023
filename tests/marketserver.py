"""Manifold's public API, as far as baselines read it, served from 127.0.0.1 (a real HTTP
server: :class:`tests.feedserver.FeedServer`).

``GET /v0/slug/{slug}`` answers a market in the API's shape and ``GET /v0/bets`` its bets,
newest first, honouring ``contractId``, ``limit``, ``before`` (a bet id) and ``afterTime``
(milliseconds) as the API does.  Each market or the bets endpoint can be made to fail the way a
live API does: too slow, a web page instead of JSON, JSON of another shape, HTTP 500.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.feedserver import FeedServer

#: how a route may misbehave
FAILURES = ("slow", "html", "shape", "500", "404")
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Manifold</title></head><body>Oops</body></html>"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class FakeMarket:
    """A market and its trades: (when, probability before, probability after), oldest first."""

    id: str
    slug: str
    created: datetime
    probability: float
    trades: list[tuple[datetime, float, float]] = field(default_factory=list)
    closes: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    outcome_type: str = "BINARY"

    def document(self) -> dict[str, object]:
        return {
            "id": self.id,
            "creatorId": "u1",
            "creatorUsername": "analyst",
            "creatorName": "An Analyst",
            "createdTime": ms(self.created),
            "closeTime": ms(self.closes) if self.closes else None,
            "question": f"Will {self.slug.replace('-', ' ')}?",
            "slug": self.slug,
            "url": f"https://manifold.markets/analyst/{self.slug}",
            "pool": {"YES": 120.5, "NO": 80.25},
            "probability": self.probability,
            "p": 0.5,
            "totalLiquidity": 100,
            "outcomeType": self.outcome_type,
            "mechanism": "cpmm-1",
            "volume": 1234.5,
            "volume24Hours": 12,
            "isResolved": self.resolved_at is not None,
            "resolution": self.resolution,
            "resolutionTime": ms(self.resolved_at) if self.resolved_at else None,
            "uniqueBettorCount": 7,
            "lastUpdatedTime": ms(self.created),
            "textDescription": "Resolves YES if <b>it</b> happens.",
        }

    def bets(self) -> list[dict[str, object]]:
        """The bets in the API's shape, newest first."""
        found = []
        for index, (at, before, after) in enumerate(self.trades):
            found.append(
                {
                    "id": f"{self.id}-bet-{index:04d}",
                    "userId": f"user{index % 3}",
                    "contractId": self.id,
                    "createdTime": ms(at),
                    "amount": 10,
                    "orderAmount": 10,
                    "shares": 17.35,
                    "outcome": "YES" if after >= before else "NO",
                    "probBefore": before,
                    "probAfter": after,
                    "isFilled": True,
                    "isCancelled": False,
                    "loanAmount": 0,
                    "fees": {"platformFee": 0, "liquidityFee": 0, "creatorFee": 0.1},
                    "fills": [
                        {"amount": 10, "shares": 17.35, "timestamp": ms(at), "matchedBetId": None}
                    ],
                }
            )
        return found[::-1]


class MarketServer:
    """The API on a loopback port; ``base_url`` is what ``TRACKER_MANIFOLD_API_URL`` takes."""

    def __init__(self) -> None:
        self.http = FeedServer()
        self.markets: dict[str, FakeMarket] = {}
        #: slug or market id -> how its route fails now (see :data:`FAILURES`)
        self.failing: dict[str, str] = {}
        #: the query of every bets request, in order
        self.bet_queries: list[dict[str, str]] = []
        self.slow_s = 3.0
        self.http.add("/v0/bets", self._bets)

    @property
    def base_url(self) -> str:
        return self.http.url("")

    def add(self, market: FakeMarket) -> FakeMarket:
        self.markets[market.id] = market
        self.http.add(f"/v0/slug/{market.slug}", lambda handler: self._market(handler, market))
        return market

    def _market(self, handler: BaseHTTPRequestHandler, market: FakeMarket) -> None:
        changed = {"id": market.id, "outcomeType": "BINARY", "probability": "62%"}
        if not self._fails(handler, market.slug, changed):
            self._json(handler, market.document())

    def _bets(self, handler: BaseHTTPRequestHandler) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(handler.path).query).items()}
        self.bet_queries.append(query)
        market = self.markets.get(query.get("contractId", ""))
        if market is None:
            self._json(handler, [])
            return
        if self._fails(handler, market.id, [{"id": "x", "createdTime": "yesterday"}]):
            return
        bets = market.bets()
        if "afterTime" in query:
            bets = [b for b in bets if int(str(b["createdTime"])) > int(query["afterTime"])]
        if "before" in query:
            ids = [b["id"] for b in bets]
            bets = bets[ids.index(query["before"]) + 1 :] if query["before"] in ids else []
        self._json(handler, bets[: int(query.get("limit", "1000"))])

    def _fails(self, handler: BaseHTTPRequestHandler, key: str, changed: object) -> bool:
        mode = self.failing.get(key)
        if mode is None:
            return False
        if mode == "slow":
            time.sleep(self.slow_s)
            self._json(handler, {})
        elif mode == "html":
            _reply(handler, 200, HTML_PAGE, "text/html; charset=utf-8")
        elif mode == "shape":
            self._json(handler, changed)
        else:
            body = json.dumps({"message": "Internal server error"}).encode()
            _reply(handler, int(mode), body, "application/json")
        return True

    @staticmethod
    def _json(handler: BaseHTTPRequestHandler, document: object) -> None:
        _reply(handler, 200, json.dumps(document).encode(), "application/json; charset=utf-8")

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> MarketServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, media: str) -> None:
    handler.reply(status, body, {"Content-Type": media})  # type: ignore[attr-defined]
