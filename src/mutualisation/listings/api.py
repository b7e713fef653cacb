"""The listings and categories JSON API. Thin: parse, call one service, answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from flask import jsonify, request
from flask_smorest import Blueprint

from ..i18n import reader_language
from ..territories.geocoding import current_geocoder
from ..web import Page, acting_user, api_user, db_session, paginated
from . import browse as browsing
from . import editing, lifecycle, transitions
from .categories import category_tree
from .permissions import get_visible_listing
from .schemas import (
    CategorySchema,
    EventSchema,
    ListingCreateSchema,
    ListingPageSchema,
    ListingPatchSchema,
    ListingQuerySchema,
    ListingSchema,
    MapQuerySchema,
    MapSchema,
    RenewSchema,
    WithdrawSchema,
    listing_summary,
)

blp = Blueprint("listings_api", __name__, url_prefix="/api/v1", description="Offers, needs and categories")

F = TypeVar("F", bound=Callable[..., Any])
ERRORS = {401: "Not logged in", 403: "Not allowed", 404: "No such listing"}


def _alt(*codes: int) -> Callable[[F], F]:
    def wrap(fn: F) -> F:
        for code in codes:
            fn = blp.alt_response(code, description=ERRORS.get(code, "Error"), schema="Error")(fn)
        return fn

    return wrap


FILTER_NAMES = tuple(f.name for f in fields(browsing.Filters))


def filters_from(args: dict[str, Any]) -> browsing.Filters:
    given: dict[str, Any] = {name: args[name] for name in FILTER_NAMES if args.get(name) is not None}
    return browsing.Filters(**given)


@blp.route("/categories")
@blp.response(200, CategorySchema(many=True))
def categories():
    """The category tree with French and English labels (plus `label` in the reader's language)."""
    return category_tree(reader_language())


@blp.route("/listings")
@blp.arguments(ListingQuerySchema, location="query")
@blp.response(200, ListingPageSchema)
@_alt(401)
def list_listings(args):
    """Browse listings: published ones network-wide by default; `near` adds `distance_km`."""
    user = api_user() if (request.headers.get("Authorization") or acting_user()) else None
    page = Page(args["page"], args["per_page"])
    result = browsing.browse_rows(
        db_session(), user, filters_from(args), page=page.page, per_page=page.per_page
    )
    items = [listing_summary(row, result.distances.get(row.id)) for row in result.rows]
    if user is None:  # visitors never see who owns a listing (issue 14)
        items = [{k: v for k, v in item.items() if k != "owner"} for item in items]
    # Already in the documented shape (ListingPageSchema): a Response is sent as it is, which
    # spares a second pass through marshmallow.
    return jsonify(paginated(items, page, result.total))


@blp.route("/listings/map")
@blp.arguments(MapQuerySchema, location="query")
@blp.response(200, MapSchema)
@_alt(401)
def map_points(args):
    """Compact points for the map (same filters as the list), at most `limit`."""
    points, total = browsing.map_points(db_session(), api_user(), filters_from(args), limit=args["limit"])
    return {"items": points, "total": total, "truncated": total > len(points)}


@blp.route("/listings", methods=["POST"])
@blp.arguments(ListingCreateSchema)
@blp.response(201, ListingSchema)
@_alt(401, 403)
def create(data):
    """Create a listing (a draft, or published at once with `publish: true` or `status: published`,
    in one commit)."""
    publish, status = data.pop("publish", False), data.pop("status", lifecycle.DRAFT)
    use_case = editing.create_published if publish or status == lifecycle.PUBLISHED else editing.create
    return use_case(db_session(), api_user(), data, geocoder=current_geocoder())


@blp.route("/listings/<int:listing_id>")
@blp.response(200, ListingSchema)
@_alt(401, 404)
def get(listing_id: int):
    return get_visible_listing(db_session(), api_user(), listing_id)


@blp.route("/listings/<int:listing_id>", methods=["PATCH"])
@blp.arguments(ListingPatchSchema)
@blp.response(200, ListingSchema)
@_alt(401, 403, 404, 409)
def patch(data, listing_id: int):
    """Edit a listing. Send the `version` you read: a stale one gets 409."""
    version = data.pop("version")
    return editing.update(
        db_session(), api_user(), listing_id, data, version=version, geocoder=current_geocoder()
    )


@blp.route("/listings/<int:listing_id>/publish", methods=["POST"])
@blp.response(200, ListingSchema)
@_alt(401, 403, 404, 409)
def publish(listing_id: int):
    return transitions.publish(db_session(), api_user(), listing_id)


@blp.route("/listings/<int:listing_id>/withdraw", methods=["POST"])
@blp.arguments(WithdrawSchema)
@blp.response(200, ListingSchema)
@_alt(401, 403, 404, 409)
def withdraw(data, listing_id: int):
    """Withdraw with a reason: exchanged_elsewhere, no_longer_available, or other (+ reason_text)."""
    return transitions.withdraw(db_session(), api_user(), listing_id, data["reason"], data["reason_text"])


@blp.route("/listings/<int:listing_id>/renew", methods=["POST"])
@blp.arguments(RenewSchema)
@blp.response(200, ListingSchema)
@_alt(401, 403, 404, 409)
def renew(data, listing_id: int):
    """Publish an expired listing again, with a new end date."""
    return transitions.renew(db_session(), api_user(), listing_id, data["available_until"])


@blp.route("/listings/<int:listing_id>/duplicate", methods=["POST"])
@blp.response(201, ListingSchema)
@_alt(401, 403, 404)
def duplicate(listing_id: int):
    """A new draft copying this listing."""
    return editing.duplicate(db_session(), api_user(), listing_id)


@blp.route("/listings/<int:listing_id>/history")
@blp.response(200, EventSchema(many=True))
@_alt(401, 404)
def history(listing_id: int):
    return editing.history(db_session(), api_user(), listing_id)
