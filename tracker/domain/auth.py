"""Analysts' accounts, API tokens and web sessions: who may change things.

- Passwords are hashed with argon2id (``argon2-cffi``, RFC 9106 parameters, salt and
  parameters kept in the PHC string); a hash made with older parameters is upgraded on the
  next successful sign-in.  An unknown name costs the same verification as a wrong password,
  so response time does not tell which names exist.
- API tokens and session cookies are 256-bit random secrets.  Only their SHA-256 is stored:
  a secret that random cannot be guessed from its hash, so a slow password hash would add
  nothing but latency to every request, and the hash lets us look the row up by index.
- A web session is a row, not a signed cookie: signing out, or revoking a user, ends it
  server-side at once.  Each session carries its own CSRF token (synchronizer pattern).  Its
  ``expires_at`` slides with use (the idle limit), never past the absolute limit.
- API tokens expire (``expires_at``); disabling a user deletes its sessions and revokes its
  tokens, so enabling it again brings none of them back.
- Passwords must be at least 10 characters, not all digits, not the user's name, and hard to
  guess by zxcvbn's estimate (score 3 of 4: about 10^8 guesses or more).  zxcvbn knows the
  common passwords, names, words, keyboard walks, dates and l33t substitutions; a list of our
  own would know far fewer.

Every change to users and tokens, every sign-in, failed sign-in (with its reason) and sign-out
is written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult
from sqlmodel import Session, col, delete, select, update

from tracker.clock import utcnow
from tracker.domain import audit
from tracker.errors import BadCredentialsError, ConflictError, InvalidInputError, NotFoundError
from tracker.models import ApiToken, User, WebSession

if TYPE_CHECKING:
    from tracker.settings import Settings

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
TOKEN_PREFIX = "trk_"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
#: zxcvbn's score a password needs (0-4; 3: "safely unguessable", about 10^8 guesses or more)
MIN_PASSWORD_SCORE = 3
TOKEN_USE_RESOLUTION = timedelta(minutes=5)
#: a session's expiry is moved forward at most this often (not a write on every request)
SESSION_SLIDE_RESOLUTION = timedelta(minutes=1)
#: how long a sign-in waits for a free password-check slot before it is answered 429 (busy)
SIGN_IN_WAIT_S = 3.0
#: an API token's lifetime when none is given (the default of ``TRACKER_API_TOKEN_DAYS``)
DEFAULT_TOKEN_DAYS = 90
#: the longest an API token may be made to work
MAX_TOKEN_LIFETIME = timedelta(days=3650)

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """The hash an unknown name is checked against: same parameters, same cost as a real one."""
    return _hasher.hash("a password nobody has")


def prepare() -> None:
    """Make the dummy hash now (at start-up), so the first unknown name costs no extra hash."""
    _dummy_hash()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_name(kind: str, name: str) -> str:
    name = name.strip()
    if not USER_NAME.match(name):
        raise InvalidInputError(
            "name",
            f"{kind} name {name!r} is not allowed: use 1-100 letters, digits, '.', '_', '@' or "
            "'-', "
            "starting with a letter or digit",
        )
    return name


def check_password(password: str, user_name: str = "") -> None:
    """Refuse a password that is short, all digits, the user's name, or easy to guess."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            "password", f"too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(
            "password", f"too long: use at most {MAX_PASSWORD_LENGTH} characters"
        )
    if password.isdigit():
        raise InvalidInputError("password", "only digits: use words, or letters and digits")
    if user_name and user_name.casefold() in password.casefold():
        raise InvalidInputError("password", "it contains the user name: choose another")
    _check_strength(password, user_name)


def _check_strength(password: str, user_name: str) -> None:
    from zxcvbn import zxcvbn  # imported where used: its dictionaries are only needed here

    # zxcvbn's run time grows with length; its first 100 characters are plenty to judge
    result = zxcvbn(password[:100], user_inputs=[user_name] if user_name else [])
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = (result["feedback"]["warning"] or "it is easy to guess").rstrip(".")
        raise InvalidInputError(
            "password",
            f"too easy to guess ({warning[0].lower() + warning[1:]}); "
            "use a longer phrase of uncommon words",
        )


