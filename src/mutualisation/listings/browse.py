"""Browsing listings: filters, the ordered page of ids, and the three shapes a page is read in
(ORM objects for the pages, plain rows for the JSON API, compact points for the map)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import ColumnElement, Select, func, literal, or_, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import require
from ..errors import ValidationFailed
from ..fulltext import TextQuery
from ..geo import Array
from ..i18n import N_
from ..territories.models import Territory
from ..territories.services import SEVERAL_COMMUNES, UNKNOWN_COMMUNE, resolve
from . import lifecycle
from .alert_rules import radius_of
from .around import newest_within
from .availability import MAX_SPAN_DAYS
from .bookings import full_listing_ids
from .categories import taxonomy
from .fetching import fetch_array
from .models import Listing
from .permissions import drafts_visible_to, managed_by
from .placement import bounding_box, distances_km
from .text_search import listing_text
from .vocabulary import CONTENT_FIELDS, KINDS, SORTS, Sort

MAX_RADIUS_KM = 1000
INVALID = N_("Some fields are not valid.")
UNKNOWN_STATUS = N_("Unknown status.")


@dataclass
class Filters:
    kind: str | None = None
    category: str | None = None
    subcategory: str | None = None
    q: str | None = None
    near: str | None = None
    near_code: str | None = None  # the commune picked among several that `near` matches
    radius_km: float | None = None
    status: str | None = None
    sort: str | None = None  # None: by relevance
    mine: bool = False
    available_from: date | None = None
    available_to: date | None = None


@dataclass
class BrowseResult:
    items: list[Listing]
    total: int
    distances: dict[int, float] = field(default_factory=dict)
    reference: Territory | None = None


@dataclass(frozen=True)
class OrderedPage:
    """One page of listing ids in display order, the total, and distances when near a point."""

    ids: list[int]
    total: int
    distances: dict[int, float] = field(default_factory=dict)
    reference: Territory | None = None


def _known_subcategory(category: str | None, subcategory: str) -> bool:
    if category:
        return taxonomy().is_valid(category, subcategory)
    return any(taxonomy().is_valid(c.code, subcategory) for c in taxonomy().categories)


def filter_errors(filters: Filters) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if filters.kind and filters.kind not in KINDS:
        errors["kind"] = [N_("Choose offer or need.")]
    if filters.category and filters.category not in {c.code for c in taxonomy().categories}:
        errors["category"] = [N_("Unknown category.")]
    elif filters.subcategory and not _known_subcategory(filters.category, filters.subcategory):
        errors["subcategory"] = [N_("This subcategory does not belong to the chosen category.")]
    if filters.status and filters.status not in lifecycle.STATUSES:
        errors["status"] = [UNKNOWN_STATUS]
    if filters.sort is not None and filters.sort not in SORTS:
        errors["sort"] = [N_("Unknown sort order.")]
    if filters.radius_km is not None and not 0 < filters.radius_km <= MAX_RADIUS_KM:
        errors["radius_km"] = [N_("The radius must be between 1 and 1,000 km.")]
    errors.update(_availability_errors(filters))
    return errors


def _availability_errors(filters: Filters) -> dict[str, list[str]]:
    start, end = filters.available_from, filters.available_to
    if start is not None and end is not None:
        if end < start:
            return {"available_to": [N_("The end date is before the start date.")]}
        if end - start > timedelta(days=MAX_SPAN_DAYS):
            return {"available_to": [N_("Search at most 400 days at once.")]}
    return {}


def _availability_conditions(session: Session, filters: Filters) -> list[ColumnElement[bool]]:
    """Listings whose window covers the dates and, when bookable, with a unit free every day.

    A one-day search when only one date is given. The bookable offers that are full on some day
    come from the few bookings touching those dates (listings/bookings.py), not from a scan.
    """
    start = filters.available_from or filters.available_to
    if start is None:
        return []
    end = filters.available_to or start
    conditions = [
        or_(Listing.available_from.is_(None), Listing.available_from <= start),
        or_(Listing.available_until.is_(None), Listing.available_until >= end),
    ]
    full = full_listing_ids(session, start, end)
    if full:
        conditions.append(Listing.id.not_in(sorted(full)))
    return conditions


def _check_filters(user: Any, filters: Filters, *, visitors: bool = False) -> None:
    # Visitors (user None) may browse the public list through the JSON API only (issue 14).
    if user is not None or not visitors:
        require(user, "network:read")
    errors = filter_errors(filters)
    if errors:
        raise ValidationFailed(INVALID, errors)


def _status_conditions(user: Any, filters: Filters) -> list[ColumnElement[bool]]:
    if user is None:  # a visitor: published listings their owners did not keep private
        return [Listing.status == lifecycle.PUBLISHED, Listing.network_only.is_(False)]
    if filters.mine:
        return [managed_by(user)] + ([Listing.status == filters.status] if filters.status else [])
    if filters.status == lifecycle.DRAFT:
        return [Listing.status == lifecycle.DRAFT, *drafts_visible_to(user)]
    return [Listing.status == (filters.status or lifecycle.PUBLISHED)]


def _conditions(user: Any, filters: Filters) -> list[ColumnElement[bool]]:
    conditions = _status_conditions(user, filters)
    if filters.kind:
        conditions.append(Listing.kind == filters.kind)
    if filters.category:
        conditions.append(Listing.category == filters.category)
    if filters.subcategory:
        conditions.append(Listing.subcategory == filters.subcategory)
    return conditions


def _reference(session: Session, user: Any, filters: Filters) -> Territory | None:
    if filters.near:
        # The one commune resolver: a name, a postcode or an INSEE code, as every commune field.
        found = resolve(session, filters.near, picked=filters.near_code)
        if len(found) > 1:
            raise ValidationFailed(INVALID, {"near": [SEVERAL_COMMUNES]})
        if not found or found[0].latitude is None:
            raise ValidationFailed(INVALID, {"near": [UNKNOWN_COMMUNE]})
        return found[0]
    if filters.sort == Sort.NEAREST and user is not None:
        own = session.get(Territory, user.territory_id)
        # A territory without a point has no distances: its users get the newest first.
        return own if own is not None and own.latitude is not None else None
    return None


def _by_newest(session: Session, conditions: list[Any], offset: int, limit: int) -> OrderedPage:
    # Newest first is the highest id first: ids grow with creation time, and the primary key
    # orders them for free.
    total = session.scalar(select(func.count(Listing.id)).where(*conditions)) or 0
    query = select(Listing.id).where(*conditions).order_by(Listing.id.desc())
    return OrderedPage(list(session.scalars(query.offset(offset).limit(limit))), total)


def _by_text(session: Session, conditions: list[Any], search: Search, offset: int, limit: int) -> OrderedPage:
    """The page of a text search with no reference point, in the search's order.

    A text filter is selective: one pass gives both the page and the total. No ORDER BY: the
    database then walks the word index, not the whole table; the page is sorted here.
    """
    rows = search.rows(session, (), conditions)
    ids = rows[:, 0].astype(np.int64)
    order = search.order(ids, rows[:, 1], np.zeros(ids.size))
    return OrderedPage([int(i) for i in ids[order[offset : offset + limit]]], int(ids.size))


def _radius(filters: Filters) -> float | None:
    # The one radius rule, which saved searches apply too (alert_rules.py).
    return radius_of({"near": filters.near, "radius_km": filters.radius_km})


@dataclass(frozen=True)
class Search:
    """What orders a page: the sort in effect and the text searched, if any."""

    sort: str
    text: TextQuery | None

    @classmethod
    def of(cls, filters: Filters, text: TextQuery | None) -> Search:
        sort = filters.sort or Sort.RELEVANCE
        # Relevance without a word to rank by is the newest first, as on any classifieds site.
        return cls(Sort.NEWEST if sort == Sort.RELEVANCE and text is None else sort, text)

    @property
    def by_relevance(self) -> bool:
        return self.sort == Sort.RELEVANCE and self.text is not None

    def rows(self, session: Session, columns: tuple[Any, ...], conditions: list[Any]) -> Array:
        """(id, relevance, *columns) of every listing meeting the conditions and the text, as floats.

        Ranked, one query selects and ranks (the word index is read once); otherwise the
        relevance is 0 and the text is a condition."""
        if self.by_relevance:
            query = cast(TextQuery, self.text).ranked(session, *conditions).add_columns(*columns)
        else:
            words = [self.text.condition(session)] if self.text is not None else []
            query = select(Listing.id, literal(0.0), *columns).where(*words, *conditions)
        return fetch_array(session, query, 2 + len(columns))

    def order(self, ids: Array, relevance: Array, dist: Array) -> Array:
        """Positions of `ids` in display order; ties go to the newest (the highest id)."""
        if self.sort == Sort.NEAREST:
            return np.lexsort((-ids, dist))
        if self.by_relevance:
            return np.lexsort((-ids, -relevance))
        return np.argsort(-ids, kind="stable")


def _around(
    session: Session,
    conditions: list[Any],
    filters: Filters,
    search: Search,
    reference: Territory,
    offset: int,
    limit: int,
) -> OrderedPage:
    """The page around the reference point: within the radius, in the search's order."""
    radius = _radius(filters)
    lat0, lon0 = cast(float, reference.latitude), cast(float, reference.longitude)  # checked in _reference
    # A text filter is selective: one pass over its few points beats three queries that each
    # evaluate the word match again.
    if radius is not None and search.sort == Sort.NEWEST and search.text is None:
        page, total, near = newest_within(session, conditions, (lat0, lon0), radius, offset, limit)
        return OrderedPage(page, total, near, reference)
    conditions = [*conditions, Listing.latitude.is_not(None)]
    if radius is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(lat0, lon0, radius)
        conditions += [
            Listing.latitude.between(lat_min, lat_max),
            Listing.longitude.between(lon_min, lon_max),
        ]
    rows = search.rows(session, (Listing.latitude, Listing.longitude), conditions)
    ids, relevance = rows[:, 0].astype(np.int64), rows[:, 1]
    dist = distances_km(lat0, lon0, rows[:, 2], rows[:, 3])
    if radius is not None:
        keep = dist <= radius
        ids, relevance, dist = ids[keep], relevance[keep], dist[keep]
    chosen = search.order(ids, relevance, dist)[offset : offset + limit]
    distances = {int(ids[i]): round(float(dist[i]), 1) for i in chosen}
    return OrderedPage([int(i) for i in ids[chosen]], len(ids), distances, reference)


