"""Throttling of failed sign-ins (issue 17, "Sign-in has no throttling").

Before: 5-7 guesses a second from one machine with no lockout, and 40 concurrent sign-ins
hashed 40 passwords at once (553 MB -> 1.28 GB, pages 68 -> 619 ms).  Now failures are counted
per account name and per client address (the ``limits`` library's moving window); over the
limit, a sign-in is refused with 429 and ``Retry-After`` before any password is hashed, and
password checks run at most ``TRACKER_SIGNIN_CONCURRENCY`` at a time.

The throttle does not depend on the database engine, so these tests use SQLite only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.browser import serve_in_thread
from tests.services import redis_namespace, redis_url
from tests.web_fixtures import CSRF_INPUT, PASSWORD, make_token, settings_for, sign_in
from tracker.db import session_scope
from tracker.domain import auth
from tracker.models import AuditEntry
from tracker.web import create_app
from tracker.web.deps import SESSION_COOKIE

ACCOUNT_LIMIT = "3 per 15 minutes"
ADDRESS_LIMIT = "6 per 15 minutes"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


class CountingHasher:
    """The real argon2 hasher, counting verifications and how many ran at once."""

    def __init__(self, real) -> None:
        self.real = real
        self.verified = 0
        self.hashed = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def verify(self, hash_, password):
        with self._lock:
            self.verified += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return self.real.verify(hash_, password)
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password):
        self.hashed += 1
        return self.real.hash(password)

    def check_needs_rehash(self, hash_):
        return self.real.check_needs_rehash(hash_)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", counting)
    return counting


@pytest.fixture
def throttled_app(seeded, tmp_path):
    return create_app(
        settings_for(
            seeded.engine,
            tmp_path,
            signin_account_limit=ACCOUNT_LIMIT,
            signin_address_limit=ADDRESS_LIMIT,
        )
    )


@pytest.fixture
def client(throttled_app) -> Iterator[TestClient]:
    with TestClient(throttled_app) as test_client:
        yield test_client


def _from(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def test_an_account_is_refused_before_hashing_after_too_many_failures(client, hasher):
    for _ in range(3):
        assert sign_in(client, password="a wrong guess").status_code == 401
    assert hasher.verified == 3
    refused = sign_in(client)  # even the right password: the account is throttled
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60
    assert "too many failed sign-ins; try again in" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert hasher.verified == 3  # refused before any password check
    # the name is counted whatever its case or spaces
    assert sign_in(client, name=" ANA ").status_code == 429


def test_the_account_count_holds_from_every_address(throttled_app, hasher):
    for n in range(3):
        with _from(throttled_app, f"192.0.2.{n + 1}") as one:
            assert sign_in(one, password="a wrong guess").status_code == 401
    with _from(throttled_app, "192.0.2.99") as fresh:
        assert sign_in(fresh).status_code == 429
    with _from(throttled_app, "192.0.2.99") as fresh:
        assert sign_in(fresh, name="ben").status_code == 401  # another account is not affected
    assert hasher.verified == 4


def test_an_address_is_refused_after_too_many_failures_whatever_the_names(throttled_app, hasher):
    with _from(throttled_app, "198.51.100.7") as guesser:
        for n in range(6):
            assert sign_in(guesser, name=f"user{n}", password="a wrong guess").status_code == 401
        refused = sign_in(guesser)
        assert refused.status_code == 429 and "retry-after" in refused.headers
    assert hasher.verified == 6
    with _from(throttled_app, "198.51.100.8") as neighbour:
        assert sign_in(neighbour).status_code == 303  # ana, from elsewhere, signs in


def test_signing_in_forgets_the_accounts_failures(client):
    for _ in range(2):
        assert sign_in(client, password="a wrong guess").status_code == 401
    assert sign_in(client).status_code == 303
    client.cookies.clear()
    for _ in range(3):  # three more before the limit, not one
        assert sign_in(client, password="a wrong guess").status_code == 401
    assert sign_in(client).status_code == 429


def test_throttled_tries_are_in_the_audit_log_but_not_in_the_answer(client, seeded):
    for _ in range(3):
        sign_in(client, password="a wrong guess")
    refused = sign_in(client)
    assert "throttled" not in refused.text and "wrong_password" not in refused.text
    with session_scope(seeded.engine) as session:
        failures = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.action) == "sign_in_failed")
            .order_by(col(AuditEntry.id))
        ).all()
        reasons = [entry.detail["reason"] for entry in failures]
        assert reasons == ["wrong_password"] * 3 + ["throttled"]
        assert {entry.entity_id for entry in failures} == {"ana"}
        assert all(entry.detail["address"] == "testclient" for entry in failures)


def test_the_api_refuses_an_address_that_sent_too_many_bad_tokens(throttled_app, seeded):
    good = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    bad = {"Authorization": "Bearer trk_not-a-real-token"}
    with _from(throttled_app, "203.0.113.5") as script:
        for _ in range(6):
            assert script.get("/api/me", headers=bad).status_code == 401
        refused = script.get("/api/me", headers=bad)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        body = refused.json()
        assert body["error"] == "throttled" and "try again in" in body["detail"]
        assert "\n" not in body["detail"]
        assert script.get("/api/me", headers=good).status_code == 429  # the address, not the token
    with _from(throttled_app, "203.0.113.6") as other:
        assert other.get("/api/me", headers=good).json()["name"] == "ana"


def test_a_burst_of_sign_ins_hashes_a_bounded_number_of_passwords(seeded, tmp_path, hasher):
    """40 concurrent wrong sign-ins against a real server on loopback: at most the account's
    limit (plus the password checks already running) are hashed, never more than
    TRACKER_SIGNIN_CONCURRENCY at once; the rest get 429 with Retry-After; other pages answer."""
    settings = settings_for(
        seeded.engine, tmp_path, signin_account_limit=ACCOUNT_LIMIT, signin_concurrency=2
    )
    with serve_in_thread(create_app(settings)) as base:
        with httpx.Client(base_url=base, timeout=60) as browser:
            token = CSRF_INPUT.search(browser.get("/login").text).group(1)
            cookies = dict(browser.cookies)

        def attempt(_n: int) -> httpx.Response:
            with httpx.Client(base_url=base, timeout=60, cookies=cookies) as attacker:
                form = {"name": "ana", "password": "a wrong guess", "csrf_token": token}
                return attacker.post("/login", data=form)

        with ThreadPoolExecutor(max_workers=40) as pool:
            burst = [pool.submit(attempt, n) for n in range(40)]
            with httpx.Client(base_url=base, timeout=60) as reader:
                assert reader.get("/api/forecasts").status_code == 200  # during the burst
            answers = [future.result() for future in burst]
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {401, 429} and statuses.count(429) >= 40 - 3 - 1
    assert all("retry-after" in a.headers for a in answers if a.status_code == 429)
    assert hasher.most_at_once <= 2
    assert hasher.verified <= 3 + 1  # the limit, plus one check already running when it was hit


def test_failures_are_counted_across_processes_in_redis(seeded, tmp_path):
    """With a Redis storage every server process (here: two apps) shares one count."""
    url = redis_url()
    for namespace in redis_namespace("signin"):
        apps = [
            create_app(
                settings_for(
                    seeded.engine,
                    tmp_path / f"app{n}",
                    signin_account_limit=ACCOUNT_LIMIT,
                    signin_limit_storage=url,
                    namespace=namespace,
                )
            )
            for n in range(2)
        ]
        with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
            for _ in range(3):
                assert sign_in(first, password="a wrong guess").status_code == 401
            assert sign_in(second).status_code == 429


def test_an_unreachable_limit_store_is_a_clear_error(seeded, tmp_path):
    # port 9 on loopback: nothing listens there
    settings = settings_for(seeded.engine, tmp_path, signin_limit_storage="redis://127.0.0.1:9/0")
    with TestClient(create_app(settings)) as client:
        answer = sign_in(client)
    assert answer.status_code == 503
    assert "sign-in limit store is unreachable" not in answer.text  # details only in the log
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_the_throttle_comes_after_the_sign_in_forms_csrf_check(client, hasher):
    client.get("/login")
    forged = client.post(
        "/login",
        data={"name": "ana", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and hasher.verified == 0


def test_no_transaction_is_held_while_a_password_is_hashed(client, seeded, monkeypatch):
    """On SQLite a unit of work holds the write lock from its first statement: a sign-in that
    kept one open across its 0.3 s hash held up every other request meanwhile."""
    import sqlite3

    path = seeded.engine.url.database
    locked: list[bool] = []

    class LockProbe(CountingHasher):
        def verify(self, hash_, password):
            probe = sqlite3.connect(path, timeout=0)
            try:
                probe.execute("BEGIN IMMEDIATE")  # fails at once if a writer holds the lock
                probe.rollback()
                locked.append(False)
            except sqlite3.OperationalError:
                locked.append(True)
            finally:
                probe.close()
            return super().verify(hash_, password)

    monkeypatch.setattr(auth, "_hasher", LockProbe(auth._hasher))
    assert sign_in(client, password="a wrong guess").status_code == 401
    assert sign_in(client).status_code == 303
    assert locked == [False, False]


def test_a_sign_in_that_finds_every_slot_busy_is_told_to_retry(seeded, tmp_path, monkeypatch):
    """With TRACKER_SIGNIN_CONCURRENCY=1 and one password check running, the next sign-in waits
    (here 0.2 s instead of 3 s), then gets 429 with Retry-After; the running one is not cut."""
    from tracker.web.pages import auth as auth_pages

    entered, release = threading.Event(), threading.Event()

    class Stuck(CountingHasher):
        def verify(self, hash_, password):
            entered.set()
            assert release.wait(timeout=30), "the test never released the password check"
            return super().verify(hash_, password)

    monkeypatch.setattr(auth, "_hasher", Stuck(auth._hasher))
    monkeypatch.setattr(auth_pages, "SIGN_IN_WAIT_S", 0.2)
    settings = settings_for(seeded.engine, tmp_path, signin_concurrency=1)
    with (
        serve_in_thread(create_app(settings)) as base,
        httpx.Client(base_url=base, timeout=60) as browser,
    ):
        token = CSRF_INPUT.search(browser.get("/login").text).group(1)
        form = {"name": "ana", "password": PASSWORD, "csrf_token": token}
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(browser.post, "/login", data=form)
            assert entered.wait(timeout=30)
            with httpx.Client(base_url=base, timeout=60, cookies=browser.cookies) as other:
                busy = other.post("/login", data=form)
            release.set()
            assert first.result().status_code == 303  # signed in: the check was not cut
    assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
    assert "too many sign-ins at once; try again in 1 second" in busy.text
