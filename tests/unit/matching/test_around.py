"""`around.best_among`: the pruned search of one listing's top-k equals scoring every candidate."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mutualisation.matching import around
from mutualisation.matching.candidates import brute_force_top_k
from mutualisation.matching.scoring import NEED, OFFER, MatchingConfig
from mutualisation.matching.topk import one_top_k, row_top_k

from .builders import make_network


def _network(category: str, alike: bool):
    """Listings squeezed into a few tens of km; `alike`: every criterion but distance at its best,
    so that the k-th scores are high and the bound prunes most candidates."""
    out = []
    for side in make_network(41, 2500, 30, categories=(category,), missing_coordinates=0.0):
        side = dataclasses.replace(
            side, lat=48.0 + (side.lat - 42.5) * 0.05, lon=2.0 + (side.lon + 4.5) * 0.05
        )
        if alike:
            n = len(side)
            side = dataclasses.replace(
                side,
                subcategory=np.ones(n, dtype=np.int64),
                available_from=np.full(n, np.nan),
                available_until=np.full(n, np.nan),
                inexhaustible=np.ones(n, dtype=bool),
            )
        out.append(side)
    return out


@pytest.mark.parametrize("category", ["equipment", "know_how"])  # fast and slow distance decays
@pytest.mark.parametrize("alike", [False, True])
@pytest.mark.parametrize("k", [1, 5])
def test_best_among_equals_the_brute_force(monkeypatch, category, alike, k):
    monkeypatch.setattr(around, "_FIRST", 8)  # most candidates go through the bound
    scored = []
    top_at = around._top_at
    monkeypatch.setattr(
        around, "_top_at", lambda q, own, at, *rest: scored.append(at.size) or top_at(q, own, at, *rest)
    )
    cfg = dataclasses.replace(MatchingConfig(min_score=0.3), top_k=k)
    offers, needs = _network(category, alike)
    for query_kind, queries, targets in ((NEED, needs, offers), (OFFER, offers.take(np.arange(30)), needs)):
        pair = (targets, queries) if query_kind == NEED else (queries, targets)
        expected = brute_force_top_k(*pair, cfg, query_kind=query_kind)
        everyone = np.arange(len(targets))
        for i in range(len(queries)):
            s, _d, t = around.best_among(queries.take(np.asarray([i])), targets, everyone, cfg, None)
            assert np.array_equal(np.where(np.isfinite(s[0]), t[0], -1), expected.ids[i])
            np.testing.assert_array_equal(np.where(np.isfinite(s[0]), s[0], np.nan), expected.scores[i])
    if alike and category == "equipment":
        assert sum(scored) < len(offers) * len(needs) / 4  # the bound pruned


@pytest.mark.parametrize("category", ["equipment", "know_how"])
@pytest.mark.parametrize("batch_max", [10**9, 300])  # everything together; the large sets alone
@pytest.mark.parametrize("k", [1, 5])
def test_best_among_many_equals_best_among_one_by_one(monkeypatch, category, batch_max, k):
    """Row for row and to the float, whatever the candidate sets: repeated positions, empty sets,
    sets of every size, and the large ones sent through `best_among` when `batch_max` is low."""
    monkeypatch.setattr(around, "_BATCH_MAX", batch_max)
    cfg = dataclasses.replace(MatchingConfig(min_score=0.3), top_k=k)
    offers, needs = _network(category, alike=False)
    rng = np.random.default_rng(7)
    for queries, own in ((needs, offers), (offers.take(np.arange(30)), needs)):
        ats = [
            rng.choice(len(own), size=int(rng.integers(0, 900)), replace=True) for _ in range(len(queries))
        ]
        ats[0] = np.empty(0, dtype=np.int64)
        ats[1] = np.arange(len(own))  # every candidate: the largest set
        s, d, t = around.best_among_many(queries, own, ats, cfg, None)
        for i in range(len(queries)):
            one = around.best_among(queries.take(np.asarray([i])), own, ats[i], cfg, None)
            np.testing.assert_array_equal(s[i], one[0][0])
            np.testing.assert_array_equal(d[i], one[1][0])
            np.testing.assert_array_equal(t[i], one[2][0])


@pytest.mark.parametrize("size", [0, 3, 10, 11, 400])
def test_one_top_k_equals_row_top_k_ties_included(size):
    rng = np.random.default_rng(size)
    score = rng.choice([0.3, 0.5, 0.7, 0.9], size)  # many ties on the score, some on the distance
    dist = rng.choice([1.0, 2.0, 3.0], size)
    tid = rng.permutation(size).astype(np.int64) + 100
    expected = row_top_k(score[None, :], dist[None, :], tid[None, :], 10)
    found = one_top_k(score, dist, tid, 10)
    for a, b in zip(found, expected, strict=True):
        np.testing.assert_array_equal(a, b[0])