def ordered_page(session: Session, user: Any, filters: Filters, offset: int, limit: int) -> OrderedPage:
    """The ids of one page of listings matching checked filters, in display order."""
    text = listing_text(session, filters.q)
    search = Search.of(filters, text)
    conditions = _conditions(user, filters) + _availability_conditions(session, filters)
    reference = _reference(session, user, filters)
    if reference is not None:
        return _around(session, conditions, filters, search, reference, offset, limit)
    if text is not None:
        return _by_text(session, conditions, search, offset, limit)
    return _by_newest(session, conditions, offset, limit)


def browse(
    session: Session, user: Any, filters: Filters, *, page: int = 1, per_page: int = 20
) -> BrowseResult:
    """Listings matching the filters, newest or nearest first, one page at a time."""
    _check_filters(user, filters)
    found = ordered_page(session, user, filters, (page - 1) * per_page, per_page)
    query = select(Listing).where(Listing.id.in_(found.ids))
    by_id = {listing.id: listing for listing in session.scalars(query)}
    items = [by_id[i] for i in found.ids if i in by_id]
    return BrowseResult(items, found.total, found.distances, found.reference)


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
    owner_id, owner_name, owner_organisation, owner_role, owner_territory_name (read by name)."""

    rows: list[Any]
    total: int
    distances: dict[int, float] = field(default_factory=dict)


def _summary_query(ids: list[int]) -> Select[Any]:
    listing = Listing.__table__.c
    owner_territory = Territory.__table__.alias("owner_territory")  # names an unnamed owner
    return (
        select(
            *(listing[name] for name in SUMMARY_COLUMNS),
            Territory.code.label("territory_code"),
            Territory.name.label("territory_name"),
            User.id.label("owner_id"),
            User.name.label("owner_name"),
            User.organisation.label("owner_organisation"),
            User.role.label("owner_role"),
            owner_territory.c.name.label("owner_territory_name"),
        )
        .select_from(Listing.__table__)
        .join(Territory.__table__, Territory.id == listing.territory_id)
        .join(User.__table__, User.id == listing.owner_id)
        .join(owner_territory, owner_territory.c.id == User.territory_id)
        .where(listing.id.in_(ids))
    )


def browse_rows(
    session: Session, user: Any, filters: Filters, *, page: int = 1, per_page: int = 20
) -> BrowseRows:
    """The same page as `browse`, as plain rows for the JSON API (no ORM objects). `user` None:
    a visitor, who sees only public listings (the door leaves the owners out)."""
    _check_filters(user, filters, visitors=True)
    found = ordered_page(session, user, filters, (page - 1) * per_page, per_page)
    if not found.ids:
        return BrowseRows([], found.total, found.distances)
    # Core rows through the session's connection: column types are still applied (aware
    # datetimes, dates and booleans on SQLite) without the ORM's per-object bookkeeping.
    by_id = {row.id: row for row in session.connection().execute(_summary_query(found.ids))}
    return BrowseRows([by_id[i] for i in found.ids if i in by_id], found.total, found.distances)


def _point(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "category": row.category,
        "title": row.title,
        "lat": round(row.latitude, 5),
        "lon": round(row.longitude, 5),
    }


def map_points(
    session: Session, user: Any, filters: Filters, *, limit: int = 1000
) -> tuple[list[dict[str, Any]], int]:
    """Compact points for the map: [{id, kind, category, title, lat, lon}], at most `limit`."""
    _check_filters(user, filters)
    found = ordered_page(session, user, filters, 0, limit)
    columns = (Listing.id, Listing.kind, Listing.category, Listing.title, Listing.latitude, Listing.longitude)
    rows = session.execute(select(*columns).where(Listing.id.in_(found.ids), Listing.latitude.is_not(None)))
    by_id = {row.id: row for row in rows}
    return [_point(by_id[i]) for i in found.ids if i in by_id], found.total


def my_listings(
    session: Session, user: Any, *, status: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[list[Listing], int]:
    """The listings the user manages, most recently changed first."""
    require(user, "network:read")
    if status and status not in lifecycle.STATUSES:
        raise ValidationFailed(INVALID, {"status": [UNKNOWN_STATUS]})
    conditions = [managed_by(user)] + ([Listing.status == status] if status else [])
    total = session.scalar(select(func.count(Listing.id)).where(*conditions)) or 0
    query = select(Listing).where(*conditions).order_by(Listing.updated_at.desc(), Listing.id.desc())
    return list(session.scalars(query.offset((page - 1) * per_page).limit(per_page))), total


def status_counts(session: Session, user: Any) -> dict[str, int]:
    query = select(Listing.status, func.count(Listing.id)).where(managed_by(user)).group_by(Listing.status)
    return {status: count for status, count in session.execute(query)}
