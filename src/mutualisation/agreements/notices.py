"""Who to tell about an agreement, and telling them (in-app notifications and the e-mail outbox).

Everything here writes inside the caller's transaction: a rollback never sends anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import ADMIN, OFFICIAL, TERRITORY_STAFF
from ..i18n import N_
from ..notifications.services import notify
from .models import Agreement
from .vocabulary import Side


def party_users(session: Session, agreement: Agreement, side: str) -> list[User]:
    actor = agreement.actor_of(side)
    if actor is not None:
        return [actor] if actor.is_active else []
    return list(
        session.scalars(
            select(User)
            .where(
                User.territory_id == agreement.territory_id_of(side),
                User.role.in_(TERRITORY_STAFF),
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )


def both_parties(session: Session, agreement: Agreement) -> list[User]:
    return party_users(session, agreement, Side.PROVIDER) + party_users(session, agreement, Side.BENEFICIARY)


def officials(session: Session, territory_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.territory_id == territory_id, User.role == OFFICIAL, User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def admins(session: Session) -> list[User]:
    return list(
        session.scalars(select(User).where(User.role == ADMIN, User.is_active.is_(True)).order_by(User.id))
    )


def tell(
    session: Session,
    users: Iterable[User],
    agreement: Agreement,
    kind: str,
    subject: str,
    body: str = "",
    skip: User | None = None,
) -> None:
    """Notify each user once (a user may be in several lists), except `skip` (who acted)."""
    seen: set[int] = set()
    for user in users:
        if user.id in seen or (skip is not None and user.id == skip.id):
            continue
        seen.add(user.id)
        notify(
            session,
            user,
            kind,
            subject,
            body,
            object_type="agreement",
            object_id=agreement.id,
            link=f"/agreements/{agreement.id}",
            title=agreement.title,
        )


def tell_parties(
    session: Session, agreement: Agreement, kind: str, subject: str, body: str = "", skip: User | None = None
) -> None:
    tell(session, both_parties(session, agreement), agreement, kind, subject, body, skip=skip)


def request_evaluation(session: Session, agreement: Agreement, now: dt.datetime) -> None:
    """Ask both parties for their evaluation, once (completion or the scheduler, whichever comes first)."""
    if agreement.evaluation_requested_at is not None:
        return
    agreement.evaluation_requested_at = now
    tell_parties(
        session,
        agreement,
        "agreement.evaluation_due",
        N_("Evaluation due: %(title)s"),
        N_('The agreement "%(title)s" is complete. Please file your evaluation and lessons learned.'),
    )
