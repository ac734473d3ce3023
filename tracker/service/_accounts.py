"""Use cases on who may change things: analysts' accounts, API tokens and web sign-ins.

Every change to users and tokens, every sign-in and sign-out, and every failed sign-in (with
its reason) is written to the audit log (:mod:`tracker.domain.auth`).  Failed sign-ins are
throttled per account name and per client address by a :class:`SignInGuard`, before any
password is hashed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from tracker.clock import utcnow
from tracker.domain import auth
from tracker.domain.auth import TokenRow
from tracker.errors import BadCredentialsError, SignInThrottledError, StorageError
from tracker.models import ApiToken, User, WebSession
from tracker.service._unit import unit_of_work

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.strategies import RateLimiter

    from tracker.settings import Settings


class SignInGuard:
    """Throttles failed sign-ins and bounds concurrent password checks, in one server process.

    Failures are counted with the ``limits`` library's moving window, per account name (from
    any address) and per client address (any names), in memory or, when the settings name a
    Redis URL, in Redis (shared by every process and machine).  A name or address over its
    limit is refused before its password is hashed.  Password checks (argon2: ~64 MiB and a
    few hundred ms of CPU each) run at most ``concurrency`` at a time: a burst of sign-ins then
    costs bounded memory and leaves CPU for other pages.
    """

    def __init__(
        self,
        *,
        account_limit: str,
        address_limit: str,
        storage_url: str = "memory://",
        key_prefix: str = "tracker",
        concurrency: int = 2,
        slot_wait_s: float = auth.SIGN_IN_WAIT_S,
    ) -> None:
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self._account: RateLimitItem = parse(account_limit)
        self._address: RateLimitItem = parse(address_limit)
        options: dict[str, str | bool] = {"wrap_exceptions": True}
        if not storage_url.startswith("memory"):
            options["key_prefix"] = f"{key_prefix}:signin"
        self._limiter: RateLimiter = MovingWindowRateLimiter(
            storage_from_string(storage_url, **options)
        )
        self._slots = threading.BoundedSemaphore(concurrency)
        self._slot_wait_s = slot_wait_s
        auth.prepare()  # the dummy hash, made now rather than at the first unknown name

    @classmethod
    def of(cls, settings: Settings) -> SignInGuard:
        return cls(
            account_limit=settings.signin_account_limit,
            address_limit=settings.signin_address_limit,
            storage_url=settings.resolved_signin_limit_storage(),
            key_prefix=settings.namespace,
            concurrency=settings.signin_concurrency,
        )

    def _keys(self, name: str | None, address: str | None) -> list[tuple[RateLimitItem, str, str]]:
        keys = []
        if name is not None:
            keys.append((self._account, "account", name.strip().casefold()[:100]))
        if address is not None:
            keys.append((self._address, "address", address[:100]))
        return keys

    def check(self, name: str | None, address: str | None) -> None:
        """Refuse (:class:`SignInThrottledError`) when the name or address has failed too often."""
        with _store_errors():
            over = [
                self._limiter.get_window_stats(item, kind, key).reset_time
                for item, kind, key in self._keys(name, address)
                if not self._limiter.test(item, kind, key)
            ]
        if over:
            raise SignInThrottledError(math.ceil(max(over) - utcnow().timestamp()))

    def failed(self, name: str | None, address: str | None) -> None:
        """Count a failure against the name and the address."""
        with _store_errors():
            for item, kind, key in self._keys(name, address):
                self._limiter.hit(item, kind, key)

    def succeeded(self, name: str) -> None:
        """The account's owner proved who they are: its failures are forgotten (the address's
        are not: one good account must not reset a guesser's count)."""
        with _store_errors():
            for item, kind, key in self._keys(name, None):
                self._limiter.clear(item, kind, key)

    @contextmanager
    def password_check(self) -> Iterator[None]:
        """A slot to hash a password in; :class:`SignInThrottledError` (``busy``) when none
        frees up within a few seconds."""
        if not self._slots.acquire(timeout=self._slot_wait_s):
            raise SignInThrottledError(1, reason="busy")
        try:
            yield
        finally:
            self._slots.release()


@contextmanager
def _store_errors() -> Iterator[None]:
    from limits.errors import StorageError as LimitStoreError

    try:
        yield
    except LimitStoreError as exc:
        raise StorageError(
            f"the sign-in limit store is unreachable ({exc.storage_error}); "
            "check TRACKER_SIGNIN_LIMIT_STORAGE"
        ) from exc


def add_user(session: Session, name: str, password: str, *, actor: str) -> User:
    """Create an analyst account (name and password checked; the password stored as argon2id)."""
    return auth.add_user(session, name, password, actor=actor)


