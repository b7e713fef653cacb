"""Listing use cases: create, edit, publish, withdraw, duplicate, renew, reserve, fulfil, browse.

Every use case checks permissions, applies the rules, writes a ListingEvent and an audit
event, commits once, then tells the followers registered in `hooks` (matching).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import chain
from typing import Any

import numpy as np
from geopy.distance import EARTH_RADIUS
from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import (
    ACTOR,
    ADMIN,
    TERRITORY_STAFF,
    allowed,
    can_manage_listing,
    can_read_network,
    register,
    require,
)
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import Conflict, NotFound, RuleViolation, ValidationFailed
from ..i18n import N_
from ..paths import resource_dir
from ..territories.geocoding import Geocoder, GeocodingUnavailable, in_france
from ..territories.models import Territory
from ..territories.search import normalize
from . import hooks, lifecycle
from .models import Listing, ListingEvent, ListingTerm
from .taxonomy import Taxonomy, read_taxonomy_file
from .validation import check_listing

CONTENT_FIELDS = (
    "kind",
    "category",
    "subcategory",
    "title",
    "description",
    "quantity",
    "unit",
    "available_from",
    "available_until",
    "recurring",
    "inexhaustible",
    "remote_possible",
    "logistics",
    "max_distance_km",
    "conditions",
    "deposit_eur",
    "insurance_required",
    "qualified_operator_required",
    "network_only",
    "latitude",
    "longitude",
    "address",
)
SORTS = ("newest", "nearest")
DEFAULT_RADIUS_KM = 50.0
KM_PER_DEGREE = EARTH_RADIUS * math.pi / 180
NOT_LOCATED = N_("The address could not be located: the listing stays at the territory's point.")
NOT_FOUND = N_("Address not found in France: the listing stays at the territory's point.")
STALE = N_("This listing was changed by someone else in the meantime. Reload it and try again.")
MISSING = N_("Missing data for required field.")
INVALID = N_("Some fields are not valid.")
IN_THE_PAST = N_("This date is in the past.")


# Permissions ---------------------------------------------------------------------------


def can_read_listing(user: Any, listing: Any) -> bool:
    """Drafts stay with those who manage them; everything else is readable network-wide."""
    if not can_read_network(user):
        return False
    return listing.status != lifecycle.DRAFT or can_manage_listing(user, listing)


register("listings:read", can_read_listing)


# Taxonomy --------------------------------------------------------------------------------


@cache
def taxonomy() -> Taxonomy:
    return read_taxonomy_file(resource_dir("config") / "taxonomy.toml")


def category_tree(locale: str | None = None) -> list[dict[str, Any]]:
    return taxonomy().to_tree(locale)


# Loading ---------------------------------------------------------------------------------


def get_listing(session: Session, user: Any, listing_id: int) -> Listing:
    """A listing the user may read; 404 also for a draft they may not see (no leak)."""
    require(user, "network:read")
    listing = session.get(Listing, listing_id)
    if listing is None or not allowed(user, "listings:read", listing):
        raise NotFound(N_("This listing does not exist."))
    return listing


def get_for_management(session: Session, user: Any, listing_id: int) -> Listing:
    listing = get_listing(session, user, listing_id)
    require(user, "listings:manage", listing, N_("You may not manage this listing."))
    return listing


def history(session: Session, user: Any, listing_id: int) -> list[ListingEvent]:
    get_listing(session, user, listing_id)
    query = select(ListingEvent).where(ListingEvent.listing_id == listing_id).order_by(ListingEvent.id)
    return list(session.scalars(query))


# Writing ---------------------------------------------------------------------------------


# Too common to help a search; never indexed, and skipped in queries for the same reason.
STOPWORDS = frozenset(
    [
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "de",
        "des",
        "du",
        "en",
        "et",
        "la",
        "le",
        "les",
        "leur",
        "mais",
        "ou",
        "par",
        "pas",
        "pour",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "un",
        "une",
        "a",
        "an",
        "and",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    ]
)
MIN_TERM = 2
MAX_TERM = 60


def terms_of(normalised: str) -> set[str]:
    """The index terms of an already normalised text."""
    return {w[:MAX_TERM] for w in normalised.split() if len(w) >= MIN_TERM and w not in STOPWORDS}


def index_terms(session: Session, listing: Listing, previous_text: str | None = None) -> None:
    """Bring the listing's word index in step with its search text (inside the caller's transaction).

    Old terms are removed by their full key, computed from the previous text, so the table
    needs no second index on listing_id.
    """
    old = terms_of(previous_text or "")
    new = terms_of(listing.search_text)
    stale = sorted(old - new)
    if stale:
        session.execute(
            delete(ListingTerm).where(ListingTerm.listing_id == listing.id, ListingTerm.term.in_(stale))
        )
    added = sorted(new - old)
    if added:
        session.execute(insert(ListingTerm), [{"term": t, "listing_id": listing.id} for t in added])


def _search_text(listing: Listing) -> str:
    try:
        label = taxonomy().label(listing.subcategory or "", "fr", category=listing.category)
    except ValueError:
        label = ""
    return normalize(f"{listing.title} {label} {listing.description or ''}")


def _locate(
    listing: Listing, data: dict[str, Any], geocoder: Geocoder | None, changed: set[str]
) -> list[str]:
    """Place the listing: given coordinates, else a geocoded address, else the territory's point."""
    warnings: list[str] = []
    has_point = data.get("latitude") is not None and data.get("longitude") is not None
    if has_point and ({"latitude", "longitude"} & changed or listing.location_source == "coordinates"):
        listing.location_source = "coordinates"
        return warnings
    if data.get("address") and ("address" in changed or listing.location_source == "territory"):
        if geocoder is None:
            warnings.append(NOT_LOCATED)
        else:
            try:
                point = geocoder.geocode(data["address"])
            except GeocodingUnavailable:
                point = None
                warnings.append(
                    N_(
                        "The address service cannot be reached right now: "
                        "the listing stays at the territory's point."
                    )
                )
            else:
                if point is None or not in_france(point.latitude, point.longitude):
                    warnings.append(NOT_FOUND)
            if point is not None and in_france(point.latitude, point.longitude):
                listing.latitude, listing.longitude = point.latitude, point.longitude
                listing.location_source = "address"
                return warnings
    if data.get("address") and listing.location_source == "address" and "address" not in changed:
        return warnings
    listing.latitude = listing.territory.latitude
    listing.longitude = listing.territory.longitude
    listing.location_source = "territory"
    return warnings


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in data.items() if k in CONTENT_FIELDS}
    for key in ("title", "description", "unit", "address"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = cleaned[key].strip()
    for key in ("unit", "address", "subcategory"):
        if key in cleaned and cleaned[key] == "":
            cleaned[key] = None
    return cleaned


def _check(data: dict[str, Any]) -> None:
    errors = check_listing(data, taxonomy())
    if errors:
        raise RuleViolation(N_("Some fields are not valid."), errors)


def _event(
    session: Session, listing: Listing, actor_id: int | None, from_status, to_status, comment=None
) -> None:
    session.add(
        ListingEvent(
            listing_id=listing.id,
            actor_id=actor_id,
            from_status=from_status,
            to_status=to_status,
            comment=comment,
        )
    )


def create(session: Session, user: Any, data: dict[str, Any], *, geocoder: Geocoder | None = None) -> Listing:
    """Create a draft listing for the user's territory (publish it with `publish`).

    Geocoding problems never block the save: they are reported in `listing.warnings`.
    """
    require(user, "listings:create", None, N_("You may not create listings."))
    values = {"description": "", "logistics": "both", "conditions": "free"} | _clean(data)
    _check(values)
    with transaction(session):
        listing = Listing(**values, owner_id=user.id, territory_id=user.territory_id, status=lifecycle.DRAFT)
        listing.territory = session.get(Territory, user.territory_id)
        warnings = _locate(listing, values, geocoder, set(values))
        listing.search_text = _search_text(listing)
        session.add(listing)
        session.flush()
        index_terms(session, listing)
        _event(session, listing, user.id, None, lifecycle.DRAFT)
        record(session, user.id, "listing.created", "listing", listing.id, kind=listing.kind)
    listing.warnings = warnings  # type: ignore[attr-defined]
    hooks.listing_changed(session, listing.id, "created")
    return listing


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
    if version is None:
        raise ValidationFailed(INVALID, {"version": [MISSING]})
    if listing.version != version:
        raise Conflict(STALE)
    if listing.status not in lifecycle.EDITABLE:
        raise RuleViolation(N_("This listing can no longer be edited."))
    changes = _clean(data)
    merged = {name: getattr(listing, name) for name in CONTENT_FIELDS} | changes
    _check(merged)
    changed = {k for k, v in changes.items() if getattr(listing, k) != v}
    with transaction(session):
        for name in changed:
            setattr(listing, name, merged[name])
        warnings = _locate(listing, merged, geocoder, changed)
        search_text = _search_text(listing)
        if search_text != listing.search_text:
            previous, listing.search_text = listing.search_text, search_text
            index_terms(session, listing, previous)
        record(session, user.id, "listing.updated", "listing", listing.id, fields=sorted(changed))
    listing.warnings = warnings  # type: ignore[attr-defined]
    hooks.listing_changed(session, listing.id, "updated")
    return listing


def _apply(session: Session, listing: Listing, action: str, actor_id: int | None, comment: str | None = None):
    reusable = listing.inexhaustible or listing.recurring
    step = lifecycle.transition(listing.status, action, reusable=reusable)
    listing.status = step.to_status
    if step.to_status == lifecycle.PUBLISHED and listing.published_at is None:
        listing.published_at = utcnow()
    _event(session, listing, actor_id, step.from_status, step.to_status, comment)
    record(
        session,
        actor_id,
        f"listing.{action}",
        "listing",
        listing.id,
        from_status=step.from_status,
        to_status=step.to_status,
        **({"comment": comment} if comment else {}),
    )
    return step


_CHANGE_NAMES = {
    "publish": "published",
    "reserve": "reserved",
    "release": "released",
    "fulfil": "fulfilled",
    "expire": "expired",
    "withdraw": "withdrawn",
    "renew": "renewed",
}


def _transition(
    session: Session, user: Any, listing_id: int, action: str, comment: str | None = None
) -> Listing:
    listing = get_for_management(session, user, listing_id)
    with transaction(session):
        _apply(session, listing, action, user.id, comment)
    hooks.listing_changed(session, listing.id, _CHANGE_NAMES[action])
    return listing


def publish(session: Session, user: Any, listing_id: int) -> Listing:
    listing = get_for_management(session, user, listing_id)
    if listing.available_until is not None and listing.available_until < date.today():
        raise RuleViolation(
            N_("The availability window is over: change its end date first."),
            {"available_until": [N_("This date is in the past.")]},
        )
    return _transition(session, user, listing_id, "publish")


def withdraw(
    session: Session, user: Any, listing_id: int, reason: str | None, reason_text: str | None = None
):
    """Withdraw with a reason code (exchanged_elsewhere, no_longer_available, other + free text)."""
    stored = lifecycle.withdrawal_reason(reason, reason_text)
    listing = get_for_management(session, user, listing_id)
    with transaction(session):
        _apply(session, listing, "withdraw", user.id, stored)
        listing.withdrawal_reason = stored
    hooks.listing_changed(session, listing.id, "withdrawn")
    return listing


def renew(session: Session, user: Any, listing_id: int, available_until: date | None = None) -> Listing:
    """Publish an expired listing again, with a new end date (or none)."""
    listing = get_for_management(session, user, listing_id)
    today = date.today()
    if available_until is not None and available_until < today:
        raise RuleViolation(INVALID, {"available_until": [IN_THE_PAST]})
    with transaction(session):
        _apply(session, listing, "renew", user.id)
        if listing.available_from is not None and listing.available_from < today:
            listing.available_from = today
        listing.available_until = available_until
    hooks.listing_changed(session, listing.id, "renewed")
    return listing


def duplicate(session: Session, user: Any, listing_id: int) -> Listing:
    """A new draft with the same content, owned by the user (windows cleared: they are usually over)."""
    source = get_listing(session, user, listing_id)
    require(user, "listings:manage", source, N_("You may not manage this listing."))
    data = {name: getattr(source, name) for name in CONTENT_FIELDS}
    data.update(available_from=None, available_until=None)
    if source.location_source == "territory":
        data.update(latitude=None, longitude=None)
    copy = create(session, user, data)
    return copy


# Calls from other domains (agreements, scheduler) ------------------------------------------


def _system_transition(
    session: Session,
    listing_id: int,
    action: str,
    actor_id: int | None,
    commit: bool,
    comment: str | None = None,
):
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(N_("This listing does not exist."))
    if commit:
        with transaction(session):
            _apply(session, listing, action, actor_id, comment)
        hooks.listing_changed(session, listing.id, _CHANGE_NAMES[action])
    else:
        _apply(session, listing, action, actor_id, comment)
        session.flush()
        hooks.queue(session, listing.id, _CHANGE_NAMES[action])
    return listing


def reserve(
    session: Session,
    listing_id: int,
    *,
    actor_id: int | None = None,
    commit: bool = True,
    comment: str | None = None,
) -> Listing:
    """An agreement on this listing was accepted: published → reserved (reusable ones stay published).

    With commit=False the change joins the caller's transaction; call `hooks.run_pending(session)`
    after committing it.
    """
    return _system_transition(session, listing_id, "reserve", actor_id, commit, comment)


def release(
    session: Session,
    listing_id: int,
    *,
    actor_id: int | None = None,
    commit: bool = True,
    comment: str | None = None,
) -> Listing:
    """The agreement fell through: reserved → published."""
    return _system_transition(session, listing_id, "release", actor_id, commit, comment)


def fulfil(
    session: Session,
    listing_id: int,
    *,
    actor_id: int | None = None,
    commit: bool = True,
    comment: str | None = None,
) -> Listing:
    """The agreement was carried out: → fulfilled (inexhaustible or recurring listings stay published)."""
    return _system_transition(session, listing_id, "fulfil", actor_id, commit, comment)


def expire(session: Session, listing_id: int, *, commit: bool = True, comment: str | None = None) -> Listing:
    """The listing's window is over: → expired (the scheduler's expiry job, see listings/expiry.py)."""
    return _system_transition(session, listing_id, "expire", None, commit, comment)


# Browsing ----------------------------------------------------------------------------------


@dataclass
class Filters:
    kind: str | None = None
    category: str | None = None
    subcategory: str | None = None
    q: str | None = None
    near: str | None = None
    radius_km: float | None = None
    status: str | None = None
    sort: str = "newest"
    mine: bool = False


@dataclass
class BrowseResult:
    items: list[Listing]
    total: int
    distances: dict[int, float] = field(default_factory=dict)
    reference: Territory | None = None


def _known_subcategory(category: str | None, subcategory: str) -> bool:
    if category:
        return taxonomy().is_valid(category, subcategory)
    return any(taxonomy().is_valid(c.code, subcategory) for c in taxonomy().categories)


def _check_filters(filters: Filters) -> None:
    errors: dict[str, list[str]] = {}
    if filters.kind and filters.kind not in ("offer", "need"):
        errors["kind"] = [N_("Choose offer or need.")]
    if filters.category and filters.category not in {c.code for c in taxonomy().categories}:
        errors["category"] = [N_("Unknown category.")]
    elif filters.subcategory and not _known_subcategory(filters.category, filters.subcategory):
        errors["subcategory"] = [N_("This subcategory does not belong to the chosen category.")]
    if filters.status and filters.status not in lifecycle.STATUSES:
        errors["status"] = [N_("Unknown status.")]
    if filters.sort not in SORTS:
        errors["sort"] = [N_("Unknown sort order.")]
    if filters.radius_km is not None and not 0 < filters.radius_km <= 1000:
        errors["radius_km"] = [N_("The radius must be between 1 and 1,000 km.")]
    if errors:
        raise ValidationFailed(N_("Some fields are not valid."), errors)


def _has_term_starting_with(word: str):
    # A prefix range uses the primary key index on both databases ("broy" finds "broyeur").
    upper = word[:-1] + chr(ord(word[-1]) + 1)
    return Listing.id.in_(
        select(ListingTerm.listing_id).where(ListingTerm.term >= word, ListingTerm.term < upper)
    )


def _text_conditions(session: Session, q: str | None) -> list[Any]:
    """Conditions for the text filter, looked up in the word index.

    SQLite walks the index through a sub-query. PostgreSQL's planner prefers a hash join
    over the whole table for that shape, so it gets the ids found in the index as one
    array parameter instead, which keeps it on the primary key.
    """
    words = sorted(terms_of(normalize(q or "")))
    if session.get_bind().dialect.name != "postgresql":
        return [_has_term_starting_with(word) for word in words]
    found: set[int] | None = None
    for word in words:
        upper = word[:-1] + chr(ord(word[-1]) + 1)
        query = select(ListingTerm.listing_id).where(ListingTerm.term >= word, ListingTerm.term < upper)
        ids = set(_fetch_column(session, query))
        found = ids if found is None else found & ids
    if found is None:
        return []
    return [Listing.id == any_(bindparam("text_ids", sorted(found), type_=ARRAY(Integer)))]


def _conditions(user: Any, filters: Filters) -> list[Any]:
    conditions: list[Any] = []
    if user is None:  # a visitor (issue 14): published listings their owners did not keep private
        conditions += [Listing.status == lifecycle.PUBLISHED, Listing.network_only.is_(False)]
    elif filters.mine:
        conditions.append(_managed_by(user))
        if filters.status:
            conditions.append(Listing.status == filters.status)
    elif filters.status == lifecycle.DRAFT:
        conditions.append(Listing.status == lifecycle.DRAFT)
        if user.role != ADMIN:
            conditions.append(Listing.owner_id == user.id)
    else:
        conditions.append(Listing.status == (filters.status or lifecycle.PUBLISHED))
    if filters.kind:
        conditions.append(Listing.kind == filters.kind)
    if filters.category:
        conditions.append(Listing.category == filters.category)
    if filters.subcategory:
        conditions.append(Listing.subcategory == filters.subcategory)
    return conditions


def _managed_by(user: Any):
    """Listings the user manages (mirror of can_manage_listing, as SQL)."""
    if user.role == ADMIN:
        return Listing.owner_id == user.id
    if user.role in TERRITORY_STAFF:
        staff_owner = select(User.id).where(User.territory_id == user.territory_id, User.role != ACTOR)
        return or_(
            Listing.owner_id == user.id,
            and_(Listing.territory_id == user.territory_id, Listing.owner_id.in_(staff_owner)),
        )
    return Listing.owner_id == user.id


def _reference(session: Session, user: Any, filters: Filters) -> Territory | None:
    if filters.near:
        territory = session.scalar(select(Territory).where(Territory.code == filters.near.strip().upper()))
        if territory is None or territory.latitude is None:
            raise ValidationFailed(N_("Some fields are not valid."), {"near": [N_("Unknown territory.")]})
        return territory
    if filters.sort == "nearest" and user is not None:
        return session.get(Territory, user.territory_id)
    return None


def bounding_box(latitude: float, longitude: float, radius_km: float) -> tuple[float, float, float, float]:
    """A lat/lon box that contains every point within `radius_km` (a cheap SQL prefilter)."""
    dlat = radius_km / KM_PER_DEGREE
    edge = min(89.9, abs(latitude) + dlat)
    dlon = min(180.0, dlat / math.cos(math.radians(edge)))
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def distances_km(lat0: float, lon0: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances (haversine, geopy's Earth radius): the same as geopy's great_circle."""
    phi0, lam0 = math.radians(lat0), math.radians(lon0)
    phi, lam = np.radians(lats), np.radians(lons)
    a = np.sin((phi - phi0) / 2) ** 2 + math.cos(phi0) * np.cos(phi) * np.sin((lam - lam0) / 2) ** 2
    return 2 * EARTH_RADIUS * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _fetch_column(session: Session, query) -> list:
    return [row[0] for row in _fetch_rows(session, query)]


def _fetch_rows(session: Session, query) -> list[tuple]:
    """Rows as plain tuples straight from the driver's cursor.

    No row objects: for the thousands of rows of a radius they cost more than the query. The
    statement still goes through SQLAlchemy, so its compiled form is cached (compiling it on
    every request cost as much as running it).
    """
    result = session.connection().execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _fetch_points(session: Session, query) -> np.ndarray:
    """(id, latitude, longitude) rows as one float array.

    Tens of thousands of rows may fall in a radius around a big city.
    """
    rows = _fetch_rows(session, query)
    # fromiter over the flattened tuples is several times faster than np.array on a list of tuples.
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=3 * len(rows))
    return flat.reshape(-1, 3)


def _ordered_ids(
    session: Session, user: Any, filters: Filters, offset: int, limit: int
) -> tuple[list[int], int, dict[int, float], Territory | None]:
    conditions = _conditions(user, filters) + _text_conditions(session, filters.q)
    reference = _reference(session, user, filters)
    # Newest first is the highest id first: ids grow with creation time, and the primary key
    # orders them for free.
    if reference is None and filters.q:
        # A text filter is selective: one pass gives both the page and the total.
        # No ORDER BY: the database then walks the word index, not the whole table; sort here.
        ids = sorted(
            (int(i) for i in _fetch_column(session, select(Listing.id).where(*conditions))), reverse=True
        )
        return ids[offset : offset + limit], len(ids), {}, None
    if reference is None:
        total = session.scalar(select(func.count(Listing.id)).where(*conditions)) or 0
        query = select(Listing.id).where(*conditions).order_by(Listing.id.desc())
        return list(session.scalars(query.offset(offset).limit(limit))), total, {}, None
    radius = filters.radius_km if filters.near else None
    if filters.near and radius is None:
        radius = DEFAULT_RADIUS_KM
    lat0, lon0 = reference.latitude, reference.longitude
    if radius is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(lat0, lon0, radius)
        conditions += [
            Listing.latitude.between(lat_min, lat_max),
            Listing.longitude.between(lon_min, lon_max),
        ]
    conditions.append(Listing.latitude.is_not(None))
    points = _fetch_points(
        session, select(Listing.id, Listing.latitude, Listing.longitude).where(*conditions)
    )
    if not len(points):
        return [], 0, {}, reference
    ids, lats, lons = points[:, 0].astype(np.int64), points[:, 1], points[:, 2]
    dist = distances_km(lat0, lon0, lats, lons)
    if radius is not None:
        keep = dist <= radius
        ids, dist = ids[keep], dist[keep]
    # Newest first is the same as the highest id first (ids grow with creation time).
    order = np.lexsort((-ids, dist)) if filters.sort == "nearest" else np.argsort(-ids, kind="stable")
    chosen = order[offset : offset + limit]
    page_ids = [int(i) for i in ids[chosen]]
    return page_ids, len(ids), {int(ids[i]): round(float(dist[i]), 1) for i in chosen}, reference


def browse(
    session: Session, user: Any, filters: Filters, *, page: int = 1, per_page: int = 20
) -> BrowseResult:
    """Listings matching the filters, newest or nearest first, one page at a time."""
    require(user, "network:read")
    _check_filters(filters)
    ids, total, distances, reference = _ordered_ids(session, user, filters, (page - 1) * per_page, per_page)
    by_id = {listing.id: listing for listing in session.scalars(select(Listing).where(Listing.id.in_(ids)))}
    items = [by_id[i] for i in ids if i in by_id]
    return BrowseResult(items, total, distances, reference)


# What the list API shows of a listing, read as plain rows: building twenty ORM objects (with
# their owner and territory) and walking them field by field costs more than the search itself.
SUMMARY_COLUMNS = (
    "id",
    "version",
    *CONTENT_FIELDS,
    "location_source",
    "status",
    "withdrawal_reason",
    "created_at",
    "published_at",
)


@dataclass
class BrowseRows:
    """One page of listings as rows: the SUMMARY_COLUMNS, territory_code, territory_name and
    owner_id, owner_name, owner_email, owner_organisation, owner_role."""

    rows: list[Any]
    total: int
    distances: dict[int, float] = field(default_factory=dict)


def _summary_query(ids: list[int]):
    listing = Listing.__table__.c
    return (
        select(
            *(listing[name] for name in SUMMARY_COLUMNS),
            Territory.code.label("territory_code"),
            Territory.name.label("territory_name"),
            User.id.label("owner_id"),
            User.name.label("owner_name"),
            User.email.label("owner_email"),
            User.organisation.label("owner_organisation"),
            User.role.label("owner_role"),
        )
        .select_from(Listing.__table__)
        .join(Territory.__table__, Territory.id == listing.territory_id)
        .join(User.__table__, User.id == listing.owner_id)
        .where(listing.id.in_(ids))
    )


def browse_rows(
    session: Session, user: Any, filters: Filters, *, page: int = 1, per_page: int = 20
) -> BrowseRows:
    """The same page as `browse`, as plain rows for the JSON API (no ORM objects). `user` None:
    a visitor, who sees only public listings (the door leaves the owners out)."""
    if user is not None:
        require(user, "network:read")
    _check_filters(filters)
    ids, total, distances, _reference = _ordered_ids(session, user, filters, (page - 1) * per_page, per_page)
    if not ids:
        return BrowseRows([], total, distances)
    # Core rows through the session's connection: column types are still applied (aware
    # datetimes, dates and booleans on SQLite) without the ORM's per-object bookkeeping.
    by_id = {row.id: row for row in session.connection().execute(_summary_query(ids))}
    return BrowseRows([by_id[i] for i in ids if i in by_id], total, distances)


def map_points(session: Session, user: Any, filters: Filters, *, limit: int = 1000) -> tuple[list[dict], int]:
    """Compact points for the map: [{id, kind, category, title, lat, lon}], at most `limit`."""
    require(user, "network:read")
    _check_filters(filters)
    ids, total, _distances, _ref = _ordered_ids(session, user, filters, 0, limit)
    rows = session.execute(
        select(
            Listing.id, Listing.kind, Listing.category, Listing.title, Listing.latitude, Listing.longitude
        ).where(Listing.id.in_(ids), Listing.latitude.is_not(None))
    ).all()
    by_id = {r.id: r for r in rows}
    points = [
        {
            "id": r.id,
            "kind": r.kind,
            "category": r.category,
            "title": r.title,
            "lat": round(r.latitude, 5),
            "lon": round(r.longitude, 5),
        }
        for i in ids
        if (r := by_id.get(i)) is not None
    ]
    return points, total


def my_listings(
    session: Session, user: Any, *, status: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[list[Listing], int]:
    """The listings the user manages, most recently changed first."""
    require(user, "network:read")
    if status and status not in lifecycle.STATUSES:
        raise ValidationFailed(N_("Some fields are not valid."), {"status": [N_("Unknown status.")]})
    conditions = [_managed_by(user)] + ([Listing.status == status] if status else [])
    total = session.scalar(select(func.count(Listing.id)).where(*conditions)) or 0
    query = select(Listing).where(*conditions).order_by(Listing.updated_at.desc(), Listing.id.desc())
    return list(session.scalars(query.offset((page - 1) * per_page).limit(per_page))), total


def status_counts(session: Session, user: Any) -> dict[str, int]:
    rows = session.execute(
        select(Listing.status, func.count(Listing.id)).where(_managed_by(user)).group_by(Listing.status)
    ).all()
    return {status: count for status, count in rows}