# --- users -------------------------------------------------------------------------------------


def get_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(col(User.name) == name)).first()
    if user is None:
        raise NotFoundError(
            "user", name, "see `tracker users list`, or create it with `tracker users add NAME`"
        )
    return user


def add_user(session: Session, name: str, password: str, *, actor: str) -> User:
    name = _check_name("user", name)
    if session.exec(select(col(User.id)).where(col(User.name) == name)).first() is not None:
        raise ConflictError("user", name, "choose another name")
    check_password(password, name)
    user = User(name=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="user", entity_id=name)
    return user


def set_active(session: Session, name: str, active: bool, *, actor: str) -> User:
    """Enable or disable an account.  Disabling deletes its web sessions and revokes its API
    tokens, so that enabling it again brings none of them back: it signs in afresh and gets new
    tokens."""
    user = get_user(session, name)
    if user.active != active:
        user.active = active
        session.add(user)
        ended = {} if active else _end_everything(session, user, tokens=True)
        audit.record(
            session,
            actor=actor,
            action="enable" if active else "disable",
            entity="user",
            entity_id=name,
            detail=ended or None,
        )
    return user


def set_password(
    session: Session, name: str, password: str, *, actor: str, revoke_tokens: bool = False
) -> dict[str, int]:
    """A new password for ``name``.  Every web session of the user ends (whoever knew the old
    password is signed out); API tokens stay unless ``revoke_tokens``: they are secrets of
    their own, made by an operator, not derived from the password."""
    user = get_user(session, name)
    check_password(password, user.name)
    user.password_hash = hash_password(password)
    session.add(user)
    ended = _end_everything(session, user, tokens=revoke_tokens)
    audit.record(
        session,
        actor=actor,
        action="password_change",
        entity="user",
        entity_id=user.name,
        detail=ended,
    )
    return ended


def sign_out_everywhere(
    session: Session, name: str, *, actor: str, revoke_tokens: bool = False
) -> dict[str, int]:
    """End every web session of ``name`` (and revoke its API tokens if ``revoke_tokens``)."""
    user = get_user(session, name)
    ended = _end_everything(session, user, tokens=revoke_tokens)
    audit.record(
        session,
        actor=actor,
        action="sign_out_everywhere",
        entity="user",
        entity_id=user.name,
        detail=ended,
    )
    return ended


def _end_everything(session: Session, user: User, *, tokens: bool) -> dict[str, int]:
    """Delete the user's web sessions (and revoke its live tokens); the counts, for the log."""
    sessions: CursorResult[tuple[()]] = session.exec(
        delete(WebSession).where(col(WebSession.user_id) == user.id)
    )
    ended = {"sessions_ended": sessions.rowcount}
    if tokens:
        revoked: CursorResult[tuple[()]] = session.exec(
            update(ApiToken)
            .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )
        ended["tokens_revoked"] = revoked.rowcount
    return ended


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))))


@dataclass(frozen=True)
class Credentials:
    """What a sign-in checks a password against, read in a short transaction of its own so
    that no transaction is held open while the password is hashed."""

    name: str
    user_id: int | None  # None: no user has this name
    password_hash: str | None
    active: bool


def credentials(session: Session, name: str) -> Credentials:
    user = session.exec(select(User).where(col(User.name) == name.strip())).first()
    if user is None:
        return Credentials(name.strip(), None, None, False)
    return Credentials(user.name, user.id, user.password_hash, user.active)


