"""The square that the radius search counts without measuring must lie wholly within the circle."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mutualisation.listings.placement import bounding_box, distances_km, inner_box


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-70, 70),
    lon=st.floats(-179, 179),
    radius=st.floats(1, 1000),
    fractions=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=20),
)
def test_every_point_of_the_inner_box_is_within_the_radius(lat, lon, radius, fractions):
    lat_min, lat_max, lon_min, lon_max = inner_box(lat, lon, radius)
    a, b = np.asarray(fractions).T
    lats, lons = lat_min + a * (lat_max - lat_min), lon_min + b * (lon_max - lon_min)
    assert distances_km(lat, lon, lats, lons).max() <= radius


@given(lat=st.floats(-70, 70), radius=st.floats(1, 1000))
def test_the_inner_box_is_inside_the_bounding_box_and_not_tiny(lat, radius):
    inner, outer = inner_box(lat, 2.0, radius), bounding_box(lat, 2.0, radius)
    assert outer[0] <= inner[0] < inner[1] <= outer[1] and outer[2] <= inner[2] < inner[3] <= outer[3]
    # At least two thirds of the largest square (side r·√2) in height: the split is worth it.
    assert (inner[1] - inner[0]) * 111.2 >= radius * np.sqrt(2) * 0.66
