"""`nearby`: the ball query of the incremental update returns every row it must, patches included."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mutualisation.geo import great_circle_km, unit_vectors
from mutualisation.matching.nearby import REBUILD_AFTER, Nearby, reachable, within_each

from .builders import make_network


def _points(seed: int, n: int):
    rng = np.random.default_rng(seed)
    return rng.uniform(42.5, 51.0, n), rng.uniform(-4.5, 8.0, n)


def _within(lat, lon, at, km):
    return set(np.flatnonzero(great_circle_km(lat, lon, *at) <= km).tolist())


@pytest.mark.parametrize("km", [0.0, 5.0, 60.0, 300.0, np.inf])
def test_within_returns_every_row_inside_the_radius(km):
    lat, lon = _points(1, 3000)
    nearby = Nearby(lat, lon)
    for i in range(0, 3000, 97):
        assert _within(lat, lon, (lat[i], lon[i]), km) <= set(nearby.within(lat[i], lon[i], km).tolist())


def test_moved_appended_and_dropped_rows_are_followed():
    lat, lon = _points(2, 2000)
    nearby = Nearby(lat, lon)
    lat[5], lon[5] = 48.85, 2.35  # moved to Paris
    nearby.moved(5)
    lat, lon = np.append(lat, 48.9), np.append(lon, 2.3)  # appended near Paris
    nearby.moved(len(lat) - 1)
    keep = np.ones(len(lat), dtype=bool)
    keep[[3, 700]] = False
    for row in (700, 3):  # dropped, later rows first then earlier: positions shift each time
        nearby.dropped(row)
    lat, lon = lat[keep], lon[keep]
    for i in range(0, len(lat), 41):
        for km in (20.0, 150.0):
            found = nearby.within(lat[i], lon[i], km)
            assert _within(lat, lon, (lat[i], lon[i]), km) <= set(found.tolist())
            assert found.max(initial=-1) < len(lat)


def test_many_moves_ask_for_a_rebuild_and_unlocated_rows_are_left_out():
    lat, lon = _points(3, 100)
    lat[7] = np.nan
    nearby = Nearby(lat, lon)
    assert 7 not in nearby.within(lat[0], lon[0], np.inf)
    for row in range(REBUILD_AFTER + 1):
        nearby.moved(row % 100)
    assert not nearby.stale  # the same rows again and again
    for row in range(100, 100 + REBUILD_AFTER + 1):
        nearby.moved(row)
    assert nearby.stale


def test_reachable_adds_every_listing_with_an_infinite_radius_for_a_remote_one():
    lat, lon = _points(4, 2000)
    radius = np.where(np.arange(2000) % 5 == 0, np.inf, 50.0)
    nearby = Nearby(lat, lon)
    found = set(reachable(nearby, radius, 48.0, 2.0, np.inf).tolist())
    assert set(np.flatnonzero(np.isinf(radius)).tolist()) <= found
    assert _within(lat, lon, (48.0, 2.0), 50.0) <= found
    assert set(reachable(nearby, radius, 48.0, 2.0, 30.0).tolist()) >= _within(lat, lon, (48.0, 2.0), 30.0)


def test_within_each_keeps_every_pair_within_the_smaller_radius_once_and_sorted():
    lat, lon = _points(5, 3000)
    lat[11] = np.nan  # no coordinates: never matched
    rng = np.random.default_rng(5)
    radius = rng.choice([0.0, 3.0, 40.0, 250.0, np.inf], size=3000)
    q_lat, q_lon = _points(6, 40)
    q_lat[:2], q_lon[:2] = lat[:2], lon[:2]  # on a row: at distance 0
    q_radius = rng.choice([0.0, 20.0, 150.0, np.inf], size=40)
    q_radius[-1] = 30_000.0  # past the antipode
    found = within_each(unit_vectors(q_lat, q_lon), q_radius, unit_vectors(lat, lon), radius)
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
