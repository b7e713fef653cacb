import numpy as np
import pytest
from geopy.distance import geodesic, great_circle

from mutualisation.geo import (
    EARTH_RADIUS_KM,
    chord_to_km,
    great_circle_km,
    km_to_chord,
    unit_vectors,
)


@pytest.fixture
def france_pairs():
    rng = np.random.default_rng(42)
    n = 1200
    return (
        rng.uniform(42.3, 51.1, n),
        rng.uniform(-4.8, 8.2, n),
        rng.uniform(42.3, 51.1, n),
        rng.uniform(-4.8, 8.2, n),
    )


def test_great_circle_matches_geopy_great_circle_to_a_millionth(france_pairs):
    lat1, lon1, lat2, lon2 = france_pairs
    ours = great_circle_km(lat1, lon1, lat2, lon2)
    ref = np.array([great_circle((a, b), (c, d)).km for a, b, c, d in zip(*france_pairs, strict=True)])
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


def test_great_circle_stays_within_half_a_percent_of_geodesic_over_france(france_pairs):
    lat1, lon1, lat2, lon2 = france_pairs
    ours = great_circle_km(lat1, lon1, lat2, lon2)
    ref = np.array([geodesic((a, b), (c, d)).km for a, b, c, d in zip(*france_pairs, strict=True)])
    np.testing.assert_allclose(ours, ref, rtol=5e-3)


def test_great_circle_broadcasts_one_point_against_many():
    lats, lons = np.array([48.85, 45.76, 43.30]), np.array([2.35, 4.84, 5.37])
    assert great_circle_km(48.85, 2.35, lats, lons).shape == (3,)
    assert great_circle_km(lats[:, None], lons[:, None], lats[None, :], lons[None, :]).shape == (3, 3)
    assert great_circle_km(48.85, 2.35, 48.85, 2.35) == 0.0


def test_earth_radius_comes_from_geopy():
    from geopy.distance import EARTH_RADIUS

    assert EARTH_RADIUS_KM == EARTH_RADIUS


def test_unit_vectors_have_unit_norm_and_shape():
    v = unit_vectors(np.array([0.0, 90.0, 48.85]), np.array([0.0, 0.0, 2.35]))
    assert v.shape == (3, 3) and v.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
    np.testing.assert_allclose(v[1], [0.0, 0.0, 1.0], atol=1e-15)


def test_chord_distance_between_unit_vectors_converts_back_to_great_circle_km(france_pairs):
    lat1, lon1, lat2, lon2 = france_pairs
    chord = np.linalg.norm(unit_vectors(lat1, lon1) - unit_vectors(lat2, lon2), axis=1)
    np.testing.assert_allclose(chord_to_km(chord), great_circle_km(lat1, lon1, lat2, lon2), rtol=1e-9)
    np.testing.assert_allclose(km_to_chord(chord_to_km(chord)), chord, rtol=1e-12)


def test_chord_order_is_great_circle_order(france_pairs):
    lat1, lon1, lat2, lon2 = france_pairs
    km = great_circle_km(lat1, lon1, lat2, lon2)
    chord = np.linalg.norm(unit_vectors(lat1, lon1) - unit_vectors(lat2, lon2), axis=1)
    assert np.all(np.diff(km[np.argsort(chord)]) >= -1e-9)


def test_an_infinite_radius_becomes_the_whole_sphere():
    assert km_to_chord(np.inf) == pytest.approx(2.0)
    assert km_to_chord(0.0) == 0.0
