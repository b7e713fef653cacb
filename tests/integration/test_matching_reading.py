"""The engine's reads through the driver give the values SQLAlchemy gives, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mutualisation.listings.models import Listing
from mutualisation.matching.reading import LISTING_COLUMNS, listing_row
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
