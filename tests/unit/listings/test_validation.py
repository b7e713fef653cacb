from __future__ import annotations

from datetime import date

import pytest

from mutualisation.listings.availability import MAX_BUFFER_DAYS, MAX_UNITS
from mutualisation.listings.services import bounding_box, distances_km, taxonomy
from mutualisation.listings.validation import check_listing
from mutualisation.territories.geocoding import in_france

GOOD = {
    "kind": "need",
    "category": "equipment",
    "subcategory": "green_chipper",
    "title": "Broyeur de végétaux",
    "description": "Pour le printemps",
}


def errors_for(**changes):
    return check_listing(GOOD | changes, taxonomy())


def test_a_complete_listing_has_no_errors():
    assert errors_for() == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"category": "magic"}, "category"),
        ({"subcategory": "participatory_democracy"}, "subcategory"),
        ({"subcategory": None}, "subcategory"),
        ({"available_from": date(2026, 5, 1), "available_until": date(2026, 4, 1)}, "available_until"),
        ({"quantity": -1}, "quantity"),
        ({"max_distance_km": 1001}, "max_distance_km"),
        ({"deposit_eur": -5}, "deposit_eur"),
        ({"description": "x" * 5001}, "description"),
        ({"latitude": 95.0, "longitude": 2.0}, "latitude"),
        ({"latitude": 40.4, "longitude": -3.7}, "latitude"),
        ({"latitude": 48.8, "longitude": None}, "latitude"),
        ({"inexhaustible": True}, "inexhaustible"),
        ({"remote_possible": True}, "remote_possible"),
        ({"kind": "gift"}, "kind"),
    ],
)
def test_each_bad_input_is_reported_on_its_field(changes, field):
    assert field in errors_for(**changes)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (48.85, 2.35),
        (42.7, 9.45),
        (16.25, -61.55),
        (14.6, -61.05),
        (4.9, -52.3),
        (-20.9, 55.45),
        (-12.78, 45.23),
    ],
)
def test_mainland_corsica_and_the_overseas_departements_are_inside_france(lat, lon):
    assert in_france(lat, lon)


def test_madrid_and_london_are_outside_france():
    assert not in_france(40.42, -3.70)
    assert not in_france(51.51, -0.13)


def test_distances_agree_with_geopy_great_circle():
    import numpy as np
    from geopy.distance import great_circle

    points = [(50.4578, 2.7933), (49.5265, 1.0402), (48.2716, -2.5395), (-20.9, 55.45)]
    lats = np.array([p[0] for p in points])
    lons = np.array([p[1] for p in points])
    ours = distances_km(51.0147, 2.3028, lats, lons)
    for value, point in zip(ours, points, strict=True):
        assert value == pytest.approx(great_circle((51.0147, 2.3028), point).km, rel=1e-9)


def test_the_bounding_box_contains_the_radius_circle():
    from geopy.distance import great_circle

    lat_min, lat_max, lon_min, lon_max = bounding_box(50.0, 2.0, 100)
    for bearing in range(0, 360, 15):
        dest = great_circle(kilometers=99.9).destination((50.0, 2.0), bearing)
        assert lat_min <= dest.latitude <= lat_max and lon_min <= dest.longitude <= lon_max


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bookable_units": 3}, "bookable_units"),  # a need is never booked by units
        ({"kind": "offer", "category": "skill", "subcategory": None, "bookable_units": 3}, "bookable_units"),
        ({"kind": "offer", "bookable_units": 0}, "bookable_units"),
        ({"kind": "offer", "bookable_units": 1001}, "bookable_units"),
        ({"kind": "offer", "bookable_units": 2.5}, "bookable_units"),
        ({"kind": "offer", "bookable_units": True}, "bookable_units"),
        ({"kind": "offer", "bookable_units": 3, "booking_buffer_days": -1}, "booking_buffer_days"),
        ({"kind": "offer", "bookable_units": 3, "booking_buffer_days": 31}, "booking_buffer_days"),
    ],
)
def test_booking_units_and_buffer_are_bounded_by_the_booking_rules(changes, field):
    assert field in errors_for(**changes)


def test_an_equipment_offer_takes_units_and_a_buffer_within_the_bounds():
    assert errors_for(kind="offer", bookable_units=MAX_UNITS, booking_buffer_days=MAX_BUFFER_DAYS) == {}
    assert errors_for(kind="offer", bookable_units=1, booking_buffer_days=0) == {}
