"""The per-process mirror of the stored top-k lists (`snapshots.SideArrays.top`) never goes stale.

Another process is played by this one with its snapshots put aside: what that process writes must
make the next update here reload the mirror, never compute from the old one.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from mutualisation.matching import engine, snapshots
from mutualisation.matching.reading import ranked
from mutualisation.matching.scoring import MatchingConfig
from tests.integration.test_matching_engine import (
    CFG,
    expected_pairs,
    random_change,
    random_network,
    stored_pairs,
)


@pytest.fixture(autouse=True)
def _flushes_bump_the_categories(session_factory):
    engine.attach_flush_listener(session_factory)


def _snapshot(session, category):
    return snapshots.SNAPSHOTS[(str(session.connection().engine.url), category)]


def _assert_mirrors_equal_the_stored_ranks(session, category, k):
    for kind, side in _snapshot(session, category).sides.items():
        assert side.top is not None
        stored = snapshots.stored_top(side.arrays.id, ranked(session, category, kind == "offer", k), k)
        assert np.array_equal(side.top.query_ids, side.arrays.id)
        assert np.array_equal(side.top.ids, stored.ids)
        np.testing.assert_array_equal(side.top.scores, stored.scores)
        np.testing.assert_array_equal(side.top.distances, stored.distances)


def _in_another_process(session, step):
    """Run `step` with this process's snapshots put aside, as another worker would, then restore them."""
    ours = dict(snapshots.SNAPSHOTS)
    snapshots.forget_snapshots()
    try:
        step()
    finally:
        snapshots.forget_snapshots()
        snapshots.SNAPSHOTS.update(ours)


@pytest.mark.parametrize("seed", [31, 32])
def test_the_mirrors_follow_every_update(session, seed):
    listings = random_network(session, seed)
    engine.full_recompute(session, CFG, coop=[])
    rng = random.Random(seed)
    for listing in rng.sample(listings, 8):
        change = random_change(listing, rng, widen=dict(max_distance_km=500.0, remote_possible=True))
        session.flush()
        engine.update_for_listing(session, listing.id, CFG, coop=[])
        _assert_mirrors_equal_the_stored_ranks(session, listing.category, CFG.top_k)
        assert stored_pairs(session) == expected_pairs(listings), change


def test_an_update_of_the_same_listing_by_another_worker_reloads_the_mirror(session):
    listings = random_network(session, 33)
    engine.full_recompute(session, CFG, coop=[])
    a = max(
        (x for x in listings if x.category == "equipment"),
        key=lambda x: sum(x.id in pair for pair in stored_pairs(session)),
    )
    engine.update_for_listing(session, a.id, CFG, coop=[])
    ours = _snapshot(session, "equipment")

    def elsewhere():
        a.latitude = 49.4  # the same listing: the listings alone would be patched in place
        session.flush()
        engine.update_for_listing(session, a.id, CFG, coop=[])

    _in_another_process(session, elsewhere)
    a.max_distance_km = 40.0
    session.flush()
    engine.update_for_listing(session, a.id, CFG, coop=[])
    assert _snapshot(session, "equipment") is not ours
    _assert_mirrors_equal_the_stored_ranks(session, "equipment", CFG.top_k)
    assert stored_pairs(session) == expected_pairs(listings)


def test_a_full_recompute_by_another_process_drops_the_mirrors(session):
    listings = random_network(session, 34)
    engine.full_recompute(session, CFG, coop=[])
    a = next(x for x in listings if x.category == "equipment")
    engine.update_for_listing(session, a.id, CFG, coop=[])
    other = MatchingConfig(top_k=CFG.top_k, min_score=0.5)  # other rules: other ranks
    _in_another_process(session, lambda: engine.full_recompute(session, other, coop=[]))
    a.max_distance_km = 40.0
    session.flush()
    engine.update_for_listing(session, a.id, other, coop=[])
    _assert_mirrors_equal_the_stored_ranks(session, "equipment", other.top_k)
    assert stored_pairs(session) == expected_pairs(listings, other)
