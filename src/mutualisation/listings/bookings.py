"""Bookable offers' bookings: the capacity check under a row lock, the calendar, the browse filter.

The rules are pure (`availability.py`); this module reads and writes the `listing_bookings` rows.
Agreements call `hold` inside their own transaction on every transition (agreements/capacity.py),
so the check and the status change commit together or not at all.

Concurrency: `hold` first locks the offer's row (SELECT … FOR NO KEY UPDATE on PostgreSQL), so
two transactions booking the same offer run their check one after the other, each seeing what
the other committed. SQLite starts every write transaction with BEGIN IMMEDIATE (db.py): one
writer at a time, which gives the same order.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, RuleViolation
from ..formatting import day
from ..i18n import N_
from . import availability as rules
from .availability import Booking, BookingState
from .models import Listing, ListingBooking

CONFLICT_MESSAGE = N_("Not enough units are free on these dates: %(dates)s.")
RANGE = N_("from %(first)s to %(last)s")


class BookingConflict(Conflict):
    """The units asked for are not free on some days: the message names them.

    The dates are written in the reader's language when the message is read (the error handler
    and the flash read `message`), and `fields["dates"]` lists them as ISO ranges for API clients.
    """

    def __init__(self, days: list[dt.date]):
        self.ranges = rules.date_ranges(days)
        super().__init__(CONFLICT_MESSAGE, {"dates": [_iso(first, last) for first, last in self.ranges]})

    @property  # type: ignore[override]
    def message(self) -> str:
        if not has_request_context():
            return CONFLICT_MESSAGE % {"dates": ", ".join(_iso(a, b) for a, b in self.ranges)}
        return gettext(CONFLICT_MESSAGE, dates=", ".join(_spoken(a, b) for a, b in self.ranges))

    @message.setter
    def message(self, _value: str) -> None:
        """The message is always built from the dates (see the property)."""


def _iso(first: dt.date, last: dt.date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()}/{last.isoformat()}"


def _spoken(first: dt.date, last: dt.date) -> str:
    if first == last:
        return day(first)
    return gettext(RANGE, first=day(first), last=day(last))


def is_bookable(listing: Listing | None) -> bool:
    return listing is not None and listing.kind == "offer" and listing.bookable_units is not None


def lock_offer(session: Session, listing_id: int) -> Listing:
    """The offer, its row locked until the transaction ends (see the module docstring)."""
    stmt = select(Listing).where(Listing.id == listing_id).with_for_update(of=Listing, key_share=True)
    return session.scalars(stmt.execution_options(populate_existing=True)).unique().one()


def _as_booking(row: ListingBooking) -> Booking:
    return Booking(row.agreement_id, row.starts_on, row.ends_on, row.units, row.state)


def bookings_of(
    session: Session, listing_id: int, start: dt.date | None = None, end: dt.date | None = None
) -> list[Booking]:
    """The offer's bookings that may touch [start, end] (the buffer counted at its widest)."""
    stmt = select(ListingBooking).where(ListingBooking.listing_id == listing_id)
    if end is not None:
        stmt = stmt.where(ListingBooking.starts_on <= end)
    if start is not None:
        stmt = stmt.where(ListingBooking.ends_on >= start - dt.timedelta(days=rules.MAX_BUFFER_DAYS))
    return [_as_booking(row) for row in session.scalars(stmt)]


def hold(
    session: Session,
    listing: Listing,
    agreement_id: int,
    wanted: Booking | None,
    check_against: frozenset[BookingState] | None,
) -> None:
    """Record (or remove, when `wanted` is None) an agreement's hold on a locked bookable offer.

    With `check_against`, refuse first with `BookingConflict` when the hold would take more
    units than are left on any day, counting the other bookings in those states.
    """
    row = session.scalar(select(ListingBooking).where(ListingBooking.agreement_id == agreement_id))
    if wanted is None:
        if row is not None:
            session.delete(row)
        return
    units = listing.bookable_units or 1
    if wanted.units > units:
        message = N_("An agreement cannot take more units than the offer has.")
        raise RuleViolation(message, fields={"terms": [message]})
    if check_against is not None:
        others = bookings_of(
            session, listing.id, wanted.starts_on, wanted.last_day(listing.booking_buffer_days)
        )
        days = rules.conflicting_days(wanted, others, units, listing.booking_buffer_days, check_against)
        if days:
            raise BookingConflict(days)
    if row is None:
        row = ListingBooking(listing_id=listing.id, agreement_id=agreement_id)
        session.add(row)
    row.listing_id, row.starts_on, row.ends_on = listing.id, wanted.starts_on, wanted.ends_on
    row.units, row.state = wanted.units, str(wanted.state)
    session.flush()


def calendar(session: Session, listing: Listing, start: dt.date, end: dt.date) -> list[rules.Day]:
    """Every day of [start, end] with its booked and tentative units (a bookable offer)."""
    units = listing.bookable_units or 1
    bookings = bookings_of(session, listing.id, start, end)
    return rules.calendar_days(bookings, units, listing.booking_buffer_days, start, end)


def full_listing_ids(session: Session, start: dt.date, end: dt.date) -> set[int]:
    """Bookable offers with no unit free on some day of [start, end]: the browse filter leaves them out.

    Driven by the bookings, never by the listings: the firm bookings touching the range are read
    first, then the units and buffers of their few listings by primary key. One joined query let
    SQLite's planner, seeing few bookings, scan the 100,000 listings and probe bookings for each
    (26 ms a search); the cost now follows the bookings, not the size of the network.
    """
    firm = [str(state) for state in rules.FIRM]
    stmt = select(ListingBooking).where(
        ListingBooking.state.in_(firm),
        ListingBooking.starts_on <= end,
        ListingBooking.ends_on >= start - dt.timedelta(days=rules.MAX_BUFFER_DAYS),
    )
    found: dict[int, list[Booking]] = defaultdict(list)
    for row in session.scalars(stmt):
        found[row.listing_id].append(_as_booking(row))
    if not found:
        return set()
    shape_rows = session.execute(
        select(Listing.id, Listing.bookable_units, Listing.booking_buffer_days).where(
            Listing.id.in_(sorted(found))
        )
    )
    shape = {int(i): (units or 1, buffer_days or 0) for i, units, buffer_days in shape_rows}
    return {
        listing_id
        for listing_id, bookings in found.items()
        if not rules.free_throughout(bookings, *shape[listing_id], start, end)
    }


def territory_bookings(
    session: Session, territory_id: int, states: Iterable[str] = rules.STATES
) -> list[tuple[ListingBooking, Listing]]:
    """The bookings of a territory's bookable offers, oldest first (its calendar feed)."""
    stmt = (
        select(ListingBooking, Listing)
        .join(Listing, Listing.id == ListingBooking.listing_id)
        .where(Listing.territory_id == territory_id, ListingBooking.state.in_(list(states)))
        .order_by(ListingBooking.starts_on, ListingBooking.id)
    )
    return [(row, listing) for row, listing in session.execute(stmt)]
