"""Analysts' accounts, API tokens and web sessions: who may change things.

- Passwords are hashed with argon2id (``argon2-cffi``, RFC 9106 parameters, salt and
  parameters kept in the PHC string); a hash made with older parameters is upgraded on the
  next successful sign-in.  An unknown name costs the same verification as a wrong password,
  so response time does not tell which names exist.
- API tokens and session cookies are 256-bit random secrets.  Only their SHA-256 is stored:
  a secret that random cannot be guessed from its hash, so a slow password hash would add
  nothing but latency to every request, and the hash lets us look the row up by index.
- A web session is a row, not a signed cookie: signing out, or revoking a user, ends it
  server-side at once.  Each session carries its own CSRF token (synchronizer pattern).

Every change to users and tokens is written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, select

from tracker.clock import utcnow
from tracker.domain import audit
from tracker.errors import BadCredentialsError, ConflictError, InvalidInputError, NotFoundError
from tracker.models import ApiToken, User, WebSession

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
TOKEN_PREFIX = "trk_"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
TOKEN_USE_RESOLUTION = timedelta(minutes=5)

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("a password nobody has")


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


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            "password", f"too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(
            "password", f"too long: use at most {MAX_PASSWORD_LENGTH} characters"
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
    check_password(password)
    if session.exec(select(col(User.id)).where(col(User.name) == name)).first() is not None:
        raise ConflictError("user", name, "choose another name")
    user = User(name=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="user", entity_id=name)
    return user


def set_active(session: Session, name: str, active: bool, *, actor: str) -> User:
    """Enable or disable an account; a disabled user's sessions and tokens stop working at once."""
    user = get_user(session, name)
    if user.active != active:
        user.active = active
        session.add(user)
        audit.record(
            session,
            actor=actor,
            action="enable" if active else "disable",
            entity="user",
            entity_id=name,
        )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))))


def authenticate(session: Session, name: str, password: str) -> User:
    """The active user with this name and password, or :class:`BadCredentialsError`."""
    user = session.exec(select(User).where(col(User.name) == name.strip())).first()
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise BadCredentialsError("wrong user name or password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    session.add(user)
    return user


# --- API tokens --------------------------------------------------------------------------------


def create_token(
    session: Session, name: str, user_name: str, *, actor: str
) -> tuple[ApiToken, str]:
    """A new token for ``user_name``; returns the row and the secret, which is never stored."""
    name = _check_name("token", name)
    user = get_user(session, user_name)
    if session.exec(select(col(ApiToken.id)).where(col(ApiToken.name) == name)).first() is not None:
        raise ConflictError(
            "token", name, "choose another name, or revoke the old one (`tracker tokens revoke`)"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None  # a stored row
    token = ApiToken(name=name, user_id=user.id, token_hash=_digest(secret), prefix=secret[:10])
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="token",
        entity_id=name,
        detail={"user": user.name},
    )
    return token, secret


@dataclass
class TokenRow:
    name: str
    user: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_tokens(session: Session) -> list[TokenRow]:
    rows = session.exec(select(ApiToken, col(User.name)).join(User).order_by(col(ApiToken.name)))
    return [
        TokenRow(t.name, user, t.prefix, t.created_at, t.last_used_at, t.revoked_at)
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
    if token.revoked_at is not None:
        raise BadCredentialsError(f"the API token {token.name!r} was revoked; create a new one")
    if not user.active:
        raise BadCredentialsError(f"the API token {token.name!r} belongs to a disabled user")
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        token.last_used_at = now  # written at most every few minutes, not on every request
        session.add(token)
    return user


# --- web sessions ------------------------------------------------------------------------------


def start_session(session: Session, user: User, *, lifetime: timedelta) -> tuple[str, WebSession]:
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
        expires_at=now + lifetime,
    )
    session.add(row)
    return secret, row


def session_user(session: Session, secret: str, now: datetime) -> tuple[User, WebSession] | None:
    """The user and session a cookie stands for; None when it is unknown, expired or the user
    disabled."""
    row = session.exec(
        select(WebSession, User).join(User).where(col(WebSession.id_hash) == _digest(secret))
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.expires_at <= now or not user.active:
        return None
    return user, web_session


def end_session(session: Session, secret: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.id_hash) == _digest(secret)))


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    return given is not None and hmac.compare_digest(
        given.encode("utf-8"), expected.encode("utf-8")
    )
