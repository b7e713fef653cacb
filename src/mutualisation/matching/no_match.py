"""Use cases explaining a listing without suggestions, and widening its radius (docs/architecture.md).

The facts come from one query: the published counterparts of the listing's category, and those an
agreement under way has reserved, read as the engine reads them and run through the engine's own
filters (`absence.absence_facts`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..accounts.permissions import can_manage_listing, require
from ..errors import ValidationFailed
from ..i18n import N_
from ..listings import services as listings
from ..listings.models import Listing
from ..listings.permissions import get_visible_listing, managed_by
from ..listings.validation import MAX_DISTANCE_KM
from .absence import Reason, absence_facts, explain_absence
from .config import MatchingConfig
from .models import Suggestion
from .reading import LISTING_COLUMNS
from .rows import ListingRow, Subcategories, arrays_from_rows


@dataclass(frozen=True)
class NoMatch:
    """Why a listing has no suggestion, and the radius that would let the nearest one in."""

    listing_id: int
    version: int  # the listing's version the explanation read, carried by the widen button
    reasons: list[Reason]
    widen_to_km: float | None  # None too when the reader may not edit the listing


# Counterparts an explanation reads: those the engine pairs, and those an agreement holds.
_READ_STATUSES = ("published", "reserved")

# A suggestion a listing "has": active and in the top-k of at least one side.
_SHOWN = and_(
    Suggestion.status == "active",
    or_(Suggestion.offer_rank.is_not(None), Suggestion.need_rank.is_not(None)),
)


def _has_suggestions(session: Session, listing: Listing) -> bool:
    mine = Suggestion.offer_id if listing.kind == "offer" else Suggestion.need_id
    stmt = select(Suggestion.id).where(mine == listing.id, _SHOWN).limit(1)
    return session.scalar(stmt) is not None


def _without_suggestions():
    has = select(Suggestion.id).where(
        or_(Suggestion.offer_id == Listing.id, Suggestion.need_id == Listing.id), _SHOWN
    )
    return select(Listing).where(Listing.status == "published", ~has.exists())


def listings_without_suggestions_of(session: Session, user, limit: int = 3) -> list[Listing]:
    """The published listings the user manages that have no active suggestion (dashboard)."""
    if user is None:
        return []
    stmt = _without_suggestions().where(managed_by(user)).order_by(Listing.id).limit(limit)
    return list(session.scalars(stmt))


def listings_without_suggestions(
    session: Session, user, page: int, per_page: int
) -> tuple[list[Listing], int]:
    """Every published listing without an active suggestion, a page of them and their total (admin)."""
    require(user, "matching:admin")
    base = _without_suggestions()
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    stmt = base.order_by(Listing.category, Listing.id).offset((page - 1) * per_page).limit(per_page)
    return list(session.scalars(stmt)), int(total)


def _other_kind(listing: Listing) -> str:
    return "need" if listing.kind == "offer" else "offer"


Counterparts = dict[tuple[str, str, str], list[ListingRow]]  # (category, kind, status) → rows


def _counterparts(session: Session, listings: list[Listing]) -> Counterparts:
    """The published and reserved counterparts of the listings, by (category, kind, status), in one query."""
    wanted = {(listing.category, _other_kind(listing)) for listing in listings}
    found: Counterparts = {(c, k, s): [] for c, k in wanted for s in _READ_STATUSES}
    sides = or_(*(and_(Listing.category == c, Listing.kind == k) for c, k in sorted(wanted)))
    read = select(Listing.status, *LISTING_COLUMNS).where(Listing.status.in_(_READ_STATUSES), sides)
    for status, *values in session.execute(read):
        row = ListingRow._make(values)
        found[(row.category, str(row.kind), status)].append(row)
    return found


def _row(listing: Listing) -> ListingRow:
    return ListingRow._make(getattr(listing, c.key) for c in LISTING_COLUMNS)


def no_match_for(session: Session, user, listing_id: int, cfg: MatchingConfig) -> NoMatch | None:
    """Why a published listing has no active suggestion; None when it has some or is not published."""
    listing = get_visible_listing(session, user, listing_id)
    require(user, "matching:read_listing", listing)
    if listing.status != "published" or _has_suggestions(session, listing):
        return None
    return _explain(user, listing, _counterparts(session, [listing]), cfg)


def no_match_for_listings(
    session: Session, user, listings: list[Listing], cfg: MatchingConfig
) -> list[NoMatch]:
    """`no_match_for` of listings known to be published without suggestions (the dashboard's
    `listings_without_suggestions_of`): their counterparts read in one query, not one per listing."""
    for listing in listings:
        require(user, "matching:read_listing", listing)
    counterparts = _counterparts(session, listings) if listings else {}
    return [_explain(user, listing, counterparts, cfg) for listing in listings]


def _explain(user, listing: Listing, counterparts: Counterparts, cfg: MatchingConfig) -> NoMatch:
    subs = Subcategories()
    me = arrays_from_rows(subs.coded([_row(listing)]))
    published, reserved = (
        arrays_from_rows(subs.coded(counterparts[(listing.category, _other_kind(listing), status)]))
        for status in _READ_STATUSES
    )
    facts = absence_facts(me, published, cfg, reserved)
    # A listing's radius has a ceiling, and only its managers may widen it: else a button would
    # only meet a refusal.
    manager = can_manage_listing(user, listing)
    widen = facts.widen_to_km
    if widen is not None and (widen > MAX_DISTANCE_KM or not manager):
        widen = None
    return NoMatch(listing.id, listing.version, explain_absence(facts, cfg, manager=manager), widen)


def widen_radius(session: Session, user, listing_id: int, radius_km: float, version: int | None) -> Listing:
    """Set a listing's maximum distance to a larger radius (an edit of the listing, audited as one)."""
    listing = get_visible_listing(session, user, listing_id)
    current = listing.max_distance_km
    if current is not None and radius_km <= current:
        message = N_("The new radius must be larger than the current one.")
        raise ValidationFailed(message, fields={"radius_km": [message]})
    return listings.update(session, user, listing_id, {"max_distance_km": radius_km}, version=version)
