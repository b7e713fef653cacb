"""Named permissions and the `can_*` policies.

Services call `require(user, "resource:action", obj)`; views may call the same policies to
hide buttons, but the service is what enforces them, so the web UI, the API and the CLI
cannot disagree. Policies are pure: they look at plain attributes, never at the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import PermissionDenied

ADMIN = "admin"
TECHNICIAN = "technician"
OFFICIAL = "official"
ACTOR = "actor"
TERRITORY_STAFF = (TECHNICIAN, OFFICIAL)


class Principal(Protocol):
    id: int
    role: str
    territory_id: int
    is_active: bool


def is_admin(user: Principal | None) -> bool:
    return bool(user is not None and user.is_active and user.role == ADMIN)


def can_manage_users(user: Principal | None, _obj: Any = None) -> bool:
    return is_admin(user)


def can_manage_territories(user: Principal | None, _obj: Any = None) -> bool:
    return is_admin(user)


def can_read_network(user: Principal | None, _obj: Any = None) -> bool:
    """Any active, logged-in member may read what is published across the network."""
    return bool(user is not None and user.is_active)


def can_manage_listing(user: Principal | None, listing: Any) -> bool:
    """Staff manage the listings their territory's staff wrote; actors manage their own only.

    Admins (the network's facilitators) moderate every listing; a listing an admin wrote
    belongs to no territory, so no territory's staff manage it.
    """
    if user is None or not user.is_active:
        return False
    if user.role == ADMIN:
        return True
    if user.role in TERRITORY_STAFF:
        owner_role = getattr(getattr(listing, "owner", None), "role", None)
        return (
            listing.territory_id == user.territory_id and owner_role in TERRITORY_STAFF
        ) or listing.owner_id == user.id
    return listing.owner_id == user.id


def can_create_listing(user: Principal | None, _obj: Any = None) -> bool:
    """A listing is a territory's or a local actor's offer or need: the facilitator acts for nobody."""
    return bool(user is not None and user.is_active and user.role in (TECHNICIAN, OFFICIAL, ACTOR))


def can_approve_for_territory(user: Principal | None, territory_id: int) -> bool:
    """Only an official approves, and only for their own territory."""
    return bool(
        user is not None and user.is_active and user.role == OFFICIAL and user.territory_id == territory_id
    )


POLICIES: dict[str, Callable[[Principal | None, Any], bool]] = {
    "users:manage": can_manage_users,
    "territories:manage": can_manage_territories,
    "network:read": can_read_network,
    "listings:create": can_create_listing,
    "listings:manage": can_manage_listing,
}


def register(name: str, policy: Callable[[Principal | None, Any], bool]) -> None:
    """Let a domain add its own named permissions (agreements, matching…)."""
    POLICIES[name] = policy


def allowed(user: Principal | None, permission: str, obj: Any = None) -> bool:
    try:
        policy = POLICIES[permission]
    except KeyError:  # an unknown name is a programming error, never a silent allow
        raise LookupError(f"unknown permission {permission!r}") from None
    return policy(user, obj)


def require(user: Principal | None, permission: str, obj: Any = None, message: str = "") -> None:
    if not allowed(user, permission, obj):
        raise PermissionDenied(message or "You are not allowed to do this.")
