"""The per-process mirror of the stored top-k lists (`snapshots.SideArrays.top`) is never read stale.

Another process is played by this one with its snapshots put aside: what that process writes must
make the next update here reload the mirror or mark the rows it rewrote stale, and an update must
re-read every stale row it reads, never compute from the old one.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from sqlalchemy import text

from mutualisation.accounts.models import User
from mutualisation.matching import engine, snapshots
from mutualisation.matching.reading import ranked
from mutualisation.matching.scoring import MatchingConfig
from tests.builders import make_neutral_listing
from tests.integration.test_matching_engine import (
    CFG,
    change_together,
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
    """Every mirrored list equals the stored one, but those marked stale: an update re-reads them
    before it reads them (the results' exactness, `expected_pairs`, checks that)."""
    for kind, side in _snapshot(session, category).sides.items():
        assert side.top is not None
        stored = snapshots.stored_top(side.arrays.id, ranked(session, category, kind == "offer", k), k)
        assert np.array_equal(side.top.query_ids, side.arrays.id)
        fresh = ~np.isin(side.arrays.id, sorted(side.stale))
        assert np.array_equal(side.top.ids[fresh], stored.ids[fresh])
        np.testing.assert_array_equal(side.top.scores[fresh], stored.scores[fresh])
        np.testing.assert_array_equal(side.top.distances[fresh], stored.distances[fresh])


def _stale_rows(snapshot) -> int:
    return sum(len(side.stale) for side in snapshot.sides.values())


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


def test_an_update_of_the_same_listing_by_another_worker_is_caught_up_in_the_mirror(session):
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
    # Caught up from the log (the lists the other worker rewrote re-read), not reloaded.
    assert _snapshot(session, "equipment") is ours
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


class _Workers:
    """Several processes played by this one: each keeps its own snapshots between its updates."""

    def __init__(self, n):
        self.kept = [{} for _ in range(n)]

    def update(self, worker, session, listing_id, cfg=CFG):
        snapshots.forget_snapshots()
        snapshots.SNAPSHOTS.update(self.kept[worker])
        try:
            return engine.update_for_listing(session, listing_id, cfg, coop=[])
        finally:
            self.kept[worker] = dict(snapshots.SNAPSHOTS)
            snapshots.forget_snapshots()

    def snapshot(self, worker, session, category):
        return self.kept[worker][(str(session.connection().engine.url), category)]


def _mirrors_equal_the_stored_ranks(workers, worker, session, category):
    snapshots.SNAPSHOTS.update(workers.kept[worker])
    try:
        _assert_mirrors_equal_the_stored_ranks(session, category, CFG.top_k)
    finally:
        snapshots.forget_snapshots()


@pytest.mark.parametrize("seed", [41, 42, 43])
def test_workers_taking_turns_catch_up_from_the_log_and_stay_exact(session, seed):
    listings = random_network(session, seed)
    engine.full_recompute(session, CFG, coop=[])
    rng = random.Random(seed)
    workers = _Workers(3)
    for worker in range(3):  # each loads both categories once
        for category in ("equipment", "skill"):
            workers.update(worker, session, next(x.id for x in listings if x.category == category))
    loaded = {(w, c): workers.snapshot(w, session, c) for w in range(3) for c in ("equipment", "skill")}
    left_stale = 0
    for listing in rng.sample(listings, 16):
        change = random_change(listing, rng, widen=dict(max_distance_km=500.0, remote_possible=True))
        session.flush()
        worker = rng.randrange(3)
        workers.update(worker, session, listing.id)
        _mirrors_equal_the_stored_ranks(workers, worker, session, listing.category)
        left_stale += _stale_rows(workers.snapshot(worker, session, listing.category))
        assert stored_pairs(session) == expected_pairs(listings), change
    # Every update caught up: no worker reloaded a category.
    assert all(workers.snapshot(w, session, c) is snap for (w, c), snap in loaded.items())
    # And the catch-ups left lists unread that their updates did not need: the lazy path ran.
    assert left_stale > 0


def test_a_worker_catches_up_on_new_listings_and_ones_that_left_the_category(session):
    listings = random_network(session, 44)
    engine.full_recompute(session, CFG, coop=[])
    workers = _Workers(2)
    first = next(x for x in listings if x.category == "equipment")
    workers.update(0, session, first.id)
    ours = workers.snapshot(0, session, "equipment")
    moved = next(x for x in listings if x.category == "equipment" and x.id != first.id)
    moved.category, moved.subcategory = "skill", None
    session.flush()
    workers.update(1, session, moved.id)
    owner = next(x for x in listings if x.owner_id != first.owner_id).owner_id
    new = make_neutral_listing(
        session, session.get(User, owner), kind=first.kind, category="equipment", latitude=48.5, longitude=2.5
    )
    listings.append(new)
    session.flush()
    workers.update(1, session, new.id)
    first.max_distance_km = 300.0
    session.flush()
    workers.update(0, session, first.id)
    snap = workers.snapshot(0, session, "equipment")
    assert snap is ours
    assert moved.id not in snap.sides[moved.kind].pos and new.id in snap.sides[new.kind].pos
    _mirrors_equal_the_stored_ranks(workers, 0, session, "equipment")
    assert stored_pairs(session) == expected_pairs(listings)


@pytest.mark.parametrize("cut", ["pruned", "too_many"])
def test_a_worker_reloads_when_the_log_cannot_bring_it_up_to_date(session, monkeypatch, cut):
    listings = random_network(session, 45)
    engine.full_recompute(session, CFG, coop=[])
    workers = _Workers(2)
    a, b = [x for x in listings if x.category == "equipment"][:2]
    workers.update(0, session, a.id)
    ours = workers.snapshot(0, session, "equipment")
    b.latitude = 49.3
    session.flush()
    workers.update(1, session, b.id)
    if cut == "pruned":  # the log no longer reaches back to worker 0's version
        snapshots.prune_changes(session, keep=0)
        log_from, version = session.execute(
            text("SELECT log_from, version FROM matching_state WHERE category = 'equipment'")
        ).one()
        assert log_from == version
    else:
        monkeypatch.setattr(snapshots, "CATCH_UP_MAX_LISTINGS", 0)
    a.max_distance_km = 300.0
    session.flush()
    workers.update(0, session, a.id)
    assert workers.snapshot(0, session, "equipment") is not ours
    _mirrors_equal_the_stored_ranks(workers, 0, session, "equipment")
    assert stored_pairs(session) == expected_pairs(listings)


def test_a_catch_up_marks_stale_the_lists_that_named_a_deleted_listing(session):
    """Deleting a listing outright removes its pairs with no update to log their holders."""
    listings = random_network(session, 46)
    engine.full_recompute(session, CFG, coop=[])
    workers = _Workers(1)
    ranked_pairs = stored_pairs(session)
    gone = next(x for x in listings if x.category == "equipment" and any(x.id in p for p in ranked_pairs))
    keep = next(x for x in listings if x.category == "equipment" and x.id != gone.id)
    workers.update(0, session, keep.id)
    before = workers.snapshot(0, session, "equipment")
    holders = {
        i for side in before.sides.values() for i in side.top.query_ids[(side.top.ids == gone.id).any(axis=1)]
    }
    assert holders
    session.delete(gone)
    session.flush()
    keep.max_distance_km = 250.0
    session.flush()
    workers.update(0, session, keep.id)
    snap = workers.snapshot(0, session, "equipment")
    assert gone.id not in snap.sides[gone.kind].pos
    for side in snap.sides.values():  # each holder re-read by the update, or still marked stale
        unread = {int(i) for i in side.top.query_ids[(side.top.ids == gone.id).any(axis=1)]}
        assert unread <= side.stale
    _mirrors_equal_the_stored_ranks(workers, 0, session, "equipment")


@pytest.mark.parametrize(
    ("seed", "changed", "reload"),
    [(68, 2, False), (72, 2, False), (115, 3, True)],  # inexact before pending listings went first
)
def test_listings_changed_together_stay_exact_whichever_workers_update_them(
    session, monkeypatch, seed, changed, reload
):
    """Several listings of a category change before any of their updates runs (two workers at once,
    a batch of expiries), and each update lands on another worker: the first one to run places
    every pending listing, so no update ever starts from lists that rank a moved listing by its
    old state while the stored scores give its new one."""
    if reload:  # as workers did before the log of changes
        monkeypatch.setattr(snapshots, "CATCH_UP_MAX_LISTINGS", -1)
    listings = random_network(session, seed)
    engine.full_recompute(session, CFG, coop=[])
    rng = random.Random(seed)
    workers = _Workers(changed)
    for _ in range(8):
        category, batch = change_together(listings, rng, changed)
        session.flush()
        for w in rng.sample(range(changed), changed):
            workers.update(w, session, batch[w].id)
            _mirrors_equal_the_stored_ranks(workers, w, session, category)
        assert stored_pairs(session) == expected_pairs(listings)


def test_the_first_update_of_a_batch_places_every_pending_listing_of_its_category(session):
    listings = random_network(session, 47)
    engine.full_recompute(session, CFG, coop=[])
    rng = random.Random(47)
    batch = rng.sample([x for x in listings if x.category == "equipment"], 4)
    for listing in batch:
        random_change(listing, rng, widen=dict(max_distance_km=500.0, remote_possible=True))
    session.flush()
    pending = session.execute(text("SELECT listing_id FROM matching_pending WHERE category = 'equipment'"))
    assert {r[0] for r in pending} == {x.id for x in batch}
    engine.update_for_listing(session, batch[0].id, CFG, coop=[])
    assert (
        session.execute(text("SELECT count(*) FROM matching_pending WHERE category = 'equipment'")).scalar()
        == 0
    )
    assert stored_pairs(session) == expected_pairs(listings)  # the other three are placed too
    for listing in batch[1:]:  # their own updates, when they come, change nothing
        counts = engine.update_for_listing(session, listing.id, CFG, coop=[])
        assert (counts.inserted, counts.updated, counts.deleted) == (0, 0, 0)
    assert stored_pairs(session) == expected_pairs(listings)
