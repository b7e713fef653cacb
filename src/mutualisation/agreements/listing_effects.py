"""What an agreement does to its listings: reserve, release, fulfil.

The listings domain owns its lifecycle: this adapter calls its services inside the agreement's
transaction (`commit=False`), and the agreement service announces the queued listing changes
(`listings.hooks.run_pending`) once it has committed, so matching hears about them too.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..listings import lifecycle as listing_lifecycle
from ..listings import services as listing_services
from ..listings.models import Listing


def apply(
    session: Session, actor_id: int | None, listings: list[Listing | None], change: str, agreement_id: int
) -> int:
    """Apply `change` (reserve, release, fulfil) to each listing it concerns; return how many changed.

    A listing in another status (already withdrawn, expired…) is left alone: the agreement
    goes on, and the listing's owner keeps the last word on it.
    """
    sources, _target = listing_lifecycle.TRANSITIONS[change]
    change_listing = getattr(listing_services, change)
    changed = 0
    for listing in listings:
        if listing is None or listing.status not in sources:
            continue
        if listing_lifecycle.is_reusable(listing.inexhaustible, listing.recurring):
            continue
        if listing.bookable_units is not None and change != "release":
            # A bookable offer stays published: its calendar, not its status, says which days are free.
            continue
        change_listing(
            session, listing.id, actor_id=actor_id, commit=False, comment=f"agreement #{agreement_id}"
        )
        changed += 1
    return changed
