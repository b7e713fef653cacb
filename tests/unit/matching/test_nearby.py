"""`nearby.within_each`: every pair within the smaller radius comes back, and little more."""

from __future__ import annotations

import dataclasses

import numpy as np

from mutualisation.geo import great_circle_km, unit_vectors
from mutualisation.matching.config import MatchingConfig
from mutualisation.matching.nearby import cos_limit, within_each

from .builders import make_network


def _points(seed: int, n: int):
    rng = np.random.default_rng(seed)
    return rng.uniform(42.5, 51.0, n), rng.uniform(-4.5, 8.0, n)


def test_within_each_keeps_every_pair_within_the_smaller_radius_once_and_sorted():
    lat, lon = _points(5, 3000)
    lat[11] = np.nan  # no coordinates: never matched
    rng = np.random.default_rng(5)
    radius = rng.choice([0.0, 3.0, 40.0, 250.0, np.inf], size=3000)
    q_lat, q_lon = _points(6, 40)
    q_lat[:2], q_lon[:2] = lat[:2], lon[:2]  # on a row: at distance 0
    q_radius = rng.choice([0.0, 20.0, 150.0, np.inf], size=40)
    q_radius[-1] = 30_000.0  # past the antipode
    found = within_each(
        unit_vectors(q_lat, q_lon), cos_limit(q_radius), unit_vectors(lat, lon), cos_limit(radius)
    )
    assert len(found) == 40
    for i, rows in enumerate(found):
        limit = np.minimum(q_radius[i], radius)
        with np.errstate(invalid="ignore"):
            inside = set(np.flatnonzero(great_circle_km(lat, lon, q_lat[i], q_lon[i]) <= limit).tolist())
        assert inside <= set(rows.tolist())
        assert np.all(np.diff(rows) > 0) and 11 not in rows
    # The margin stays a margin: nothing far beyond the smaller radius comes back.
    for i, rows in enumerate(found):
        km = great_circle_km(lat[rows], lon[rows], q_lat[i], q_lon[i])
        assert np.all(km <= np.minimum(q_radius[i], radius[rows]) * (1 + 1e-5) + 1e-2)


def test_the_cached_unit_points_follow_a_row_set_in_place():
    offers, _ = make_network(8, 50, 1, categories=("equipment",))
    before = offers.unit_points()
    moved = dataclasses.replace(offers.take(np.asarray([3])), lat=np.asarray([45.0]), lon=np.asarray([5.0]))
    offers.set_row(7, moved)
    assert offers.unit_points() is before  # patched, not rebuilt
    np.testing.assert_array_equal(before, unit_vectors(offers.lat, offers.lon))
    np.testing.assert_array_equal(offers.take(np.arange(5)).unit_points(), before[:5])


def test_a_remote_listing_reaches_the_remote_rows_everywhere_and_the_others_within_their_radius():
    lat, lon = _points(4, 2000)
    radius = np.where(np.arange(2000) % 5 == 0, np.inf, 50.0)
    q_cos = cos_limit(np.asarray([np.inf]))
    found = within_each(unit_vectors([48.0], [2.0]), q_cos, unit_vectors(lat, lon), cos_limit(radius))[0]
    km = great_circle_km(lat, lon, 48.0, 2.0)
    assert set(np.flatnonzero(np.isinf(radius) | (km <= 50.0)).tolist()) == set(found.tolist())


def test_the_cached_cosine_limits_follow_a_row_set_in_place_and_give_the_same_rows():
    offers, _ = make_network(9, 200, 1, categories=("equipment",))
    cfg = MatchingConfig()
    cos = offers.reach_cos(cfg)
    moved = dataclasses.replace(offers.take(np.asarray([3])), max_distance_km=np.asarray([12.5]))
    offers.set_row(7, moved)
    assert offers.reach_cos(cfg) is cos  # patched, not rebuilt
    np.testing.assert_array_equal(cos, cos_limit(offers.radius_km(cfg)))
    q_points, q_radius = offers.unit_points()[:20], offers.radius_km(cfg)[:20]
    points, radius = offers.unit_points(), offers.radius_km(cfg)
    given = within_each(q_points, cos_limit(q_radius), points, cos)
    computed = within_each(q_points, cos_limit(q_radius), points, cos_limit(radius))
    assert all(np.array_equal(a, b) for a, b in zip(given, computed, strict=True))
