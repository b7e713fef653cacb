import dataclasses

import numpy as np
import pytest

from mutualisation.geo import unit_vectors
from mutualisation.matching.candidates import (
    MatchingIndex,
    reach,
    score_against,
    top_k_for_needs,
    top_k_for_offers,
)
from mutualisation.matching.nearby import cos_limit, within_each
from mutualisation.matching.scoring import OFFER, ListingArrays, MatchingConfig

from .builders import make_network

CFG = MatchingConfig(min_score=0.1, top_k=5)
COOP = [(1, 2), (4, 9)]


def apply(top, result):
    """The counterpart side's suggestions after the DB layer rewrites the rows `reach` returned."""
    ids, scores = top.ids.copy(), top.scores.copy()
    pos = {int(q): i for i, q in enumerate(top.query_ids)}
    for j, q in enumerate(result.updated.query_ids):
        ids[pos[int(q)]] = result.updated.ids[j]
        scores[pos[int(q)]] = result.updated.scores[j]
    return ids, scores


def replace(arrays, listing):
    return ListingArrays.concat([arrays.take(arrays.id != listing.id[0]), listing])


def _changed(kind, change, seed=21, cfg=CFG):
    offers, needs = make_network(seed, 800, 800, categories=("equipment", "skill"))
    index = MatchingIndex(offers, needs, cfg, COOP)
    side = offers if kind == "offer" else needs
    # A listing already suggested to many counterparts, so that changing it matters.
    top = index.need_top if kind == "offer" else index.offer_top
    popular = np.bincount(np.searchsorted(side.id, top.ids[top.ids >= 0]), minlength=len(side)).argmax()
    listing = side.take(np.array([popular]))
    if change == "new":
        listing = dataclasses.replace(listing, id=np.array([5_000_000], dtype=np.int64))
    elif change == "moved":  # a new instance: the derived columns (trigonometry) follow
        listing = dataclasses.replace(listing, lat=listing.lat + 0.3)
    elif change == "withdrawn-from-radius":
        listing.max_distance_km[:] = 1.0
        listing.remote_possible[:] = False
    elif change == "narrowed":  # still valid for a few: most counterparts must look further
        listing.max_distance_km[:] = 40.0
        listing.remote_possible[:] = False
    return offers, needs, index, listing


def _assert_as_a_full_recompute(kind, offers, needs, index, listing, result, cfg=CFG):
    if kind == "offer":
        new_offers, new_needs = replace(offers, listing), needs
    else:
        new_offers, new_needs = offers, replace(needs, listing)
    full_needs = top_k_for_needs(new_offers, new_needs, cfg, cooperations=COOP)
    full_offers = top_k_for_offers(new_offers, new_needs, cfg, cooperations=COOP)
    own_full, other_full, other_top = (
        (full_offers, full_needs, index.need_top)
        if kind == "offer"
        else (full_needs, full_offers, index.offer_top)
    )
    row = int(np.flatnonzero(own_full.query_ids == listing.id[0])[0])
    assert np.array_equal(result.own.ids[0], own_full.ids[row])
    ids, scores = apply(other_top, result)
    assert np.array_equal(ids, other_full.ids)
    np.testing.assert_array_equal(scores, other_full.scores)
    assert result.updated.query_ids.size > 0 or cfg.top_k == 1  # (a new one may enter no top-1)
    assert result.updated.query_ids.size < len(other_full.query_ids)  # only the changed rows
    assert int(listing.kind[0]) == (OFFER if kind == "offer" else 1)


CHANGES = ["new", "moved", "withdrawn-from-radius", "narrowed"]


@pytest.mark.parametrize("kind", ["offer", "need"])
@pytest.mark.parametrize("change", CHANGES)
def test_reach_is_consistent_with_a_full_recompute(kind, change):
    offers, needs, index, listing = _changed(kind, change)
    result = reach(listing, index)
    _assert_as_a_full_recompute(kind, offers, needs, index, listing, result)


def _near(arrays, cfg):
    """`reach`'s `near` over `arrays` (the own side holding the listing as it is now), as the
    incremental update gives it."""
    radius = arrays.radius_km(cfg)

    def near(queries):  # the contract: only listings of the counterpart's category
        points = unit_vectors(queries.lat, queries.lon)
        found = within_each(
            points, cos_limit(queries.radius_km(cfg)), arrays.unit_points(), cos_limit(radius)
        )
        same = [at[arrays.category[at] == queries.category[i]] for i, at in enumerate(found)]
        return [np.concatenate([at, at[:3]]) for at in same]  # a position named twice is scored once

    return near


@pytest.mark.parametrize("kind", ["offer", "need"])
@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("k", [1, 5])
def test_reach_within_the_radii_is_consistent_with_a_full_recompute(kind, change, k):
    """As the incremental update calls it: only the counterparts within reach are scored, and
    counterparts that must look further search the own side patched with the listing."""
    cfg = dataclasses.replace(CFG, top_k=k)
    offers, needs, index, listing = _changed(kind, change, seed=22, cfg=cfg)
    own, other = (offers, needs) if kind == "offer" else (needs, offers)
    patched = replace(own, listing)
    pair = (patched, needs) if kind == "offer" else (offers, patched)
    index_now = MatchingIndex.from_tops(*pair, cfg, index.offer_top, index.need_top, COOP)
    at = within_each(
        listing.unit_points(), listing.reach_cos(cfg), other.unit_points(), other.reach_cos(cfg)
    )[0]
    at = at[other.category[at] == listing.category[0]]
    scored = score_against(listing, other, cfg, index.coop_keys, at, same_category=True)
    result = reach(listing, index_now, scored, near=_near(patched, cfg))
    _assert_as_a_full_recompute(kind, offers, needs, index, listing, result, cfg)
