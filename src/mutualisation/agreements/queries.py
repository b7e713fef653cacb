"""Reading agreements: one agreement for a party, the lists a user may read, the approval queue,
the history, report photos, and the row lock the use cases take before they decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..accounts.models import User
from ..accounts.permissions import ACTOR, OFFICIAL, TERRITORY_STAFF, is_admin, require
from ..errors import NotFound, PermissionDenied
from ..i18n import N_
from ..storage import Storage
from . import permissions as _permissions  # noqa: F401  (registers agreements:read)
from . import photos
from .models import Agreement, AgreementEvent, Approval
from .vocabulary import Status

# The collections a transition may add rows to: reloaded before deciding and after committing.
COLLECTIONS = ["terms", "approvals", "signatures", "evaluations", "reports"]


def get(session: Session, user: User | None, agreement_id: int) -> Agreement:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound(N_("This agreement does not exist."))
    require(user, "agreements:read", agreement, N_("Only the parties to an agreement can read it."))
    return agreement


def _territory_party(territory_id: int) -> ColumnElement[bool]:
    """Agreements where this territory itself (not one of its local actors) is a party."""
    return or_(
        and_(Agreement.provider_actor_id.is_(None), Agreement.provider_territory_id == territory_id),
        and_(Agreement.beneficiary_actor_id.is_(None), Agreement.beneficiary_territory_id == territory_id),
    )


def readable_by(user: User) -> ColumnElement[bool] | None:
    """The agreements `user` may read, as a condition (None: an admin reads them all)."""
    if is_admin(user):
        return None
    if user.role == ACTOR:
        return or_(Agreement.provider_actor_id == user.id, Agreement.beneficiary_actor_id == user.id)
    if user.role in TERRITORY_STAFF:
        return _territory_party(user.territory_id)
    return Agreement.id.is_(None)


def list_for(
    session: Session, user: User, *, statuses: Iterable[str] | None = None, limit: int = 20, offset: int = 0
) -> tuple[list[Agreement], int]:
    """The agreements `user` may read, most recently changed first."""
    if user is None or not user.is_active:
        raise PermissionDenied(N_("You are not allowed to do this."))
    conditions: list[Any] = []
    where = readable_by(user)
    if where is not None:
        conditions.append(where)
    wanted = [s for s in (statuses or []) if s]
    if wanted:
        conditions.append(Agreement.status.in_(wanted))
    total = session.scalar(select(func.count(Agreement.id)).where(*conditions)) or 0
    items = session.scalars(
        select(Agreement)
        .where(*conditions)
        .order_by(Agreement.updated_at.desc(), Agreement.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(items.unique()), total


def approval_queue(session: Session, user: User) -> list[Agreement]:
    """Agreements awaiting this official's territory, oldest first."""
    if user is None or user.role != OFFICIAL:
        return []
    # Decided in this round: an avenant (a new amendment) asks for a new decision.
    already = exists().where(
        Approval.agreement_id == Agreement.id,
        Approval.territory_id == user.territory_id,
        Approval.amendment == Agreement.amendment,
    )
    stmt = (
        select(Agreement)
        .where(
            Agreement.status == Status.PENDING_APPROVAL,
            _territory_party(user.territory_id),
            ~already,
        )
        .order_by(Agreement.status_changed_at.asc(), Agreement.id.asc())
    )
    return list(session.scalars(stmt).unique())


def history(session: Session, user: User | None, agreement_id: int) -> list[AgreementEvent]:
    agreement = get(session, user, agreement_id)
    return list(
        session.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_id == agreement.id)
            .order_by(AgreementEvent.id)
            # Each row shows who acted: the actors come with the history, not one lazy load each.
            .options(selectinload(AgreementEvent.actor))
        )
    )


def photo_file(
    session: Session, user: User | None, agreement_id: int, name: str, upload_root: Storage
) -> tuple[bytes, str]:
    """The bytes and media type of a report photo, for users who may read the agreement only."""
    agreement = get(session, user, agreement_id)
    found = photos.read(upload_root, agreement.id, name)
    if found is None:
        raise NotFound(N_("This photo does not exist."))
    return found


def lock(session: Session, agreement_id: int) -> Agreement:
    """Load under a row lock (PostgreSQL: SELECT … FOR UPDATE; SQLite serialises writers itself).

    populate_existing and the expiry of the collections make sure the decision is taken on what
    the database holds now, not on what this session read earlier.
    """
    stmt = (
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .with_for_update(of=Agreement)
        .execution_options(populate_existing=True)
    )
    agreement = session.scalars(stmt).unique().one_or_none()
    if agreement is None:
        raise NotFound(N_("This agreement does not exist."))
    session.expire(agreement, COLLECTIONS)
    return agreement
