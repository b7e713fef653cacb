"""Who may see and manage which listing: the listing policies, their SQL mirror, and the loaders.

Every listing route and API endpoint loads its listing through `get_visible_listing`, so a
listing the user may not see is a 404 everywhere (a 403 would confirm that it exists).
Other domains that show something about one listing (a listing's suggestions, an agreement
on an offer) should load it the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import (
    ADMIN,
    TERRITORY_STAFF,
    allowed,
    can_manage_listing,
    can_read_network,
    require,
)
from ..errors import NotFound
from ..i18n import N_
from . import lifecycle
from .models import Listing

LISTING_NOT_FOUND = N_("This listing does not exist.")
MAY_NOT_MANAGE = N_("You may not manage this listing.")


def can_read_listing(user: Any, listing: Any) -> bool:
    """Drafts stay with those who manage them; everything else is readable network-wide."""
    if not can_read_network(user):
        return False
    return listing.status != lifecycle.DRAFT or can_manage_listing(user, listing)


def get_visible_listing(session: Session, user: Any, listing_id: int) -> Listing:
    """A listing the user may read, or NotFound: also for a draft they may not see (no leak)."""
    require(user, "network:read")
    listing = session.get(Listing, listing_id)
    if listing is None or not allowed(user, "listings:read", listing):
        raise NotFound(LISTING_NOT_FOUND)
    return listing


def get_for_management(session: Session, user: Any, listing_id: int) -> Listing:
    """A listing the user manages: NotFound when they may not see it, PermissionDenied when
    they may see it but not manage it."""
    listing = get_visible_listing(session, user, listing_id)
    require(user, "listings:manage", listing, MAY_NOT_MANAGE)
    return listing


def managed_by(user: Any) -> ColumnElement[bool]:
    """Listings the user manages, as SQL (the mirror of `can_manage_listing`).

    Staff manage their own listings and those their territory's staff wrote; a listing a
    facilitator (admin) wrote belongs to no territory's staff.
    """
    if user.role in TERRITORY_STAFF:
        staff_owner = select(User.id).where(
            User.territory_id == user.territory_id, User.role.in_(TERRITORY_STAFF)
        )
        return or_(
            Listing.owner_id == user.id,
            and_(Listing.territory_id == user.territory_id, Listing.owner_id.in_(staff_owner)),
        )
    # Admins' "my listings" are the ones they wrote: they moderate the others from their pages.
    return Listing.owner_id == user.id


def drafts_visible_to(user: Any) -> list[ColumnElement[bool]]:
    """Extra conditions for browsing drafts: an admin sees all, anyone else their own."""
    return [] if user.role == ADMIN else [Listing.owner_id == user.id]
