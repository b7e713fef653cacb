import dataclasses

import numpy as np
import pytest

from mutualisation.matching.candidates import MatchingIndex, reach, top_k_for_needs, top_k_for_offers
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


@pytest.mark.parametrize("kind", ["offer", "need"])
@pytest.mark.parametrize("change", ["new", "moved", "withdrawn-from-radius"])
def test_reach_is_consistent_with_a_full_recompute(kind, change):
    offers, needs = make_network(21, 800, 800, categories=("equipment", "skill"))
    index = MatchingIndex(offers, needs, CFG, COOP)
    side = offers if kind == "offer" else needs
    # A listing already suggested to many counterparts, so that changing it matters.
    top = index.need_top if kind == "offer" else index.offer_top
    popular = np.bincount(np.searchsorted(side.id, top.ids[top.ids >= 0]), minlength=len(side)).argmax()
    listing = side.take(np.array([popular]))
    if change == "new":
        listing = dataclasses.replace(listing, id=np.array([5_000_000], dtype=np.int64))
    elif change == "moved":
        listing.lat[:] += 0.3
    else:
        listing.max_distance_km[:] = 1.0
        listing.remote_possible[:] = False

    result = reach(listing, index)

    if kind == "offer":
        new_offers, new_needs = replace(offers, listing), needs
    else:
        new_offers, new_needs = offers, replace(needs, listing)
    full_needs = top_k_for_needs(new_offers, new_needs, CFG, cooperations=COOP)
    full_offers = top_k_for_offers(new_offers, new_needs, CFG, cooperations=COOP)
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
    assert result.updated.query_ids.size > 0
    assert result.updated.query_ids.size < len(other_full.query_ids)  # only the changed rows
    assert int(listing.kind[0]) == (OFFER if kind == "offer" else 1)
