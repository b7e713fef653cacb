"""Shapes of the listings API (types and required fields; business rules live in the services)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..accounts.names import display_name
from ..api_base import PageQuerySchema, PageSchema
from ..plausible import EUROS, KILOMETRES, QUANTITY, PlausibleNumber
from . import lifecycle
from .validation import CONDITIONS, KINDS, LOGISTICS
from .vocabulary import SORTS


class OwnerSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="display_name")
    organisation = fields.String()
    role = fields.String()


class ListingSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    kind = fields.String()
    category = fields.String()
    subcategory = fields.String(allow_none=True)
    title = fields.String()
    description = fields.String()
    quantity = fields.Float(allow_none=True)
    unit = fields.String(allow_none=True)
    available_from = fields.Date(allow_none=True)
    available_until = fields.Date(allow_none=True)
    recurring = fields.Boolean()
    inexhaustible = fields.Boolean()
    bookable_units = fields.Integer(allow_none=True)
    booking_buffer_days = fields.Integer()
    remote_possible = fields.Boolean()
    logistics = fields.String()
    max_distance_km = fields.Float(allow_none=True)
    conditions = fields.String()
    deposit_eur = fields.Float(allow_none=True)
    insurance_required = fields.Boolean()
    qualified_operator_required = fields.Boolean()
    network_only = fields.Boolean()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    address = fields.String(allow_none=True)
    location_source = fields.String()
    territory = fields.Function(lambda listing: listing.territory.code)
    territory_name = fields.Function(lambda listing: listing.territory.name)
    status = fields.String()
    withdrawal_reason = fields.String(allow_none=True)
    owner = fields.Nested(OwnerSchema)
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    distance_km = fields.Float()
    warnings = fields.List(fields.String())


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def listing_summary(row: Any, distance_km: float | None = None) -> dict[str, Any]:
    """What `ListingSchema` dumps for a listing, built straight from a `services.browse_rows` row.

    The list endpoint answers twenty of these per request; going through marshmallow field by
    field cost as much as the search. `ListingSchema` stays the documented shape: a test keeps
    both in step.
    """
    data = {
        "id": row.id,
        "version": row.version,
        "kind": row.kind,
        "category": row.category,
        "subcategory": row.subcategory,
        "title": row.title,
        "description": _text(row.description),
        "quantity": _float(row.quantity),
        "unit": row.unit,
        "available_from": _iso(row.available_from),
        "available_until": _iso(row.available_until),
        "recurring": bool(row.recurring),
        "inexhaustible": bool(row.inexhaustible),
        "bookable_units": row.bookable_units,
        "booking_buffer_days": int(row.booking_buffer_days or 0),
        "remote_possible": bool(row.remote_possible),
        "logistics": row.logistics,
        "max_distance_km": _float(row.max_distance_km),
        "conditions": row.conditions,
        "deposit_eur": _float(row.deposit_eur),
        "insurance_required": bool(row.insurance_required),
        "qualified_operator_required": bool(row.qualified_operator_required),
        "network_only": bool(row.network_only),
        "latitude": _float(row.latitude),
        "longitude": _float(row.longitude),
        "address": row.address,
        "location_source": row.location_source,
        "territory": row.territory_code,
        "territory_name": row.territory_name,
        "status": row.status,
        "withdrawal_reason": row.withdrawal_reason,
        "owner": {
            "id": row.owner_id,
            "name": display_name(row.owner_name, row.owner_role, row.owner_territory_name),
            "organisation": _text(row.owner_organisation),
            "role": row.owner_role,
        },
        "created_at": _iso(row.created_at),
        "published_at": _iso(row.published_at),
    }
    if distance_km is not None:
        data["distance_km"] = float(distance_km)
    return data


class _ContentSchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    category = fields.String()
    subcategory = fields.String()
    title = fields.String()
    description = fields.String()
    quantity = PlausibleNumber(QUANTITY)
    unit = fields.String(allow_none=True)
    available_from = fields.Date(allow_none=True)
    available_until = fields.Date(allow_none=True)
    recurring = fields.Boolean()
    inexhaustible = fields.Boolean()
    bookable_units = fields.Integer(allow_none=True, strict=True)
    booking_buffer_days = fields.Integer(allow_none=True, strict=True)
    remote_possible = fields.Boolean()
    logistics = fields.String(validate=validate.OneOf(LOGISTICS))
    max_distance_km = PlausibleNumber(KILOMETRES)
    conditions = fields.String(validate=validate.OneOf(CONDITIONS))
    deposit_eur = PlausibleNumber(EUROS)
    insurance_required = fields.Boolean()
    qualified_operator_required = fields.Boolean()
    network_only = fields.Boolean()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    address = fields.String(allow_none=True)


class _OwnTerritorySchema(_ContentSchema):
    territory = fields.String(
        metadata={"description": "INSEE code; a listing belongs to its author's territory, so only that one"}
    )


class ListingCreateSchema(_OwnTerritorySchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    category = fields.String(required=True)
    subcategory = fields.String(required=True)
    title = fields.String(required=True)
    publish = fields.Boolean(load_default=False, metadata={"description": "Publish at once"})
    status = fields.String(
        validate=validate.OneOf((lifecycle.DRAFT, lifecycle.PUBLISHED)),
        metadata={"description": "`published` publishes at once, like `publish: true`; `draft` by default"},
    )


class ListingPatchSchema(_OwnTerritorySchema):
    version = fields.Integer(required=True, metadata={"description": "The version you read (409 when stale)"})


class WithdrawSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(lifecycle.WITHDRAWAL_REASONS))
    reason_text = fields.String(load_default=None, allow_none=True)


class RenewSchema(Schema):
    available_until = fields.Date(load_default=None, allow_none=True)


class ListingQuerySchema(PageQuerySchema):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    category = fields.String(load_default=None)
    subcategory = fields.String(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    near = fields.String(
        load_default=None, metadata={"description": "The reference commune: its name, postcode or INSEE code"}
    )
    near_code = fields.String(
        load_default=None,
        validate=validate.Length(max=9),
        metadata={"description": "When `near` matches several communes: the INSEE code of the one meant"},
    )
    radius_km = fields.Float(load_default=None, validate=validate.Range(min=1, max=1000))
    status = fields.String(load_default=None, validate=validate.OneOf(lifecycle.STATUSES))
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(SORTS),
        metadata={
            "description": "relevance (the default; the newest first when `q` has no word to look for), "
            "newest or nearest"
        },
    )
    mine = fields.Boolean(load_default=False, metadata={"description": "Only the listings I manage"})
    available_from = fields.Date(
        load_default=None,
        metadata={"description": "Available from this day (ISO date)"},
    )
    available_to = fields.Date(
        load_default=None, metadata={"description": "Available until this day (ISO date, inclusive)"}
    )


class MapQuerySchema(ListingQuerySchema):
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=5000))


class ListingPageSchema(PageSchema):
    items = fields.List(fields.Nested(ListingSchema))


class MapPointSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    category = fields.String()
    title = fields.String()
    lat = fields.Float()
    lon = fields.Float()


class MapSchema(Schema):
    items = fields.List(fields.Nested(MapPointSchema))
    total = fields.Integer()
    truncated = fields.Boolean()


class EventSchema(Schema):
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    comment = fields.String(allow_none=True)


class SubcategorySchema(Schema):
    code = fields.String()
    label = fields.String()
    label_fr = fields.String()
    label_en = fields.String()
    closeness = fields.List(fields.String())


class CategorySchema(Schema):
    code = fields.String()
    label = fields.String()
    label_fr = fields.String()
    label_en = fields.String()
    subcategories = fields.List(fields.Nested(SubcategorySchema))


class AlertCreateSchema(Schema):
    """A saved search: the browse filters (at least one) and an optional name."""

    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KINDS))
    category = fields.String(load_default=None, allow_none=True)
    subcategory = fields.String(load_default=None, allow_none=True)
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    near = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The reference commune: its name, postcode or INSEE code (kept as the code)"
        },
    )
    near_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=9),
        metadata={"description": "When `near` matches several communes: the INSEE code of the one meant"},
    )
    radius_km = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=1, max=1000))
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AlertSchema(Schema):
    id = fields.Integer()
    label = fields.String()
    filters = fields.Dict(
        metadata={"description": "kind, category, subcategory, q, near, radius_km (set ones)"}
    )
    created_at = fields.DateTime()
    last_notified_at = fields.DateTime(allow_none=True)


class AlertPageSchema(PageSchema):
    items = fields.List(fields.Nested(AlertSchema))


class AvailabilityQuerySchema(Schema):
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "First day (ISO date)"})
    to = fields.Date(load_default=None, metadata={"description": "Last day, inclusive (ISO date)"})


class DaySchema(Schema):
    date = fields.Date(attribute="day")  # availability.Day, dumped as it is
    units = fields.Integer()
    free = fields.Integer(metadata={"description": "Units neither booked nor accepted: still bookable"})
    booked = fields.Integer(metadata={"description": "Units of approved (or later) agreements"})
    tentative = fields.Integer(metadata={"description": "Units asked for or accepted, not yet approved"})
    accepted = fields.Integer(metadata={"description": "Units of accepted agreements awaiting approval"})
    requested = fields.Integer(metadata={"description": "Units of proposals still under discussion"})
    state = fields.String(metadata={"description": "free | tentative | partly_booked | booked"})


class AvailabilitySchema(Schema):
    listing_id = fields.Integer()
    units = fields.Integer()
    buffer_days = fields.Integer()
    days = fields.List(fields.Nested(DaySchema))
