"""The facilitator's users list: search, filters (role, territory, active) and pagination."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..territories.models import Territory
from .models import ROLES, User
from .permissions import require


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""
    territory: str = ""  # INSEE or SIREN code
    active: str = ""  # "", "yes" or "no"

    @classmethod
    def from_args(cls, args) -> UserFilters:
        """Unknown values are ignored, never an error: these come from a page's query string."""
        role = args.get("role", "")
        active = args.get("active", "")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            role=role if role in ROLES else "",
            territory=(args.get("territory") or "").strip().upper()[:9],
            active=active if active in ("yes", "no") else "",
        )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: UserFilters) -> list:
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
        conditions.append(
            User.territory_id.in_(select(Territory.id).where(Territory.code == filters.territory))
        )
    if filters.active:
        conditions.append(User.is_active.is_(filters.active == "yes"))
    return conditions


def search_users(
    session: Session, acting: User, filters: UserFilters, *, page: int, per_page: int
) -> tuple[list[User], int]:
    require(acting, "users:manage")
    conditions = _conditions(filters)
    total = session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
    users = session.scalars(
        select(User).where(*conditions).order_by(User.email).offset((page - 1) * per_page).limit(per_page)
    )
    return list(users), total
