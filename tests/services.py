"""Finding the real services the tests talk to (PostgreSQL, Redis).

On a developer's machine without them, the tests that need them skip with a reason;
under ``CI=true`` they fail instead, so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

PG_ADMIN_DSN = os.environ.get(
    "TRACKER_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test"
)
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(service: str, reason: str) -> None:
    message = f"{service} is not reachable ({reason})"
    if in_ci():
        pytest.fail(message + "; it is required under CI=true (.ci/run starts it)", pytrace=False)
    pytest.skip(message + "; start it to run this test (see README, 'Tests')")


def postgres_admin_dsn() -> str:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        unavailable("PostgreSQL at 127.0.0.1:5432", str(exc).strip().splitlines()[0])
    return PG_ADMIN_DSN


def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis at 127.0.0.1:6379", str(exc).strip().splitlines()[0])
    finally:
        client.close()
    return REDIS_URL


def redis_namespace(prefix: str) -> Iterator[str]:
    """A fresh queue name / Redis key prefix for one test; its keys are deleted afterwards.

    Other runs share this Redis (db 15), so every test works in a namespace of its own."""
    import redis

    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url())
    keys = list(client.scan_iter(f"{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
