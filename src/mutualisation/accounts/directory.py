"""The facilitator's users list: search, filters (role, territory, active) and pagination."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..territories.services import COMMUNES_AND_EPCIS, resolve
from .models import ROLES, User
from .permissions import require


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""
    territory: str = ""  # a commune or EPCI as any commune field reads it: name, postcode or code
    active: str = ""  # "", "yes" or "no"

    @classmethod
    def from_args(cls, args) -> UserFilters:
        """Unknown values are ignored, never an error: these come from a page's query string."""
        role = args.get("role", "")
        active = args.get("active", "")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            role=role if role in ROLES else "",
            territory=(args.get("territory") or "").strip()[:100],
            active=active if active in ("yes", "no") else "",
        )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(session: Session, filters: UserFilters) -> list:
    conditions = []
    if filters.q:
        pattern = f"%{_escape_like(filters.q.lower())}%"
        conditions.append(
            or_(
                *(
                    func.lower(c).like(pattern, escape="\\")
                    for c in (User.email, User.name, User.organisation)
                )
            )
        )
    if filters.role:
        conditions.append(User.role == filters.role)
    if filters.territory:
        # Every territory the text designates: a filter may cover all the "Saint-Martin" at once.
        ids = [t.id for t in resolve(session, filters.territory, kinds=COMMUNES_AND_EPCIS, limit=200)]
        conditions.append(User.territory_id.in_(ids))
    if filters.active:
        conditions.append(User.is_active.is_(filters.active == "yes"))
    return conditions


def search_users(
    session: Session, acting: User, filters: UserFilters, *, page: int, per_page: int
) -> tuple[list[User], int]:
    require(acting, "users:manage")
    conditions = _conditions(session, filters)
    total = session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
    users = session.scalars(
        select(User).where(*conditions).order_by(User.email).offset((page - 1) * per_page).limit(per_page)
    )
    return list(users), total
