"""Scoring one listing against some listings of the other side, for the incremental update.

`pairs_at` scores a listing against chosen positions (those `nearby` found within reach);
`best_among` gives the exact top-k of one listing among candidates without scoring them all:
the nearest are scored first, and a farther one only if its distance leaves it a chance to beat
their k-th. `best_among_many` gives the same for several listings, the small candidate sets
scored together in one vectorised pass. Pure: numpy only.
"""

from __future__ import annotations

import numpy as np

from .arrays import NO_SUBCATEGORY, OFFER, Array, ListingArrays
from .config import MatchingConfig
from .scoring import (
    filter_masks,
    pair_distance_km,
    pair_scores,
    subcategories_compatible,
    subcategory_factor,
)
from .topk import Running, empty, merge, one_top_k, row_top_k


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
    return _pairs(sides, cfg, keys, decay, dist)


_FIRST = 256  # the nearest candidates scored first: their k-th score prunes the farther ones


def best_among(
    query: ListingArrays, own: ListingArrays, at: Array, cfg: MatchingConfig, keys: Array | None
) -> Running:
    """Top-k (one row) of the one listing `query` among `own[at]`, all of its category.

    The hard filters that need no distance drop candidates first. The nearest are then scored,
    and a farther one only if its score could reach their k-th: its subcategory term, the other
    criteria at their maximum (`_rest_bounds`), plus the distance term at its distance. Exact,
    as scoring them all."""
    k = cfg.top_k
    seen = np.zeros(len(own), dtype=bool)  # `near` may name a listing twice: a mask dedupes
    seen[at] = True  # in one pass, where sorting tens of thousands of positions costs more
    at = np.flatnonzero(seen)
    offer = int(query.kind[0]) == OFFER
    zeros = np.zeros(at.size, dtype=np.int64)
    sides = (query, zeros, own, at) if offer else (own, at, query, zeros)
    # At distance 0: every hard filter but the distance.
    masks = filter_masks(sides[0], sides[1], sides[2], sides[3], np.zeros(at.size), cfg)
    ok = np.flatnonzero(masks.all())
    at, zeros, rest_bound = at[ok], zeros[ok], _rest_bounds(sides, ok, cfg)
    sides = (query, zeros, own, at) if offer else (own, at, query, zeros)
    dist = pair_distance_km(*sides)
    first = np.argpartition(dist, _FIRST)[:_FIRST] if at.size > 2 * _FIRST else np.arange(at.size)
    best = _top_at(query, own, at[first], dist[first], cfg, keys)
    rest = np.setdiff1d(np.arange(at.size), first, assume_unique=True)
    kth = best[0][0, k - 1]
    if rest.size and np.isfinite(kth):
        remote = query.remote_possible[0] & own.remote_possible[at[rest]]
        scale = np.where(remote, cfg.remote_decay_km, cfg.decay_for(str(query.category[0])))
        reach_ = rest_bound[rest] + cfg.weight_distance * np.exp(-dist[rest] / scale)
        rest = rest[reach_ >= kth - 1e-9]
    if rest.size:
        best = merge([best, _top_at(query, own, at[rest], dist[rest], cfg, keys)], k)
    return best


def _rest_bounds(
    sides: tuple[ListingArrays, Array, ListingArrays, Array], ok: Array, cfg: MatchingConfig
) -> Array:
    """Per pair, the most the criteria other than distance can add to its score: its subcategory
    term exactly, window, quantity and cooperation at their maximum."""
    offers, oi, needs, ni = sides[0], sides[1][ok], sides[2], sides[3][ok]
    o_sub, n_sub = offers.subcategory[oi], needs.subcategory[ni]
    same = (o_sub == n_sub) & (o_sub != NO_SUBCATEGORY)
    factor = subcategory_factor(same, cfg.close(o_sub, n_sub), cfg)
    window = cfg.weight_window * max(1.0, cfg.window_open_partial_factor)
    quantity = cfg.weight_quantity * max(1.0, cfg.quantity_unspecified_factor)
    return cfg.weight_subcategory * factor + (window + quantity + cfg.weight_cooperation)  # type: ignore[no-any-return]


def _top_at(
    query: ListingArrays, own: ListingArrays, at: Array, dist: Array, cfg: MatchingConfig, keys: Array | None
) -> Running:
    decay = cfg.decay_for(str(query.category[0]))
    score, valid, dist = pairs_at(query, own, at, cfg, keys, decay, dist)
    v = np.flatnonzero(valid)
    if not v.size:
        return empty(1, cfg.top_k)
    return row_top_k(score[None, v], dist[None, v], own.id[at[v]][None, :], cfg.top_k)


# Candidate sets up to this size are scored whole, with the others' in one pass; a larger one
# goes through `best_among`, whose pruning saves scoring most of it. At 100k a remote counterpart's
# set (its whole side, some 20,000) still cost less scored whole with the others than alone.
_BATCH_MAX = 1 << 15


