"""A bookable offer lent again and again: holds follow the agreements, and no day is overbooked.

Runs on SQLite and PostgreSQL (the `engine` fixture); the concurrent version is in
test_booking_concurrency.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mutualisation.agreements import services
from mutualisation.errors import RuleViolation
from mutualisation.listings import bookings
from mutualisation.listings.bookings import BookingConflict
from mutualisation.listings.models import Listing, ListingBooking
from tests.builders import make_listing, make_user

D = dt.date


def make_barnums(session, owner, units=3, buffer_days=0) -> Listing:
    return make_listing(
        session,
        owner,
        "offer",
        title="Barnums 3x3 m",
        quantity=units,
        bookable_units=units,
        booking_buffer_days=buffer_days,
    )


def request(session, requester, offer, starts_on, ends_on, quantity=1):
    """A proposed agreement of `requester` on the offer, one line of `quantity` units."""
    terms = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "lines": [{"description": "Barnum", "quantity": quantity, "unit": "barnum"}],
    }
    agreement = services.create(session, requester, offer_id=offer.id, terms=terms)
    services.transition(session, requester, agreement.id, "propose", {"version": 0})
    return agreement


def accept(session, owner, agreement):
    return services.transition(session, owner, agreement.id, "accept", {"version": agreement.terms_version})


@pytest.fixture
def people(session):
    owner = make_user(session, "technician", "62528")
    return owner, [make_user(session, "technician", code) for code in ("76402", "22046", "59271", "76402")]


def test_the_fourth_booking_overlapping_three_others_on_one_day_is_refused(session, people):
    owner, requesters = people
    offer = make_barnums(session, owner)
    periods = [
        (D(2030, 6, 1), D(2030, 6, 10)),
        (D(2030, 6, 8), D(2030, 6, 12)),
        (D(2030, 6, 10), D(2030, 6, 20)),
        (D(2030, 6, 10), D(2030, 6, 11)),  # the fourth: 10 June is already taken three times
    ]
    agreements = [request(session, r, offer, *p) for r, p in zip(requesters, periods, strict=True)]
    for agreement in agreements[:3]:
        assert accept(session, owner, agreement).status == "pending_approval"
    with pytest.raises(BookingConflict) as refused:
        accept(session, owner, agreements[3])
    assert refused.value.status == 409
    assert refused.value.fields == {"dates": ["2030-06-10"]}
    assert "2030-06-10" in refused.value.message
    session.refresh(agreements[3])
    assert agreements[3].status == "proposed"  # nothing of the refused acceptance was kept
    session.refresh(offer)
    assert offer.status == "published"  # a bookable offer stays published


def test_an_approval_counts_only_approved_bookings_and_names_every_conflicting_range(session, people):
    owner, requesters = people
    offer = make_barnums(session, owner, units=1, buffer_days=2)
    first = request(session, requesters[0], offer, D(2030, 7, 1), D(2030, 7, 5))
    accept(session, owner, first)
    for code in ("76402", "62528"):
        services.transition(
            session, make_user(session, "official", code), first.id, "approve", {"version": 1}
        )
    assert first.status == "approved"
    # 6 and 7 July are the cleaning buffer after the 5 July return: still taken.
    second = request(session, requesters[1], offer, D(2030, 7, 7), D(2030, 7, 9))
    with pytest.raises(BookingConflict) as refused:
        accept(session, owner, second)
    assert refused.value.fields == {"dates": ["2030-07-07"]}
    third = request(session, requesters[2], offer, D(2030, 7, 8), D(2030, 7, 9))
    assert accept(session, owner, third).status == "pending_approval"


def test_holds_follow_the_agreement_and_vanish_when_it_falls_through(session, people):
    owner, requesters = people
    offer = make_barnums(session, owner)
    agreement = request(session, requesters[0], offer, D(2030, 8, 1), D(2030, 8, 3), quantity=2)
    hold = session.scalar(select(ListingBooking).where(ListingBooking.agreement_id == agreement.id))
    assert (hold.state, hold.units, hold.starts_on, hold.ends_on) == (
        "requested",
        2,
        D(2030, 8, 1),
        D(2030, 8, 3),
    )
    accept(session, owner, agreement)
    session.refresh(hold)
    assert hold.state == "accepted"
    days = bookings.calendar(session, offer, D(2030, 8, 1), D(2030, 8, 4))
    assert [(d.tentative, d.booked, str(d.state)) for d in days] == [
        (2, 0, "tentative"),
        (2, 0, "tentative"),
        (2, 0, "tentative"),
        (0, 0, "free"),
    ]
    services.transition(session, owner, agreement.id, "cancel", {"version": 1, "reason": "Plus besoin"})
    assert session.scalar(select(ListingBooking).where(ListingBooking.agreement_id == agreement.id)) is None


def test_accepting_a_booking_without_dates_is_refused(session, people):
    owner, requesters = people
    offer = make_barnums(session, owner)
    agreement = request(session, requesters[0], offer, None, None)
    with pytest.raises(RuleViolation):
        accept(session, owner, agreement)


def test_browse_leaves_out_an_offer_full_on_the_dates(session, people):
    from mutualisation.listings.browse import Filters, ordered_page

    owner, requesters = people
    offer = make_barnums(session, owner, units=1)
    accept(session, owner, request(session, requesters[0], offer, D(2030, 9, 1), D(2030, 9, 5)))
    viewer = requesters[1]

    def found(start, end):
        return (
            offer.id
            in ordered_page(session, viewer, Filters(available_from=start, available_to=end), 0, 500).ids
        )

    assert not found(D(2030, 9, 4), D(2030, 9, 8))
    assert found(D(2030, 9, 6), D(2030, 9, 8))


def _approve_and_start(session, owner, requester, agreement):
    for code in (owner.territory.code, requester.territory.code):
        services.transition(
            session, make_user(session, "official", code), agreement.id, "approve", {"version": 1}
        )
    for code in (owner.territory.code, requester.territory.code):
        services.transition(
            session, make_user(session, "official", code), agreement.id, "sign", {"version": 1}
        )
    services.transition(session, requester, agreement.id, "start", {"version": 1, "report": "Bon état"})


def test_an_extension_onto_booked_days_is_refused_and_one_onto_free_days_holds_them(session, people):
    owner, requesters = people
    offer = make_barnums(session, owner, units=1)
    first = request(session, requesters[0], offer, D(2030, 10, 1), D(2030, 10, 5))
    accept(session, owner, first)
    _approve_and_start(session, owner, requesters[0], first)
    accept(session, owner, request(session, requesters[1], offer, D(2030, 10, 8), D(2030, 10, 10)))
    services.transition(
        session, requesters[0], first.id, "request_extension", {"version": 1, "ends_on": "2030-10-09"}
    )
    decider = make_user(session, "official", owner.territory.code)  # beyond the approved period
    session.commit()  # the refused transition rolls back what it did, not the people made here
    with pytest.raises(BookingConflict) as refused:
        services.transition(
            session, decider, first.id, "decide_extension", {"version": 1, "decision": "approve"}
        )
    assert refused.value.fields == {"dates": ["2030-10-08/2030-10-09"]}
    services.transition(session, decider, first.id, "decide_extension", {"version": 1, "decision": "refuse"})
    services.transition(
        session, requesters[0], first.id, "request_extension", {"version": 1, "ends_on": "2030-10-07"}
    )
    services.transition(session, decider, first.id, "decide_extension", {"version": 1, "decision": "approve"})
    hold = session.scalar(select(ListingBooking).where(ListingBooking.agreement_id == first.id))
    assert (hold.state, hold.ends_on) == ("booked", D(2030, 10, 7))


def test_a_tentative_booking_expires_with_its_proposal(session, people):
    owner, requesters = people
    offer = make_barnums(session, owner)
    agreement = request(session, requesters[0], offer, D(2030, 11, 1), D(2030, 11, 2))
    assert (
        session.scalar(select(ListingBooking).where(ListingBooking.agreement_id == agreement.id)) is not None
    )
    services.transition(session, None, agreement.id, "expire")
    assert session.scalar(select(ListingBooking).where(ListingBooking.agreement_id == agreement.id)) is None
