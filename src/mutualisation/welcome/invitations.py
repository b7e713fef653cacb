"""Invitations: the way people join instead of a password typed by an admin.

Who may invite whom is `rules.may_invite`; this module checks it, for the web, the API and the
join requests alike. The invitee chooses their name, organisation and password from the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts import passwords
from ..accounts.models import User
from ..accounts.services import find_by_email, normalise_email
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import NotFound, PermissionDenied, RuleViolation
from ..i18n import N_
from ..territories.models import Territory
from ..territories.services import COMMUNES_AND_EPCIS, SEVERAL_COMMUNES, UNKNOWN_COMMUNE, resolve
from . import rules
from .models import Invitation, TerritoryProfile

INVITATION_LIFETIME = timedelta(days=14)


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str


def territory_by_code(session: Session, code: str) -> Territory:
    """The territory an invitation or a join request names: by code, or as any commune field
    reads it (a name, a postcode), through the territories' one resolver."""
    found = resolve(session, code or "", kinds=COMMUNES_AND_EPCIS)
    if len(found) > 1:
        raise RuleViolation(N_("Unknown territory."), {"territory": [SEVERAL_COMMUNES]})
    if not found:
        raise RuleViolation(N_("Unknown territory."), {"territory": [UNKNOWN_COMMUNE]})
    return found[0]


def check_email(session: Session, email: str) -> str:
    email = normalise_email(email or "")
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise RuleViolation(
            N_("The invitation cannot be sent."), {"email": [N_("Enter a valid e-mail address.")]}
        )
    if find_by_email(session, email) is not None:
        raise RuleViolation(
            N_("The invitation cannot be sent."), {"email": [N_("This person already has an account.")]}
        )
    return email


def require_may_invite(acting: User | None, role: str, territory: Territory) -> None:
    if acting is None or not acting.is_active:
        raise PermissionDenied(N_("You are not allowed to invite."))
    if role not in (*rules.STAFF, rules.ACTOR):
        raise RuleViolation(N_("Unknown role."), {"role": [N_("Unknown role.")]})
    if not rules.may_invite(acting.role, acting.territory_id, role, territory.id):
        raise PermissionDenied(N_("You may not invite this role for this territory."))


def invite(
    session: Session,
    acting: User | None,
    *,
    email: str,
    role: str,
    territory_code: str,
    now: datetime | None = None,
) -> NewInvitation:
    """Invite someone; the clear token goes only into the e-mail."""
    now = now or utcnow()
    territory = territory_by_code(session, territory_code)
    require_may_invite(acting, role, territory)
    email = check_email(session, email)
    clear, digest = rules.new_link_token()
    with transaction(session):
        invitation = add_invitation(session, acting, email, role, territory, digest, now)
    return NewInvitation(invitation, clear)


def add_invitation(session, acting, email, role, territory, digest, now) -> Invitation:
    """Inside the caller's transaction (a join request's acceptance reuses it)."""
    invitation = Invitation(
        email=email,
        role=role,
        territory=territory,
        invited_by_id=acting.id if acting else None,
        token_hash=digest,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    record(
        session,
        acting.id if acting else None,
        "invitation.create",
        "invitation",
        invitation.id,
        role=role,
        territory=territory.code,
    )
    return invitation


def open_space(session: Session, territory: Territory, now: datetime) -> TerritoryProfile:
    """The territory's space in the network (its page's presentation); created once."""
    profile = session.get(TerritoryProfile, territory.id)
    if profile is None:
        profile = TerritoryProfile(territory_id=territory.id, presentation="", opened_at=now)
        session.add(profile)
    return profile


def _visible_query(acting: User):
    query = select(Invitation)
    if acting.role != rules.ADMIN:
        query = query.where(Invitation.territory_id == acting.territory_id)
    return query


def list_invitations(
    session: Session, acting: User | None, *, page: int = 1, per_page: int = 20
) -> tuple[list[Invitation], int]:
    """The facilitator sees all invitations; territory staff see their territory's."""
    if acting is None or acting.role not in (rules.ADMIN, *rules.STAFF):
        raise PermissionDenied(N_("You are not allowed to see invitations."))
    query = _visible_query(acting)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def revoke(
    session: Session, acting: User | None, invitation_id: int, now: datetime | None = None
) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or acting is None:
        raise NotFound(N_("This invitation does not exist."))
    if acting.role != rules.ADMIN and (
        acting.role not in rules.STAFF or invitation.territory_id != acting.territory_id
    ):
        raise NotFound(N_("This invitation does not exist."))  # other territories: not even "exists"
    if invitation.accepted_at is not None:
        raise RuleViolation(N_("This invitation was already accepted."), {})
    if invitation.revoked_at is None:
        with transaction(session):
            invitation.revoked_at = now or utcnow()
            record(session, acting.id, "invitation.revoke", "invitation", invitation.id)
    return invitation


def find_pending(session: Session, token: str, now: datetime | None = None) -> Invitation | None:
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == rules.hash_token(token or ""))
    )
    if invitation is None or invitation.status(now or utcnow()) != "pending":
        return None
    return invitation


def accept(
    session: Session,
    token: str,
    *,
    name: str,
    organisation: str,
    password: str,
    job_title: str = "",
    min_length: int = 10,
    now: datetime | None = None,
) -> User:
    """The invitee creates their account from the link: one user, the invitation spent."""
    now = now or utcnow()
    invitation = find_pending(session, token, now)
    if invitation is None:
        raise RuleViolation(
            N_("This invitation is invalid, expired or revoked."),
            {"token": [N_("This invitation is invalid, expired or revoked.")]},
        )
    fields: dict[str, list[str]] = {}
    if not (name or "").strip():
        fields["name"] = [N_("Enter your name.")]
    problems = passwords.password_problems(password or "", min_length=min_length, email=invitation.email)
    if problems:
        fields["password"] = problems
    if find_by_email(session, invitation.email) is not None:
        fields["email"] = [N_("This person already has an account.")]
    if fields:
        raise RuleViolation(N_("Your account cannot be created yet."), fields)
    with transaction(session):
        user = User(
            email=invitation.email,
            name=name.strip()[:200],
            organisation=(organisation or "").strip()[:200],
            job_title=(job_title or "").strip()[:200],
            role=invitation.role,
            territory_id=invitation.territory_id,
            password_hash=passwords.hash_password(password),
            last_login_at=now,
        )
        session.add(user)
        session.flush()
        invitation.accepted_at = now
        invitation.user_id = user.id
        open_space(session, invitation.territory, now)
        record(session, user.id, "invitation.accept", "invitation", invitation.id)
        record(session, user.id, "user.create", "user", user.id, role=user.role, via="invitation")
    return user
