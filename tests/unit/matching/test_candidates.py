import numpy as np
import pytest

from mutualisation.matching.candidates import brute_force_top_k, top_k_for_needs, top_k_for_offers
from mutualisation.matching.scoring import NEED, OFFER, MatchingConfig

from .builders import make_network

CFG = MatchingConfig()
LOOSE = MatchingConfig(min_score=0.0, top_k=5)


def assert_same_top_k(engine, brute):
    assert np.array_equal(engine.query_ids, brute.query_ids)
    assert np.array_equal(engine.ids, brute.ids)
    np.testing.assert_array_equal(engine.scores, brute.scores)
    np.testing.assert_array_equal(engine.distances, brute.distances)


@pytest.mark.parametrize("size", [0, 1, 50, 500, 3000])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("cfg", [CFG, LOOSE], ids=["default", "loose"])
def test_top_k_equals_brute_force_on_random_networks(size, seed, cfg):
    offers, needs = make_network(seed, size, size)
    coop = [(1, 2), (3, 5), (8, 13)]
    assert_same_top_k(
        top_k_for_needs(offers, needs, cfg, cooperations=coop),
        brute_force_top_k(offers, needs, cfg, cooperations=coop),
    )
    assert_same_top_k(
        top_k_for_offers(offers, needs, cfg, cooperations=coop),
        brute_force_top_k(offers, needs, cfg, cooperations=coop, query_kind=OFFER),
    )


def test_top_k_equals_brute_force_with_unbalanced_sides():
    offers, needs = make_network(5, 40, 900)
    assert_same_top_k(top_k_for_needs(offers, needs, LOOSE), brute_force_top_k(offers, needs, LOOSE))
    offers, needs = make_network(6, 900, 40)
    assert_same_top_k(top_k_for_needs(offers, needs, LOOSE), brute_force_top_k(offers, needs, LOOSE))


def test_equal_distances_break_ties_by_offer_id():
    offers, needs = make_network(7, 300, 100, duplicate_coordinates=False)
    # Every listing sits on one of three points, so scores and distances tie in bulk.
    points = np.array([[48.85, 2.35], [48.90, 2.40], [45.76, 4.84]])
    for arrays, seed in ((offers, 1), (needs, 2)):
        pick = np.random.default_rng(seed).integers(0, 3, len(arrays))
        arrays.lat[:], arrays.lon[:] = points[pick, 0], points[pick, 1]
        arrays.subcategory[:] = 1
        arrays.available_from[:] = np.nan
        arrays.available_until[:] = np.nan
        arrays.quantity[:] = np.nan
    engine, brute = top_k_for_needs(offers, needs, LOOSE), brute_force_top_k(offers, needs, LOOSE)
    assert_same_top_k(engine, brute)
    for i in range(len(needs)):
        row = engine.row(i)
        keys = [(-s, d, oid) for oid, s, d in row]
        assert keys == sorted(keys)


def test_zero_radius_matches_only_listings_on_the_same_point():
    offers, needs = make_network(8, 400, 400)
    offers.max_distance_km[:] = 0.0
    offers.remote_possible[:] = False
    engine = top_k_for_needs(offers, needs, LOOSE)
    assert_same_top_k(engine, brute_force_top_k(offers, needs, LOOSE))
    assert np.all(engine.distances[engine.ids >= 0] == 0.0)


def test_remote_listings_match_across_the_country_only_when_both_sides_accept():
    offers, needs = make_network(9, 600, 600, remote=0.6, categories=("know_how", "skill"))
    engine = top_k_for_needs(offers, needs, LOOSE)
    assert_same_top_k(engine, brute_force_top_k(offers, needs, LOOSE))
    far = engine.distances > 1000
    assert far.any()
    offer_remote = dict(zip(offers.id.tolist(), offers.remote_possible.tolist(), strict=True))
    for i, j in zip(*np.nonzero(far), strict=True):
        assert needs.remote_possible[i] and offer_remote[int(engine.ids[i, j])]


def test_empty_categories_and_one_sided_categories_give_no_suggestion():
    offers, _ = make_network(10, 200, 0, categories=("equipment",))
    _, needs = make_network(11, 0, 200, categories=("skill",))
    engine = top_k_for_needs(offers, needs, LOOSE)
    assert np.all(engine.ids == -1) and np.all(np.isnan(engine.scores))
    assert top_k_for_needs(offers.take(np.arange(0)), needs, LOOSE).ids.shape == (200, 5)


