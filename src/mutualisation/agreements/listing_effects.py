"""What an agreement does to its listings: reserve, release, fulfil.

Kept apart so that it can later call the listings domain's own services; for now it changes the
listing's status directly, inside the agreement's transaction, with a ListingEvent and an audit
event, like any other state change.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..audit.services import record
from ..listings.models import Listing, ListingEvent

# from-statuses each change applies to; any other status is left alone (already withdrawn, …).
_CHANGES = {
    "reserve": (("published",), "reserved"),
    "release": (("reserved",), "published"),
    "fulfil": (("reserved", "published"), "fulfilled"),
}


def _shared_without_use(listing: Listing) -> bool:
    # Inexhaustible skills and recurring supplies stay available to others: sharing them does not use them up.
    return bool(listing.inexhaustible or listing.recurring)


def apply(
    session: Session, actor_id: int | None, listings: list[Listing | None], change: str, agreement_id: int
) -> int:
    """Apply `change` to each listing it concerns; return how many changed."""
    sources, target = _CHANGES[change]
    changed = 0
    for listing in listings:
        if listing is None or listing.status not in sources or _shared_without_use(listing):
            continue
        before = listing.status
        listing.status = target
        session.add(
            ListingEvent(
                listing_id=listing.id,
                actor_id=actor_id,
                from_status=before,
                to_status=target,
                comment=f"agreement #{agreement_id}",
            )
        )
        record(
            session,
            actor_id,
            f"listing.{change}",
            "listing",
            listing.id,
            agreement_id=agreement_id,
            from_status=before,
            to_status=target,
        )
        changed += 1
    return changed
