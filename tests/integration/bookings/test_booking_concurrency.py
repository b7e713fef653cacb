"""Overlapping bookings decided at the same moment from real connections: never more than the units.

PostgreSQL only: SQLite runs one writer at a time (BEGIN IMMEDIATE, db.py), and the test's
rolled-back transaction would hold its lock. On PostgreSQL the offer's row lock is what serialises
the capacity checks (listings/bookings.py).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mutualisation.accounts.models import User
from mutualisation.agreements import services
from mutualisation.agreements.models import Agreement
from mutualisation.domains import install_policies
from mutualisation.listings.bookings import BookingConflict
from mutualisation.listings.models import Listing, ListingBooking
from mutualisation.territories.models import Territory
from tests.builders import make_listing, make_user
from tests.committed import remove_committed

REQUESTER_TERRITORIES = ("76402", "22046", "59271", "76402")


@pytest.fixture
def staged(engine):
    """A 3-barnum Loos offer and four proposals overlapping on 10 June, really committed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency test: PostgreSQL only (SQLite serialises all writers by design)")
    install_policies()
    with Session(engine, expire_on_commit=False) as session:
        existing = set(session.scalars(select(Territory.code)))
        owner = make_user(session, "technician", "62528")
        offer = make_listing(session, owner, "offer", title="Barnums", quantity=3, bookable_units=3)
        agreements = []
        for n, code in enumerate(REQUESTER_TERRITORIES):
            requester = make_user(session, "technician", code)
            terms = {
                "starts_on": dt.date(2030, 6, 1 + n),
                "ends_on": dt.date(2030, 6, 10 + n),
                "lines": [{"description": "Barnum", "quantity": 1, "unit": "barnum"}],
            }
            agreement = services.create(session, requester, offer_id=offer.id, terms=terms)
            services.transition(session, requester, agreement.id, "propose", {"version": 0})
            agreements.append(agreement.id)
        session.commit()
        ids = {"owner": owner.id, "offer": offer.id, "agreements": agreements}
    yield ids
    remove_committed(engine, existing)


def _at_once(engine, calls):
    """Run each (user_id, agreement_id, action) in its own thread and connection, all released together."""
    barrier = threading.Barrier(len(calls))
    done: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def run(user_id: int, agreement_id: int, action: str) -> None:
        with Session(engine, expire_on_commit=False) as session:
            user = session.get(User, user_id)
            barrier.wait()
            try:
                services.transition(session, user, agreement_id, action, {"version": 1})
                done.append(agreement_id)
            except BookingConflict:
                refused.append(agreement_id)
            except BaseException as exc:  # reported to the main thread
                errors.append(exc)

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return done, refused


def _firm_units_on(engine, offer_id: int, day: dt.date) -> int:
    with Session(engine) as session:
        rows = session.scalars(
            select(ListingBooking).where(
                ListingBooking.listing_id == offer_id,
                ListingBooking.state.in_(["accepted", "booked"]),
                ListingBooking.starts_on <= day,
                ListingBooking.ends_on >= day,
            )
        ).all()
        return sum(r.units for r in rows)


def test_four_overlapping_acceptances_at_once_leave_exactly_three(engine, staged):
    calls = [(staged["owner"], agreement_id, "accept") for agreement_id in staged["agreements"]]
    done, refused = _at_once(engine, calls)
    assert len(done) == 3 and len(refused) == 1
    assert _firm_units_on(engine, staged["offer"], dt.date(2030, 6, 10)) == 3
    with Session(engine) as session:
        statuses = {a: session.get(Agreement, a).status for a in staged["agreements"]}
    assert sorted(statuses.values()) == ["pending_approval"] * 3 + ["proposed"]
    assert statuses[refused[0]] == "proposed"


def test_officials_approving_overlapping_loans_at_once_never_exceed_the_units(engine, staged):
    """Three loans accepted, then one barnum breaks (3 → 2 units): of three final approvals, two pass."""
    accepted = staged["agreements"][:3]
    with Session(engine, expire_on_commit=False) as session:
        owner = session.get(User, staged["owner"])
        loos_official = make_user(session, "official", "62528")
        calls = []
        for agreement_id in accepted:
            services.transition(session, owner, agreement_id, "accept", {"version": 1})
            services.transition(session, loos_official, agreement_id, "approve", {"version": 1})
            agreement = session.get(Agreement, agreement_id)
            territory = session.get(Territory, agreement.beneficiary_territory_id)
            calls.append((make_user(session, "official", territory.code).id, agreement_id, "approve"))
        session.execute(update(Listing).where(Listing.id == staged["offer"]).values(bookable_units=2))
        session.commit()
    done, refused = _at_once(engine, calls)
    assert len(done) == 2 and len(refused) == 1
    with Session(engine) as session:
        approved = session.scalars(
            select(Agreement.id).where(Agreement.id.in_(accepted), Agreement.status == "approved")
        ).all()
    assert sorted(approved) == sorted(done)
