"""The engine's reads through the driver give the values SQLAlchemy gives, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mutualisation.listings.models import Listing
from mutualisation.matching import snapshots
from mutualisation.matching.reading import LISTING_COLUMNS, listing_row, logged_listings
from mutualisation.matching.rows import ListingRow, fingerprint
from tests.builders import make_listing, make_territory, make_user


@pytest.mark.parametrize(
    "fields",
    [
        {
            "available_from": dt.date(2026, 3, 1),
            "available_until": dt.date(2026, 9, 30),
            "quantity": 2.5,
            "inexhaustible": True,
            "remote_possible": True,
            "max_distance_km": 80.0,
        },
        {
            "available_from": None,
            "available_until": None,
            "quantity": None,
            "inexhaustible": False,
            "remote_possible": False,
            "max_distance_km": None,
        },
    ],
)
def test_a_listing_row_read_through_the_driver_equals_the_orm_one_to_the_type(session, fields):
    make_territory(session, "93001", latitude=48.9, longitude=2.4)
    owner = make_user(session, "technician", "93001")
    listing = make_listing(session, owner, "need", category="equipment", subcategory="mower", **fields)
    listing.status = "reserved"
    session.flush()

    found = listing_row(session, listing.id)

    assert found is not None
    row, status = found
    expected = ListingRow._make(
        session.execute(select(*LISTING_COLUMNS).where(Listing.id == listing.id)).one()
    )
    assert status == "reserved"
    assert row == expected
    assert [type(v) for v in row] == [type(v) for v in expected]  # 1 == True: equality is not enough
    assert fingerprint(row) == fingerprint(expected)


def test_a_missing_listing_has_no_row(session):
    assert listing_row(session, 987654321) is None


def test_the_log_and_the_changed_rows_come_in_one_read_each_listing_once(session):
    """`logged_listings`: each logged listing once, changed when any of its entries logged its
    row, with its row (as `listing_row` reads it) only while it is a published, located listing."""
    make_territory(session, "93002", latitude=48.9, longitude=2.4)
    owner = make_user(session, "technician", "93002")
    moved = make_listing(session, owner, "offer", category="equipment", available_from=dt.date(2026, 3, 1))
    ranked_only = make_listing(session, owner, "need", category="equipment")
    withdrawn = make_listing(session, owner, "offer", category="equipment")
    twice = make_listing(session, owner, "need", category="equipment", quantity=None)
    withdrawn.status = "withdrawn"
    session.flush()
    connection = session.connection()
    since = snapshots.state(session, "equipment").version
    snapshots._bump(connection, "equipment", [moved.id, withdrawn.id], rows=True)
    snapshots._bump(connection, "equipment", [ranked_only.id, twice.id], rows=False)
    snapshots._bump(connection, "equipment", [twice.id], rows=True)

    logged = logged_listings(session, "equipment", since)

    rows = {listing.id: listing_row(session, listing.id)[0] for listing in (moved, twice)}  # type: ignore[index]
    assert logged == [
        (moved.id, True, rows[moved.id]),
        (ranked_only.id, False, None),
        (withdrawn.id, True, None),
        (twice.id, True, rows[twice.id]),
    ]
    assert [type(v) for v in logged[0][2]] == [type(v) for v in rows[moved.id]]  # type: ignore[arg-type]
    assert logged_listings(session, "equipment", snapshots.state(session, "equipment").version) == []
