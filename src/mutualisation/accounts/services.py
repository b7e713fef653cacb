"""Account use cases: authentication, users, API tokens. Each commits once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, joinedload

from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import NotFound, RuleViolation, Unauthorized
from ..i18n import N_
from ..territories.models import Territory
from . import passwords
from .models import ROLES, ApiToken, User, new_session_token
from .permissions import require

TOKEN_PREFIX = "mut_"  # noqa: S105 - a public prefix, not a secret


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    allow_demo: bool = False


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("This user does not exist."))
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def load_session_user(session: Session, login_id: str) -> User | None:
    """Flask-Login's loader: the cookie holds `<id>:<session token>`; a rotated token logs out."""
    user_id, _, token = login_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """Return the user, or raise Unauthorized with the same message whatever was wrong."""
    user = find_by_email(session, email)
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)  # same cost as a real check
        raise Unauthorized(N_("Wrong e-mail or password."))
    if not passwords.verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthorized(N_("Wrong e-mail or password."))
    with transaction(session):
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        user.last_login_at = utcnow()
        record(session, user.id, "user.login", "user", user.id)
    return user


def logout(session: Session, user: User) -> None:
    """Rotate the session token so that every copy of the old cookie stops working."""
    with transaction(session):
        user.session_token = new_session_token()
        record(session, user.id, "user.logout", "user", user.id)


def _check_password(password: str, email: str, policy: PasswordPolicy) -> None:
    problems = passwords.password_problems(
        password, min_length=policy.min_length, email=email, allow_demo=policy.allow_demo
    )
    if problems:
        raise RuleViolation(N_("The password is not acceptable."), {"password": problems})


def _territory_by_code(session: Session, code: str) -> Territory:
    territory = session.scalar(select(Territory).where(Territory.code == code.strip()))
    if territory is None:
        raise RuleViolation(N_("Unknown territory."), {"territory": [N_("Unknown territory code.")]})
    return territory


def create_user(
    session: Session,
    acting: User | None,
    *,
    email: str,
    password: str,
    role: str,
    territory_code: str,
    name: str = "",
    organisation: str = "",
    policy: PasswordPolicy = PasswordPolicy(),
) -> User:
    """Create a user. `acting` is None only for the CLI and the demo loader (trusted callers)."""
    if acting is not None:
        require(acting, "users:manage")
    email = normalise_email(email)
    fields: dict[str, list[str]] = {}
    if "@" not in email or len(email) > 254:
        fields["email"] = [N_("Enter a valid e-mail address.")]
    if role not in ROLES:
        fields["role"] = [N_("Unknown role.")]
    if fields:
        raise RuleViolation(N_("The user cannot be created."), fields)
    _check_password(password, email, policy)
    territory = _territory_by_code(session, territory_code)
    if find_by_email(session, email) is not None:
        raise RuleViolation(
            N_("The user cannot be created."), {"email": [N_("This e-mail is already used.")]}
        )
    with transaction(session):
        user = User(
            email=email,
            name=name.strip(),
            organisation=organisation.strip(),
            role=role,
            territory=territory,
            password_hash=passwords.hash_password(password),
        )
        session.add(user)
        session.flush()
        record(session, acting.id if acting else None, "user.create", "user", user.id, role=role)
    return user


def change_password(
    session: Session, user: User, current: str, new: str, policy: PasswordPolicy = PasswordPolicy()
) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise RuleViolation(
            N_("The password was not changed."), {"current_password": [N_("Wrong password.")]}
        )
    _check_password(new, user.email, policy)
    with transaction(session):
        user.password_hash = passwords.hash_password(new)
        user.session_token = new_session_token()  # other sessions end with the old password
        revoked = _revoke_all_tokens(session, user)
        record(session, user.id, "user.password_change", "user", user.id, tokens_revoked=revoked)


def _revoke_all_tokens(session: Session, user: User) -> int:
    """A changed password is often a leaked one: API tokens made with it end too."""
    result = cast(
        CursorResult[Any],
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ),
    )
    return int(result.rowcount or 0)


def set_locale(session: Session, user: User, locale: str, languages: list[str]) -> None:
    if locale not in languages:
        raise RuleViolation(N_("Unknown language."), {"locale": [N_("Unknown language.")]})
    with transaction(session):
        user.locale = locale
        record(session, user.id, "user.locale", "user", user.id, locale=locale)


def update_user(
    session: Session, acting: User, user_id: int, *, role: str | None = None, active: bool | None = None
) -> User:
    """Admin: change a user's role or (de)activate them. Deactivating also ends their sessions."""
    require(acting, "users:manage")
    user = get_user(session, user_id)
    if role is not None and role not in ROLES:
        raise RuleViolation(N_("Unknown role."), {"role": [N_("Unknown role.")]})
    if user.id == acting.id and (active is False or (role is not None and role != user.role)):
        raise RuleViolation(
            N_("You cannot deactivate or re-role yourself."), {"role": [N_("Not for yourself.")]}
        )
    with transaction(session):
        changes: dict[str, object] = {}
        if role is not None and role != user.role:
            changes["role"] = [user.role, role]
            user.role = role
        if active is not None and active != user.is_active:
            changes["is_active"] = [user.is_active, active]
            user.is_active = active
            user.session_token = new_session_token()
        if changes:
            record(session, acting.id, "user.update", "user", user.id, **changes)
    return user


def list_users(session: Session, acting: User, *, page: int, per_page: int) -> tuple[list[User], int]:
    require(acting, "users:manage")
    total = session.scalar(select(func.count()).select_from(User)) or 0
    users = session.scalars(
        select(User).order_by(User.email).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(users), total


# API tokens -----------------------------------------------------------------


def _hash_token(token: str) -> str:
    # Tokens are 256-bit random: a fast hash is enough, unlike passwords.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    name = name.strip()[:100] or "API"
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(session):
        token = ApiToken(user_id=user.id, name=name, token_hash=_hash_token(clear), prefix=clear[:12])
        session.add(token)
        session.flush()
        record(session, user.id, "token.create", "api_token", token.id, name=name)
    return token, clear


def revoke_token(session: Session, user: User, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(N_("This token does not exist."))
    if token.revoked_at is not None:
        return
    with transaction(session):
        token.revoked_at = utcnow()
        record(session, user.id, "token.revoke", "api_token", token.id)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def user_for_token(session: Session, clear: str) -> User:
    # The user comes in the same query: this runs on every API request.
    token = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == _hash_token(clear.strip()))
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise Unauthorized(N_("Invalid or revoked token."))
    return token.user
