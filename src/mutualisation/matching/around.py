"""Scoring one listing against some listings of the other side, for the incremental update.

`pairs_at` scores a listing against chosen positions (those `nearby` found within reach);
`best_among` gives the exact top-k of one listing among candidates without scoring them all:
the nearest are scored first, and a farther one only if its distance leaves it a chance to beat
their k-th. Pure: numpy only.
"""

from __future__ import annotations

import numpy as np

from .arrays import OFFER, Array, ListingArrays
from .config import MatchingConfig
from .scoring import pair_distance_km, pair_scores
from .topk import Running, empty, merge, row_top_k


def pairs_at(
    row: ListingArrays,
    other: ListingArrays,
    c_pos: Array,
    cfg: MatchingConfig,
    keys: Array | None,
    decay: float | None,
    dist: Array | None = None,
) -> tuple[Array, Array, Array]:
    """(score, valid, km) of `row` against `other[c_pos]`, aligned with `c_pos`; offer first, as
    every other scorer, so that both directions see the same floats. `dist` when known already."""
    l_pos = np.zeros(c_pos.size, dtype=np.int64)
    sides = (row, l_pos, other, c_pos) if int(row.kind[0]) == OFFER else (other, c_pos, row, l_pos)
    dist = pair_distance_km(*sides) if dist is None else dist
    score, valid = pair_scores(sides[0], sides[1], sides[2], sides[3], dist, cfg, keys, decay)
    with np.errstate(invalid="ignore"):
        valid &= score >= cfg.min_score
    return score, valid, dist


_FIRST = 256  # the nearest candidates scored first: their k-th score prunes the farther ones


def best_among(
    query: ListingArrays, own: ListingArrays, at: Array, cfg: MatchingConfig, keys: Array | None
) -> Running:
    """Top-k (one row) of the one listing `query` among `own[at]`, all of its category.

    The nearest candidates are scored first; a farther one is scored only if its score could
    reach their k-th: everything but the distance term at its maximum (`_rest_bound`), plus the
    distance term at its distance. Exact, as scoring them all."""
    k = cfg.top_k
    at = np.unique(at)  # `near` may name a listing twice
    offer = int(query.kind[0]) == OFFER
    zeros = np.zeros(at.size, dtype=np.int64)
    dist = pair_distance_km(query, zeros, own, at) if offer else pair_distance_km(own, at, query, zeros)
    first = np.argpartition(dist, _FIRST)[:_FIRST] if at.size > 2 * _FIRST else np.arange(at.size)
    best = _top_at(query, own, at[first], dist[first], cfg, keys)
    rest = np.setdiff1d(np.arange(at.size), first, assume_unique=True)
    kth = best[0][0, k - 1]
    if rest.size and np.isfinite(kth):
        remote = query.remote_possible[0] & own.remote_possible[at[rest]]
        scale = np.where(remote, cfg.remote_decay_km, cfg.decay_for(str(query.category[0])))
        reach_ = _rest_bound(cfg) + cfg.weight_distance * np.exp(-dist[rest] / scale)
        rest = rest[reach_ >= kth - 1e-9]
    if rest.size:
        best = merge([best, _top_at(query, own, at[rest], dist[rest], cfg, keys)], k)
    return best


def _rest_bound(cfg: MatchingConfig) -> float:
    """The most the criteria other than distance can add to a score."""
    sub = cfg.weight_subcategory * max(1.0, cfg.subcategory_close_factor, cfg.subcategory_wildcard_factor)
    window = cfg.weight_window * max(1.0, cfg.window_open_partial_factor)
    quantity = cfg.weight_quantity * max(1.0, cfg.quantity_unspecified_factor)
    return sub + window + quantity + cfg.weight_cooperation


def _top_at(
    query: ListingArrays, own: ListingArrays, at: Array, dist: Array, cfg: MatchingConfig, keys: Array | None
) -> Running:
    decay = cfg.decay_for(str(query.category[0]))
    score, valid, dist = pairs_at(query, own, at, cfg, keys, decay, dist)
    v = np.flatnonzero(valid)
    if not v.size:
        return empty(1, cfg.top_k)
    return row_top_k(score[None, v], dist[None, v], own.id[at[v]][None, :], cfg.top_k)
