"""Password reset: a single-use link that expires after an hour; the reset ends every session.

The answer to a request never says whether the e-mail is known: `request_reset` returns the
clear token only to the door that sends the e-mail, and the door answers the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..accounts import passwords
from ..accounts.models import ApiToken, User, new_session_token
from ..accounts.services import find_by_email
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import RuleViolation
from ..i18n import N_
from . import rules
from .models import PasswordReset

# Requests beyond this per user and hour are answered the same but send nothing: the per-IP
# limiter stops floods from one address, this stops a mailbox being flooded from many.
MAX_REQUESTS_PER_HOUR = 3


@dataclass(frozen=True)
class ResetRequest:
    user: User
    token: str


def end_all_sessions(session: Session, user: User) -> None:
    """Inside the caller's transaction: every login cookie and every API token of `user` stops
    working (the session token is part of the cookie, see accounts.models.User.session_token)."""
    user.session_token = new_session_token()
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def request_reset(session: Session, email: str, *, now: datetime | None = None) -> ResetRequest | None:
    """Create a reset link for an active user, or None (unknown, inactive, too many requests)."""
    now = now or utcnow()
    user = find_by_email(session, email or "")
    if user is None or not user.is_active:
        return None
    recent = session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.created_at > now - rules.RESET_LIFETIME)
    )
    if (recent or 0) >= MAX_REQUESTS_PER_HOUR:
        return None
    clear, digest = rules.new_link_token()
    with transaction(session):
        reset = PasswordReset(
            user_id=user.id, token_hash=digest, created_at=now, expires_at=now + rules.RESET_LIFETIME
        )
        session.add(reset)
        session.flush()
        record(session, None, "user.password_reset_request", "user", user.id)
    return ResetRequest(user, clear)


def find_valid_reset(session: Session, token: str, now: datetime | None = None) -> PasswordReset | None:
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == rules.hash_token(token)))
    if reset is None or not rules.is_usable(reset.expires_at, reset.used_at, now or utcnow()):
        return None
    if not reset.user.is_active:
        return None
    return reset


def password_field_problems(password: str, email: str, min_length: int) -> dict[str, list[str]]:
    problems = passwords.password_problems(password or "", min_length=min_length, email=email)
    return {"password": problems} if problems else {}


def confirm_reset(
    session: Session, token: str, new_password: str, *, min_length: int, now: datetime | None = None
) -> User:
    """Set the new password, spend the link (and any other of the user's links), end all sessions."""
    now = now or utcnow()
    reset = find_valid_reset(session, token or "", now)
    if reset is None:
        raise RuleViolation(
            N_("This link is invalid or has expired."),
            {"token": [N_("This link is invalid or has expired. Ask for a new one.")]},
        )
    user = reset.user
    problems = password_field_problems(new_password, user.email, min_length)
    if problems:
        raise RuleViolation(N_("The password is not acceptable."), problems)
    with transaction(session):
        # A conditional UPDATE spends the link: of two simultaneous uses, only one changes a row.
        spent = session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        if not spent.rowcount:  # type: ignore[attr-defined]  # a CursorResult: DML returns one
            raise RuleViolation(
                N_("This link is invalid or has expired."),
                {"token": [N_("This link is invalid or has expired. Ask for a new one.")]},
            )
        user.password_hash = passwords.hash_password(new_password)
        end_all_sessions(session, user)
        record(session, user.id, "user.password_reset", "user", user.id)
    return user
