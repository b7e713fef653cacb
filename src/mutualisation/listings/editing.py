"""Writing a listing's content: create (as a draft, or published in the same commit), edit,
duplicate, and read its history.

Every use case checks permissions, applies the rules, writes a ListingEvent and an audit
event, commits once, then tells the followers in `hooks` (matching).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.permissions import require
from ..audit.services import record
from ..db import transaction
from ..errors import Conflict, RuleViolation, ValidationFailed
from ..i18n import N_
from ..territories.geocoding import Geocoder
from ..territories.models import Territory
from . import hooks, lifecycle
from .categories import taxonomy
from .models import Listing, ListingEvent
from .permissions import MAY_NOT_MANAGE, get_for_management, get_visible_listing
from .placement import TERRITORY, locate
from .text_search import refresh_search_text, search_text
from .transitions import add_event, apply_transition, check_publishable
from .validation import check_listing
from .vocabulary import CONTENT_FIELDS, DEFAULT_CONDITIONS, DEFAULT_LOGISTICS

STALE = N_("This listing was changed by someone else in the meantime. Reload it and try again.")
MISSING = N_("Missing data for required field.")
INVALID = N_("Some fields are not valid.")
OTHER_TERRITORY = N_("A listing belongs to the territory of the account that publishes it.")
_STRIPPED = ("title", "description", "unit", "address")
_BLANK_IS_NONE = ("unit", "address", "subcategory")


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """The content fields of `data`, trimmed, with blank optional texts as None."""
    cleaned = {k: v for k, v in data.items() if k in CONTENT_FIELDS}
    for key in _STRIPPED:
        if isinstance(cleaned.get(key), str):
            cleaned[key] = cleaned[key].strip()
    for key in _BLANK_IS_NONE:
        if key in cleaned and cleaned[key] == "":
            cleaned[key] = None
    if "booking_buffer_days" in cleaned and cleaned["booking_buffer_days"] is None:
        cleaned["booking_buffer_days"] = 0  # an empty field: no buffer
    return cleaned


def _check(data: dict[str, Any]) -> None:
    errors = check_listing(data, taxonomy())
    if errors:
        raise RuleViolation(INVALID, errors)


def rule_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """The listing rules' field errors of a content, saving nothing: a form whose own checks
    failed shows them too, so that one submission names every mistake."""
    return check_listing(clean(data), taxonomy())


def _check_territory(territory: Territory, data: dict[str, Any]) -> None:
    """A listing's territory is its author's: a `territory` (INSEE code) sent must name that one.

    Accepted rather than refused as unknown, since it is a field of the listing a client reads."""
    requested = data.get("territory")
    if requested is not None and requested != territory.code:
        raise RuleViolation(INVALID, {"territory": [OTHER_TERRITORY]})


def _new_values(session: Session, user: Any, data: dict[str, Any]) -> tuple[dict[str, Any], Territory]:
    """The checked content of a new listing, and its territory (its author's), before any write."""
    require(user, "listings:create", None, N_("You may not create listings."))
    territory = session.get_one(Territory, user.territory_id)
    _check_territory(territory, data)
    defaults = {"description": "", "logistics": DEFAULT_LOGISTICS, "conditions": DEFAULT_CONDITIONS}
    values = defaults | clean(data)
    _check(values)
    return values, territory


def _add_draft(
    session: Session, user: Any, values: dict[str, Any], territory: Territory, geocoder: Geocoder | None
) -> Listing:
    """Insert a draft of the user's territory, placed and indexed (inside the caller's transaction).

    The listing's `warnings` tell what placing it could not do.
    """
    listing = Listing(**values, owner_id=user.id, territory_id=territory.id, status=lifecycle.DRAFT)
    listing.territory = territory
    listing.warnings = locate(listing, values, geocoder, set(values))  # type: ignore[attr-defined]
    listing.search_text = search_text(listing)
    session.add(listing)
    session.flush()
    add_event(session, listing, user.id, None, lifecycle.DRAFT)
    record(session, user.id, "listing.created", "listing", listing.id, kind=listing.kind)
    return listing


def create(session: Session, user: Any, data: dict[str, Any], *, geocoder: Geocoder | None = None) -> Listing:
    """Create a draft listing for the user's territory (publish it with `publish`).

    Geocoding problems never block the save: they are reported in `listing.warnings`.
    """
    values, territory = _new_values(session, user, data)
    with transaction(session):
        listing = _add_draft(session, user, values, territory, geocoder)
    hooks.listing_changed(session, listing.id, "created")
    return listing


def create_published(
    session: Session, user: Any, data: dict[str, Any], *, geocoder: Geocoder | None = None
) -> Listing:
    """Create a listing and publish it in one commit: a failure leaves nothing behind, so a
    retry cannot duplicate it. Its history still shows the draft, then the publication."""
    values, territory = _new_values(session, user, data)
    check_publishable(values.get("available_until"))
    with transaction(session):
        listing = _add_draft(session, user, values, territory, geocoder)
        apply_transition(session, listing, "publish", user.id)
    hooks.listing_changed(session, listing.id, "created")
    hooks.listing_changed(session, listing.id, "published")
    return listing


def _check_editable(listing: Listing, version: int | None) -> None:
    if version is None:
        raise ValidationFailed(INVALID, {"version": [MISSING]})
    if listing.version != version:
        raise Conflict(STALE)
    if listing.status not in lifecycle.EDITABLE:
        raise RuleViolation(N_("This listing can no longer be edited."))


def update(
    session: Session,
    user: Any,
    listing_id: int,
    data: dict[str, Any],
    *,
    version: int | None,
    geocoder: Geocoder | None = None,
) -> Listing:
    """Edit a listing's content. `version` is the one the caller read: a stale one is a 409."""
    listing = get_for_management(session, user, listing_id)
    _check_editable(listing, version)
    _check_territory(listing.territory, data)
    changes = clean(data)
    merged = {name: getattr(listing, name) for name in CONTENT_FIELDS} | changes
    _check(merged)
    changed = {k for k, v in changes.items() if getattr(listing, k) != v}
    with transaction(session):
        for name in changed:
            setattr(listing, name, merged[name])
        warnings = locate(listing, merged, geocoder, changed)
        refresh_search_text(listing)
        record(session, user.id, "listing.updated", "listing", listing.id, fields=sorted(changed))
    listing.warnings = warnings  # type: ignore[attr-defined]
    hooks.listing_changed(session, listing.id, "updated")
    return listing


def duplicate(session: Session, user: Any, listing_id: int) -> Listing:
    """A new draft with the same content, owned by the user (windows cleared: they are usually over)."""
    source = get_visible_listing(session, user, listing_id)
    require(user, "listings:manage", source, MAY_NOT_MANAGE)
    data = {name: getattr(source, name) for name in CONTENT_FIELDS}
    data.update(available_from=None, available_until=None)
    if source.location_source == TERRITORY:
        data.update(latitude=None, longitude=None)
    return create(session, user, data)


def history(session: Session, user: Any, listing_id: int) -> list[ListingEvent]:
    get_visible_listing(session, user, listing_id)
    query = select(ListingEvent).where(ListingEvent.listing_id == listing_id).order_by(ListingEvent.id)
    return list(session.scalars(query))