def test_listings_without_coordinates_get_no_suggestion_and_raise_no_error():
    offers, needs = make_network(12, 300, 300, missing_coordinates=0.3)
    engine = top_k_for_needs(offers, needs, LOOSE)
    assert_same_top_k(engine, brute_force_top_k(offers, needs, LOOSE))
    assert np.all(engine.ids[np.isnan(needs.lat)] == -1)
    unlocated = set(offers.id[np.isnan(offers.lat)].tolist())
    assert not unlocated & set(engine.ids.ravel().tolist())


def test_a_single_owner_is_never_matched_with_itself():
    offers, needs = make_network(13, 300, 300, n_owners=1)
    assert np.all(top_k_for_needs(offers, needs, LOOSE).ids == -1)
    assert np.all(brute_force_top_k(offers, needs, LOOSE).ids == -1)


def test_rows_of_the_result_follow_the_query_order():
    offers, needs = make_network(14, 100, 100)
    res = top_k_for_needs(offers, needs, CFG)
    assert np.array_equal(res.query_ids, needs.id) and res.ids.shape == (100, CFG.top_k)
    assert needs.kind[0] == NEED


@pytest.mark.parametrize("cfg", [CFG, LOOSE], ids=["default", "loose"])
def test_top_k_equals_brute_force_in_a_dense_area(cfg):
    # Everything within a few km, so that the window and quantity classes decide the certification.
    offers, needs = make_network(15, 1500, 1500)
    for arrays in (offers, needs):
        arrays.lat[:] = 48.85 + (arrays.lat - 46.75) * 0.01
        arrays.lon[:] = 2.35 + (arrays.lon - 1.75) * 0.01
    assert_same_top_k(top_k_for_needs(offers, needs, cfg), brute_force_top_k(offers, needs, cfg))
    assert_same_top_k(
        top_k_for_offers(offers, needs, cfg), brute_force_top_k(offers, needs, cfg, query_kind=OFFER)
    )


@pytest.mark.parametrize("size", [50, 500, 3000])
@pytest.mark.parametrize("cfg", [CFG, LOOSE], ids=["default", "loose"])
def test_top_k_equals_brute_force_when_targets_are_split_by_class(size, cfg, monkeypatch):
    # Small networks search one tree per subset; force the per-class trees large networks use.
    from mutualisation.matching import candidates

    monkeypatch.setattr(candidates, "_CLASS_SPLIT_MIN_TARGETS", 0)
    for offers, needs in (make_network(16, size, size), make_network(17, size, size, remote=0.5)):
        coop = [(1, 2), (3, 5), (8, 13)]
        assert_same_top_k(
            top_k_for_needs(offers, needs, cfg, cooperations=coop),
            brute_force_top_k(offers, needs, cfg, cooperations=coop),
        )
        assert_same_top_k(
            top_k_for_offers(offers, needs, cfg, cooperations=coop),
            brute_force_top_k(offers, needs, cfg, cooperations=coop, query_kind=OFFER),
        )
    offers, needs = make_network(15, size, size)
    for arrays in (offers, needs):  # a dense area, where the classes decide the certification
        arrays.lat[:] = 48.85 + (arrays.lat - 46.75) * 0.01
        arrays.lon[:] = 2.35 + (arrays.lon - 1.75) * 0.01
    assert_same_top_k(top_k_for_needs(offers, needs, cfg), brute_force_top_k(offers, needs, cfg))
    assert_same_top_k(
        top_k_for_offers(offers, needs, cfg), brute_force_top_k(offers, needs, cfg, query_kind=OFFER)
    )


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_both_sides_in_threads_equal_brute_force_side_by_side(workers, monkeypatch):
    import threading

    from mutualisation.matching import candidates

    threads = set()
    search = candidates.top_k_for_needs

    def watched(*args, **kwargs):
        threads.add(threading.get_ident())
        return search(*args, **kwargs)

    monkeypatch.setattr(candidates, "top_k_for_needs", watched)
    networks = [make_network(seed, 400, 350, remote=0.3) for seed in (21, 22, 23)]
    coop = [(1, 2), (3, 5)]
    found = candidates.top_k_both_sides(networks, CFG, coop, workers=workers)
    # One worker searches in the caller's thread; more search in the pool's threads.
    assert (threads == {threading.get_ident()}) == (workers == 1)
    assert len(found) == len(networks)
    for (offers, needs), (need_top, offer_top) in zip(networks, found, strict=True):
        assert_same_top_k(need_top, brute_force_top_k(offers, needs, CFG, cooperations=coop))
        assert_same_top_k(
            offer_top, brute_force_top_k(offers, needs, CFG, cooperations=coop, query_kind=OFFER)
        )
