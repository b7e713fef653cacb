"""Join requests: a commune or an EPCI new to the network, or a local actor of a member territory.

A request for a territory without staff goes to the facilitator; accepting it opens the
territory's space and invites the contact as its first technician. A request for a member
territory is a local actor's: its officials and technicians (or the facilitator) decide.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, RuleViolation
from ..i18n import N_
from ..notifications import kinds
from ..notifications.services import notify
from . import rules
from .invitations import NewInvitation, add_invitation, check_email, open_space, territory_by_code
from .models import JoinRequest

JOIN_KIND = "join_request.received"
# Declared by welcome/domain.py; create_app adds it to the notification kinds.
JOIN_NOTICE = kinds.Kind(JOIN_KIND, _l("Someone asks to join the network"), kinds.IMMEDIATE, True)

MAX_MOTIVATION = 4000


def has_staff(session: Session, territory_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    User.territory_id == territory_id, User.is_active.is_(True), User.role.in_(rules.STAFF)
                )
            )
        )
    )


def submit(
    session: Session,
    *,
    territory_code: str,
    name: str,
    email: str,
    motivation: str,
    now: datetime | None = None,
) -> JoinRequest:
    """Public: anyone may ask. Field problems come back together."""
    fields: dict[str, list[str]] = {}
    try:
        territory = territory_by_code(session, territory_code)
    except RuleViolation as exc:
        territory, fields = None, dict(exc.fields)
    if not (name or "").strip() or len(name) > 200:
        fields["name"] = [N_("Enter your name.")]
    if not (motivation or "").strip() or len(motivation) > MAX_MOTIVATION:
        fields["motivation"] = [N_("Tell us in a few words why you want to join.")]
    try:
        email = check_email(session, email)
    except RuleViolation as exc:
        fields.update(exc.fields)
    if fields or territory is None:
        raise RuleViolation(N_("The request cannot be sent."), fields)
    with transaction(session):
        request = JoinRequest(
            territory=territory,
            name=name.strip(),
            email=email,
            motivation=motivation.strip(),
            role=rules.join_role(has_staff(session, territory.id)),
            created_at=now or utcnow(),
        )
        session.add(request)
        session.flush()
        _tell_deciders(session, request)
        record(session, None, "join_request.create", "join_request", request.id, territory=territory.code)
    return request


def _deciders(session: Session, request: JoinRequest) -> list[User]:
    """The territory's staff for a local actor's request; the facilitators for a new territory."""
    query = select(User).where(User.is_active.is_(True))
    if request.role == rules.ACTOR:
        query = query.where(User.territory_id == request.territory_id, User.role.in_(rules.STAFF))
    else:
        query = query.where(User.role == rules.ADMIN)
    return list(session.scalars(query))


def _tell_deciders(session: Session, request: JoinRequest) -> None:
    """Through the notifications outbox, inside this transaction: sent only if the request is saved."""
    for user in _deciders(session, request):
        notify(
            session,
            user,
            JOIN_KIND,
            N_("A join request from %(territory)s"),
            N_("%(name)s asks to join the network."),
            object_type="join_request",
            object_id=request.id,
            link="/join-requests",
            territory=request.territory.name,
            name=request.name,
        )


def _may_decide(acting: User | None, request: JoinRequest) -> bool:
    if acting is None or not acting.is_active:
        return False
    if acting.role == rules.ADMIN:
        return True
    return request.role == rules.ACTOR and rules.may_invite(
        acting.role, acting.territory_id, rules.ACTOR, request.territory_id
    )


def _visible_query(acting: User | None):
    if acting is None or acting.role not in (rules.ADMIN, *rules.STAFF):
        raise PermissionDenied(N_("You are not allowed to see join requests."))
    query = select(JoinRequest)
    if acting.role != rules.ADMIN:
        query = query.where(JoinRequest.territory_id == acting.territory_id, JoinRequest.role == rules.ACTOR)
    return query


def list_requests(
    session: Session, acting: User | None, *, status: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[list[JoinRequest], int]:
    query = _visible_query(acting)
    if status:
        query = query.where(JoinRequest.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(JoinRequest.created_at.desc(), JoinRequest.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def _pending(session: Session, acting: User | None, request_id: int) -> JoinRequest:
    request = session.get(JoinRequest, request_id)
    if request is None or not _may_decide(acting, request):
        raise NotFound(N_("This join request does not exist."))
    if request.status != "pending":
        raise Conflict(N_("This request was already decided."))
    return request


def accept(
    session: Session, acting: User | None, request_id: int, now: datetime | None = None
) -> NewInvitation:
    """Open the territory's space and invite the contact, in one transaction."""
    now = now or utcnow()
    request = _pending(session, acting, request_id)
    assert acting is not None  # _pending refused anyone who may not decide (anonymous included)
    email = check_email(session, request.email)
    clear, digest = rules.new_link_token()
    with transaction(session):
        open_space(session, request.territory, now)
        invitation = add_invitation(session, acting, email, request.role, request.territory, digest, now)
        request.status, request.decided_at, request.decided_by_id = "accepted", now, acting.id
        request.invitation_id = invitation.id
        record(session, acting.id, "join_request.accept", "join_request", request.id)
    return NewInvitation(invitation, clear)


def decline(
    session: Session, acting: User | None, request_id: int, now: datetime | None = None
) -> JoinRequest:
    request = _pending(session, acting, request_id)
    assert acting is not None  # _pending refused anyone who may not decide (anonymous included)
    with transaction(session):
        request.status, request.decided_at, request.decided_by_id = "declined", now or utcnow(), acting.id
        record(session, acting.id, "join_request.decline", "join_request", request.id)
    return request
