"""Finding the real services the tests talk to (PostgreSQL, Redis).

On a developer's machine without them, the tests that need them skip with a reason;
under ``CI=true`` they fail instead, so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os

import pytest

PG_ADMIN_DSN = os.environ.get("TRACKER_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")
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
