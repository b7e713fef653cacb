"""A bookable offer's availability: the calendar page (grid and table) and its JSON twin. Thin.

The days come from `bookings.calendar`; the rules (occupancy, buffer, grid) are the pure
`availability.py`.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request
from flask_login import login_required
from flask_smorest import Blueprint as ApiBlueprint

from ..declarations import now_paris
from ..errors import RuleViolation, ValidationFailed
from ..i18n import N_
from ..web import acting_user, api_user, db_session
from . import availability, bookings
from .models import Listing
from .permissions import get_visible_listing
from .schemas import AvailabilityQuerySchema, AvailabilitySchema

bp = Blueprint("listing_calendar", __name__, url_prefix="/listings")
blp = ApiBlueprint(
    "listing_availability_api", __name__, url_prefix="/api/v1", description="Bookable offers' availability"
)

DEFAULT_MONTHS = 3
# A week from Monday (1 January 2024 was one): the grid's column headers, named by the locale.
WEEK_DAYS = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(7)]
NOT_BOOKABLE = N_("This offer is not lent by units: it has no availability calendar.")
# A need's page has no calendar either; telling its reader about "this offer" named the wrong thing.
NEED_NOT_BOOKABLE = N_("A need has no availability calendar: only offers lent by units have one.")
BAD_SPAN = N_("Ask for at most 400 days, the end not before the start.")


def _bookable(session, user, listing_id: int) -> Listing:
    listing = get_visible_listing(session, user, listing_id)
    if not bookings.is_bookable(listing):
        reason = NEED_NOT_BOOKABLE if listing.kind == "need" else NOT_BOOKABLE
        raise RuleViolation(reason, fields={"listing": [reason]})
    return listing


def _month_start(raw: str | None, today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw) if raw else today
    except ValueError:
        abort(404)
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@bp.route("/<int:listing_id>/calendar")
@login_required
def calendar(listing_id: int):
    """The coming months: free, tentative and booked days, as a grid and as a table."""
    session, user = db_session(), acting_user()
    listing = _bookable(session, user, listing_id)
    today = now_paris().date()
    first = _month_start(request.args.get("month"), today)
    end = _add_months(first, DEFAULT_MONTHS) - availability.ONE_DAY
    days = bookings.calendar(session, listing, first, end)
    return render_template(
        "listings/calendar.html",
        listing=listing,
        days=days,
        months=availability.month_grid(days),
        today=today,
        previous_month=_add_months(first, -DEFAULT_MONTHS),
        next_month=_add_months(first, DEFAULT_MONTHS),
        first=first,
        end=end,
        week_days=WEEK_DAYS,
    )


def _span(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    start = start or now_paris().date()
    end = end or _add_months(start.replace(day=1), DEFAULT_MONTHS) - availability.ONE_DAY
    if end < start or (end - start).days >= availability.MAX_SPAN_DAYS:
        raise ValidationFailed(BAD_SPAN, {"to": [BAD_SPAN]})
    return start, end


@blp.route("/listings/<int:listing_id>/availability")
@blp.arguments(AvailabilityQuerySchema, location="query")
@blp.response(200, AvailabilitySchema)
@blp.alt_response(404, description="No such listing", schema="Error")
@blp.alt_response(422, description="Not bookable, or a bad span", schema="Error")
def availability_days(query, listing_id: int):
    """The days from `from` to `to` (default: today and the next three months) with their units."""
    session = db_session()
    listing = _bookable(session, api_user(), listing_id)
    start, end = _span(query.get("from_"), query.get("to"))
    return {
        "listing_id": listing.id,
        "units": listing.bookable_units,
        "buffer_days": listing.booking_buffer_days,
        "days": bookings.calendar(session, listing, start, end),
    }
