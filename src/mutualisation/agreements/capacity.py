"""An agreement's hold on a bookable offer, kept in step with its status, and the capacity guard.

Called once per transition, inside its transaction (`services._decide_and_store`), after the new
status and effects are stored: the hold follows the status (requested → accepted → booked, or
removed when the agreement falls through), and accepting terms, approving or extending refuse
with a 409 (`listings.bookings.BookingConflict`, naming the dates) when the offer's units would
be exceeded on any day. The offer's row is locked first, so concurrent checks run one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.orm import Session

from ..errors import RuleViolation
from ..i18n import N_
from ..listings import availability, bookings
from ..listings.availability import Booking, BookingState
from .models import Agreement
from .vocabulary import Action, Status

STATE_OF_STATUS: Final[Mapping[str, BookingState]] = {
    Status.PROPOSED: BookingState.REQUESTED,
    Status.NEGOTIATING: BookingState.REQUESTED,
    Status.PENDING_APPROVAL: BookingState.ACCEPTED,
    Status.APPROVED: BookingState.BOOKED,
    Status.SIGNED: BookingState.BOOKED,
    Status.IN_PROGRESS: BookingState.BOOKED,
    Status.RETURNED: BookingState.BOOKED,
    Status.COMPLETED: BookingState.BOOKED,
    Status.EVALUATED: BookingState.BOOKED,
}

# First come, first served: an acceptance counts the acceptances and bookings before it; an
# approval counts the approved bookings (two officials approving at once: one of them waits).
CHECKS: Final[Mapping[str, frozenset[BookingState]]] = {
    Action.ACCEPT: availability.FIRM,
    Action.APPROVE: availability.BOOKED_ONLY,
    Action.DECIDE_EXTENSION: availability.FIRM,
}

NEEDS_DATES = N_("A booking needs a handover date and a return date: propose terms with both.")


def wanted_booking(agreement: Agreement, state: BookingState | None) -> Booking | None:
    """The period and units this agreement holds in `state`, or None (no state, or no dates)."""
    terms = agreement.current_terms()
    if state is None or terms is None or terms.starts_on is None or terms.ends_on is None:
        return None
    ends_on = max(agreement.extended_ends_on or terms.ends_on, terms.starts_on)
    lines = list(terms.lines or [])
    units = availability.booking_units(lines[0].get("quantity") if lines else None)
    return Booking(agreement.id, terms.starts_on, ends_on, units, state)


def keep_in_step(session: Session, agreement: Agreement, action: str, payload: Mapping[str, Any]) -> None:
    """Update the agreement's hold on its offer, refusing first what would exceed the units."""
    offer = agreement.offer
    if offer is None or not bookings.is_bookable(offer):
        return
    listing = bookings.lock_offer(session, offer.id)
    state = STATE_OF_STATUS.get(agreement.status)
    wanted = wanted_booking(agreement, state)
    check = CHECKS.get(action)
    if action == Action.DECIDE_EXTENSION and payload.get("decision") != "approve":
        check = None
    if wanted is None and state in availability.FIRM:
        raise RuleViolation(NEEDS_DATES, fields={"terms": [NEEDS_DATES]})
    bookings.hold(session, listing, agreement.id, wanted, check)