def check_credentials(found: Credentials, password: str) -> None:
    """:class:`BadCredentialsError` unless ``password`` is the active user's.

    Every path verifies one argon2 hash (an unknown name against :func:`_dummy_hash`, a
    disabled user against its own), and every failure has the same message: neither the answer
    nor its time tells which names exist.  The error's ``reason`` is for the audit log only.
    """
    reason = "unknown_user" if found.user_id is None else "" if found.active else "disabled"
    try:
        _hasher.verify(found.password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        reason = reason or "wrong_password"
    if reason:
        raise BadCredentialsError("wrong user name or password", reason=reason)


def signed_in(session: Session, found: Credentials, password: str) -> User:
    """The user whose credentials were checked, its sign-in time set (and its hash upgraded if
    made with older parameters)."""
    user = session.get(User, found.user_id)
    if user is None or not user.active or user.password_hash != found.password_hash:
        # removed, disabled or given a new password while the password was being checked
        raise BadCredentialsError("wrong user name or password", reason="changed")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    session.add(user)
    return user


def authenticate(session: Session, name: str, password: str) -> User:
    """The active user with this name and password, or :class:`BadCredentialsError` (the three
    steps above in one transaction)."""
    found = credentials(session, name)
    check_credentials(found, password)
    return signed_in(session, found, password)


def record_sign_in(
    session: Session, name: str, address: str, *, failure: str | None = None
) -> None:
    """An audit entry for a sign-in, or for a failed one with its ``failure`` reason
    (``unknown_user``, ``wrong_password``, ``disabled``, ``throttled``, ``busy``, ``changed``)."""
    name = name.strip()[:100]
    detail: dict[str, str] = {"address": address[:100]}
    if failure:
        detail["reason"] = failure
    audit.record(
        session,
        actor=name if failure is None else "anonymous",
        action="sign_in" if failure is None else "sign_in_failed",
        entity="user",
        entity_id=name,
        detail=detail,
    )


# --- API tokens --------------------------------------------------------------------------------


def create_token(
    session: Session, name: str, user_name: str, *, expires_at: datetime, actor: str
) -> tuple[ApiToken, str]:
    """A new token for ``user_name`` that works until ``expires_at``; returns the row and the
    secret, which is never stored."""
    name = _check_name("token", name)
    user = get_user(session, user_name)
    if session.exec(select(col(ApiToken.id)).where(col(ApiToken.name) == name)).first() is not None:
        raise ConflictError(
            "token", name, "choose another name, or revoke the old one (`tracker tokens revoke`)"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None  # a stored row
    token = ApiToken(
        name=name,
        user_id=user.id,
        token_hash=_digest(secret),
        prefix=secret[:10],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="token",
        entity_id=name,
        detail={"user": user.name, "expires": expires_at.isoformat(timespec="seconds")},
    )
    return token, secret


_LIFETIME = re.compile(r"^\s*(\d{1,6})\s*([hd])\s*$", re.IGNORECASE)


def token_expiry(expires: str | None, now: datetime, default_days: int) -> datetime:
    """When a token made ``now`` stops working: ``expires`` as a lifetime (``90d``, ``12h``) or
    a day (``2027-06-30``, the end of that UTC day); ``None``: ``default_days``."""
    if expires is None:
        return now + timedelta(days=default_days)
    match = _LIFETIME.match(expires)
    if match:
        count, unit = int(match.group(1)), match.group(2).lower()
        when = now + (timedelta(days=count) if unit == "d" else timedelta(hours=count))
    else:
        try:
            day = date.fromisoformat(expires.strip())
        except ValueError:
            raise InvalidInputError(
                "expires",
                f"{expires[:40]!r} is not a lifetime or a day: write 90d, 12h or 2027-06-30",
            ) from None
        when = datetime.combine(day, time.max, tzinfo=now.tzinfo)
    if not now < when <= now + MAX_TOKEN_LIFETIME:
        raise InvalidInputError(
            "expires",
            f"{expires!r} must be in the future and at most {MAX_TOKEN_LIFETIME.days} days away",
        )
    return when


@dataclass
class TokenRow:
    name: str
    user: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime


def list_tokens(session: Session) -> list[TokenRow]:
    rows = session.exec(select(ApiToken, col(User.name)).join(User).order_by(col(ApiToken.name)))
    return [
        TokenRow(t.name, user, t.prefix, t.created_at, t.last_used_at, t.revoked_at, t.expires_at)
        for t, user in rows
    ]


def revoke_token(session: Session, name: str, *, actor: str) -> ApiToken:
    token = session.exec(select(ApiToken).where(col(ApiToken.name) == name)).first()
    if token is None:
        raise NotFoundError("token", name, "see `tracker tokens list`")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        audit.record(session, actor=actor, action="revoke", entity="token", entity_id=name)
    return token


def user_for_token(session: Session, secret: str, now: datetime) -> User:
    """The active user a bearer token acts for, or :class:`BadCredentialsError`."""
    row = session.exec(
        select(ApiToken, User).join(User).where(col(ApiToken.token_hash) == _digest(secret))
    ).first()
    if row is None:
        raise BadCredentialsError(
            "unknown API token; create one with `tracker tokens create NAME --user USER`"
        )
    token, user = row
    if not user.active:
        raise BadCredentialsError(f"the API token {token.name!r} belongs to a disabled user")
    if token.revoked_at is not None:
        raise BadCredentialsError(f"the API token {token.name!r} was revoked; create a new one")
    if token.expires_at <= now:
        raise BadCredentialsError(
            f"the API token {token.name!r} expired at {token.expires_at:%Y-%m-%d %H:%M} UTC; "
            "create a new one"
        )
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        token.last_used_at = now  # written at most every few minutes, not on every request
        session.add(token)
    return user


# --- web sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionLimits:
    """How long a web sign-in lasts: ``idle`` without a request, ``absolute`` at most."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SessionLimits:
        return cls(
            idle=timedelta(minutes=settings.web_session_idle_minutes),
            absolute=timedelta(hours=settings.web_session_hours),
        )

    def expiry(self, created_at: datetime, now: datetime) -> datetime:
        """The session's end if it is used ``now``: idle time from now, capped by its start."""
        return min(now + self.idle, created_at + self.absolute)


def start_session(session: Session, user: User, *, limits: SessionLimits) -> tuple[str, WebSession]:
    """A new session for ``user`` (expired ones of that user are dropped); returns the cookie
    secret."""
    now = utcnow()
    session.exec(
        delete(WebSession).where(
            col(WebSession.user_id) == user.id, col(WebSession.expires_at) <= now
        )
    )
    secret = secrets.token_urlsafe(32)
    assert user.id is not None  # a stored row
    row = WebSession(
        id_hash=_digest(secret),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=limits.expiry(now, now),
    )
    session.add(row)
    return secret, row


def session_user(
    session: Session, secret: str, now: datetime, limits: SessionLimits
) -> tuple[User, WebSession] | None:
    """The user and session a cookie stands for; None when it is unknown, expired (idle or
    past its absolute limit) or the user disabled.  A live session's expiry moves forward."""
    row = session.exec(
        select(WebSession, User).join(User).where(col(WebSession.id_hash) == _digest(secret))
    ).first()
    if row is None:
        return None
    web_session, user = row
    # both limits, checked here too: settings may have been shortened since the row was written
    if min(web_session.expires_at, limits.expiry(web_session.created_at, now)) <= now:
        return None
    if not user.active:
        return None
    later = limits.expiry(web_session.created_at, now)
    if later - web_session.expires_at >= SESSION_SLIDE_RESOLUTION:
        web_session.expires_at = later
        session.add(web_session)
    return user, web_session


def end_session(session: Session, secret: str) -> str | None:
    """Delete the session the cookie stands for; the name of its user, if there was one."""
    row = session.exec(
        select(WebSession, col(User.name))
        .join(User)
        .where(col(WebSession.id_hash) == _digest(secret))
    ).first()
    if row is None:
        return None
    web_session, name = row
    session.delete(web_session)
    audit.record(session, actor=name, action="sign_out", entity="user", entity_id=name)
    return name


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    return given is not None and hmac.compare_digest(
        given.encode("utf-8"), expected.encode("utf-8")
    )