def set_user_active(session: Session, name: str, active: bool, *, actor: str) -> User:
    """Enable or disable an account.  Disabling ends its web sessions and revokes its API
    tokens for good: enabling it again brings none of them back."""
    return auth.set_active(session, name, active, actor=actor)


def change_password(
    session: Session, name: str, password: str, *, actor: str, revoke_tokens: bool = False
) -> dict[str, int]:
    """Set a new password (checked by the policy); every web session of the user ends, and its
    API tokens are revoked too with ``revoke_tokens``.  Returns what was ended, counted."""
    return auth.set_password(session, name, password, actor=actor, revoke_tokens=revoke_tokens)


def sign_out_everywhere(
    session: Session, name: str, *, actor: str, revoke_tokens: bool = False
) -> dict[str, int]:
    """End every web session of the user (and revoke its API tokens with ``revoke_tokens``)."""
    return auth.sign_out_everywhere(session, name, actor=actor, revoke_tokens=revoke_tokens)


def list_users(session: Session) -> list[User]:
    return auth.list_users(session)


def create_token(
    session: Session,
    name: str,
    *,
    user: str | None = None,
    expires: str | None = None,
    default_days: int = auth.DEFAULT_TOKEN_DAYS,
    actor: str,
) -> tuple[ApiToken, str]:
    """A new API token acting as ``user`` (default: the user called ``name``), working until
    ``expires`` (``90d``, ``12h``, ``2027-06-30``; default: ``default_days``, the front ends'
    ``TRACKER_API_TOKEN_DAYS``); returns the row and the secret, shown once and never stored."""
    expires_at = auth.token_expiry(expires, utcnow(), default_days)
    return auth.create_token(session, name, user or name, expires_at=expires_at, actor=actor)


def list_tokens(session: Session) -> list[TokenRow]:
    return auth.list_tokens(session)


def revoke_token(session: Session, name: str, *, actor: str) -> ApiToken:
    """Revoke an API token: requests carrying it are refused from now on."""
    return auth.revoke_token(session, name, actor=actor)


@dataclass(frozen=True)
class SignedIn:
    user: User
    secret: str  # the session cookie's value (only its hash is stored)
    web_session: WebSession


def sign_in(
    engine: Engine,
    name: str,
    password: str,
    *,
    address: str,
    guard: SignInGuard,
    settings: Settings,
) -> SignedIn:
    """Check a name and password and start a new web session (never an old one: no fixation).

    A name or address with too many recent failures is refused before the password is hashed
    (:class:`SignInThrottledError`); otherwise the check waits for a free slot of ``guard``.
    Made of short units of work: the user's hash is read in one, the password hashed outside
    any (on SQLite a transaction holds the database's write lock, which every page needs), and
    the session, or the failure, written in another.  Success and failure (with its reason) are
    written to the audit log either way.
    """
    try:
        found = _checked_credentials(engine, name, password, address, guard)
        with unit_of_work(engine) as session:
            user = auth.signed_in(session, found, password)
            secret, web_session = auth.start_session(
                session, user, limits=auth.SessionLimits.of(settings)
            )
            auth.record_sign_in(session, user.name, address)
    except (SignInThrottledError, BadCredentialsError) as exc:
        with unit_of_work(engine) as session:
            auth.record_sign_in(session, name, address, failure=exc.reason)
        raise
    return SignedIn(user, secret, web_session)


def _checked_credentials(
    engine: Engine, name: str, password: str, address: str, guard: SignInGuard
) -> auth.Credentials:
    guard.check(name, address)  # refused before waiting for a slot
    with guard.password_check():
        guard.check(name, address)  # others may have failed while this one waited
        with unit_of_work(engine) as session:
            found = auth.credentials(session, name)
        try:
            auth.check_credentials(found, password)
        except BadCredentialsError:
            guard.failed(name, address)  # counted before the slot is free for the next check
            raise
    guard.succeeded(name)
    return found


def sign_out(session: Session, secret: str) -> None:
    """End the web session whose cookie holds ``secret`` (recorded in the audit log)."""
    auth.end_session(session, secret)


def token_user(session: Session, secret: str, *, address: str, guard: SignInGuard) -> User:
    """The active analyst an API token acts as (a BadCredentialsError otherwise).  An address
    that sent too many bad tokens is refused first (:class:`SignInThrottledError`)."""
    guard.check(None, address)
    try:
        return auth.user_for_token(session, secret, utcnow())
    except BadCredentialsError:
        guard.failed(None, address)
        raise


def session_user(
    session: Session, secret: str, settings: Settings
) -> tuple[User, WebSession] | None:
    """The analyst and web session a session cookie stands for; None when unknown or expired
    (idle for ``TRACKER_WEB_SESSION_IDLE_MINUTES`` or older than ``TRACKER_WEB_SESSION_HOURS``)."""
    return auth.session_user(session, secret, utcnow(), auth.SessionLimits.of(settings))
