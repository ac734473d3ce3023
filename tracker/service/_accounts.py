"""Use cases on who may change things: analysts' accounts, API tokens and web sign-ins.

Every change to users and tokens is written to the audit log (:mod:`tracker.domain.auth`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from tracker.clock import utcnow
from tracker.domain import auth
from tracker.domain.auth import TokenRow
from tracker.models import ApiToken, User, WebSession


def add_user(session: Session, name: str, password: str, *, actor: str) -> User:
    """Create an analyst account (name and password checked; the password stored as argon2id)."""
    return auth.add_user(session, name, password, actor=actor)


def set_user_active(session: Session, name: str, active: bool, *, actor: str) -> User:
    """Enable or disable an account; a disabled one's sessions and tokens stop working at once."""
    return auth.set_active(session, name, active, actor=actor)


def list_users(session: Session) -> list[User]:
    return auth.list_users(session)


def create_token(
    session: Session, name: str, *, user: str | None = None, actor: str
) -> tuple[ApiToken, str]:
    """A new API token acting as ``user`` (default: the user called ``name``); returns the row
    and the secret, which is shown once and never stored."""
    return auth.create_token(session, name, user or name, actor=actor)


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


def sign_in(session: Session, name: str, password: str, *, lifetime: timedelta) -> SignedIn:
    """Check a name and password and start a new web session (never an old one: no fixation)."""
    user = auth.authenticate(session, name, password)
    secret, web_session = auth.start_session(session, user, lifetime=lifetime)
    return SignedIn(user, secret, web_session)


def sign_out(session: Session, secret: str) -> None:
    """End the web session whose cookie holds ``secret``."""
    auth.end_session(session, secret)


def token_user(session: Session, secret: str) -> User:
    """The active analyst an API token acts as (a BadCredentialsError otherwise)."""
    return auth.user_for_token(session, secret, utcnow())


def session_user(session: Session, secret: str) -> tuple[User, WebSession] | None:
    """The analyst and web session a session cookie stands for; None when unknown or expired."""
    return auth.session_user(session, secret, utcnow())