def best_among_many(
    queries: ListingArrays, own: ListingArrays, ats: list[Array], cfg: MatchingConfig, keys: Array | None
) -> Running:
    """Top-k of each listing `queries[i]` among `own[ats[i]]` (all of one category): row i is what
    `best_among` gives for it, to the float.

    An update whose listing leaves many counterparts' top-k lists searches again for each of them
    (tens, in dense areas). One by one, each search paid the fixed cost of some fifty numpy calls
    on a few hundred or thousand candidates; here the pairs of every small candidate set go through
    the filters and the score together, and only the top-k selection runs per query."""
    out = empty(len(queries), cfg.top_k)
    unique = _each_once(ats, len(own))
    small = [i for i, at in enumerate(unique) if at.size <= _BATCH_MAX]
    for i in sorted(set(range(len(unique))) - set(small)):
        found = best_among(queries.take(np.asarray([i])), own, unique[i], cfg, keys)
        for j in range(3):
            out[j][i] = found[j][0]
    if small:
        _scored_together(queries, own, small, [unique[i] for i in small], cfg, keys, out)
    return out


def _each_once(ats: list[Array], n: int) -> list[Array]:
    """Each candidate set without repeats (`near` may name a listing twice), sorted."""
    seen = np.zeros(n, dtype=bool)
    out = []
    for at in ats:
        if at.size < 2 or bool((at[1:] > at[:-1]).all()):  # already so (`within_each`)
            out.append(at)
            continue
        seen[at] = True
        found = np.flatnonzero(seen)
        seen[found] = False
        out.append(found)
    return out


def _scored_together(
    queries: ListingArrays,
    own: ListingArrays,
    rows: list[int],
    ats: list[Array],
    cfg: MatchingConfig,
    keys: Array | None,
    out: Running,
) -> None:
    """Fill the rows `rows` of `out` with their top-k among their candidates `ats`, in one pass."""
    q = np.repeat(np.asarray(rows, dtype=np.int64), [at.size for at in ats])  # sorted: rows are
    c = np.concatenate(ats)
    # The subcategory filter drops most pairs (two in three at 100k): looked up in a table of
    # subcategory pairs, before the distance and the score, which apply every filter anyway.
    ok = np.flatnonzero(_compatible(queries.subcategory[q], own.subcategory[c], cfg))
    q, c = q[ok], c[ok]
    offer = int(queries.kind[0]) == OFFER
    sides = (queries, q, own, c) if offer else (own, c, queries, q)
    score, valid, dist = _pairs(sides, cfg, keys, cfg.decay_for(str(queries.category[0])))
    v = np.flatnonzero(valid)
    q, ids, score, dist = q[v], own.id[c[v]], score[v], dist[v]
    starts = np.searchsorted(q, rows, side="left")
    stops = np.searchsorted(q, rows, side="right")
    for i, lo, hi in zip(rows, starts.tolist(), stops.tolist(), strict=True):
        if hi > lo:
            found = one_top_k(score[lo:hi], dist[lo:hi], ids[lo:hi], cfg.top_k)
            for j in range(3):
                out[j][i] = found[j]


_TABLE_MAX = 1024  # subcategory ints (the taxonomy's codes) below which a table answers


def _compatible(sub_a: Array, sub_b: Array, cfg: MatchingConfig) -> Array:
    """`subcategories_compatible` pair by pair, looked up in a table of every pair of the ints
    present: two gathers where the filter itself costs a dozen passes over the pairs."""
    if not sub_a.size:
        return np.zeros(0, dtype=bool)
    low, high = min(sub_a.min(), sub_b.min()), max(sub_a.max(), sub_b.max())
    if low < 0 or high >= _TABLE_MAX:
        return subcategories_compatible(sub_a, sub_b, cfg)
    n = int(high) + 1
    a, b = np.divmod(np.arange(n * n, dtype=np.int64), n)
    table = subcategories_compatible(a, b, cfg)
    return table[sub_a * n + sub_b]  # type: ignore[no-any-return]


def _pairs(
    sides: tuple[ListingArrays, Array, ListingArrays, Array],
    cfg: MatchingConfig,
    keys: Array | None,
    decay: float | None,
    dist: Array | None = None,
) -> tuple[Array, Array, Array]:
    """(score, valid, km) of the pairs (offers[oi], needs[ni]) of one category, `min_score`
    included: `pairs_at` and `best_among_many` share it, so both see the same floats."""
    dist = pair_distance_km(*sides) if dist is None else dist
    score, valid = pair_scores(sides[0], sides[1], sides[2], sides[3], dist, cfg, keys, decay)
    with np.errstate(invalid="ignore"):
        valid &= score >= cfg.min_score
    return score, valid, dist
