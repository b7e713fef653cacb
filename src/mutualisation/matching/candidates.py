"""Exact top-k retrieval of counterparts, fast enough for every French commune.

Each query listing (a need looking for offers, or an offer looking for needs) gets its k best
counterparts by soft score, ties broken by distance ascending then counterpart id ascending.
Results are exact: they equal `brute_force_top_k`, which scores every pair.

How it stays exact while looking at few pairs, per category:
- Counterparts are indexed in a k-d tree over 3-D unit vectors (`geo`), where chord order is
  great-circle order. A query fetches its K nearest counterparts within its radius cap; the pairs
  are scored in numpy and hard-filtered.
- Any counterpart not fetched lies at least at the K-th neighbour's distance d_K, so its score is
  at most `ub(query) + weight_distance * exp(-d_K / decay)`, where `ub` bounds the other criteria
  for that query. A query is certified once its k-th score beats that bound, or d_K exceeds its
  radius cap (nothing farther can pass the distance filter), or the bound is below `min_score`,
  or the tree is exhausted. Uncertified queries are re-fetched with K doubled.
- Targets are split by subcategory: a query of subcategory s searches the tree of subcategory s
  (factor 1 in the bound), then the tree of "no subcategory" (wildcard factor), skipping the
  incompatible ones. The k-th score found so far floors the later searches: a query is certified
  there as soon as nothing unseen can beat it.
- Targets are further split by class: quantity (a number, unspecified, inexhaustible) and which
  ends of their window are open. Given the query, each class caps the window and quantity fits
  (an open-ended need is fully covered only by a window open on the same side; an unspecified
  quantity scores its factor), so each (query, class) gets its own, tighter, `ub`. The most
  promising classes are searched first and their k-th score prunes the others. Small categories
  (under `_CLASS_SPLIT_MIN_TARGETS` targets) keep one tree per subset, with the largest class bound,
  since there the extra searches cost more than the tighter bounds save.
- Each search stops short of the distance beyond which nothing can beat the k-th score found so
  far (`distance_upper_bound`), and a doubling round scores only the neighbours the previous one
  had not fully covered, so no pair is scored twice. Pairs are screened with the cheap hard
  filters (and the radius on the chord distance, with a margin) before the exact distance and
  score, which are computed by the same elementwise functions as the brute force: identical floats.
- Remote pairs (both sides accept remote work) ignore distance limits and decay with the much
  larger `remote_decay_km`, so a remote query is split: its non-remote counterparts go through a
  tree of non-remote listings (capped by the largest radius they impose), its remote counterparts
  through a tree of remote listings with no cap and the remote decay in the bound. The exact
  partial top-k lists are merged.

Cost: the bound is only as tight as the non-distance criteria are predictable, so in dense areas
a query scores its neighbours out to the distance where the decay outweighs the spread of window
and quantity fits; the benchmark prints how this grows with the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .around import best_among_many, pairs_at
from .arrays import NEED, OFFER, Array, ListingArrays
from .config import MatchingConfig
from .memory import release_free_memory
from .scoring import coop_territories, cooperation_keys
from .search import KnnSearch, Side, Sources, class_upper_bounds, subsets_for, target_classes
from .topk import NO_ID, Pairs, Running, TopK, better, empty, row_top_k, to_topk

__all__ = [
    "MatchingIndex",
    "Reach",
    "TopK",
    "brute_force_top_k",
    "reach",
    "top_k_both_sides",
    "top_k_for_needs",
    "top_k_for_offers",
]

_DENSE_CHUNK_PAIRS = 1 << 20  # bounds the memory of dense scoring to a few tens of MB
# Below this many targets in a category, one tree per subset costs less than one per class.
_CLASS_SPLIT_MIN_TARGETS = 10_000
# Threads of a full recompute: its searches gain little beyond a few cores (memory bandwidth).
_MAX_WORKERS = 4

Cooperations = Iterable[tuple[int, int]]


@dataclass(frozen=True)
class _Query:
    """What every search of one `_top_k` call shares."""

    pairs: Pairs
    q_side: Side
    t_side: Side
    query_kind: int
    cfg: MatchingConfig
    k: int
    coop_territories: Array


def _search_group(
    query: _Query, qs: Array, sub: int, remote: bool, sources: Sources, classes: Array
) -> Running:
    """Top-k of the queries qs, which share a subcategory and a remote flag (so the target subsets)."""
    cfg, q_side = query.cfg, query.q_side
    running = empty(qs.size, query.k)
    coop = np.isin(q_side.arrays.territory[qs], query.coop_territories).astype(np.float64)
    rests = {
        int(c): class_upper_bounds(q_side, qs, query.query_kind, int(c), cfg, coop)
        for c in np.unique(classes)
    }
    if sources.merged:  # one tree for all classes, with the largest of their bounds
        rests = {0: np.max(list(rests.values()), axis=0)}
    # Most promising classes first, so that their k-th score prunes the others.
    codes = sorted(rests, key=lambda c: -float(rests[c].mean()))
    t_ids = query.t_side.arrays.id
    for subset, sub_factor in subsets_for(sub, cfg):
        for code in codes:
            ub = cfg.weight_subcategory * sub_factor + rests[code]
            for tp, tree, cap, dec in sources.runs(subset, remote, code):
                caps = q_side.radius[qs] if cap is None else np.full(qs.size, cap)
                # The k-th score found so far is a floor: targets that cannot beat it are skipped.
                search = KnnSearch(query.pairs, q_side, qs, caps, ub, t_ids[tp], tp, tree, dec, query.k)
                running = search.run(running)
    return running


def _top_k(
    queries: ListingArrays,
    query_kind: int,
    targets: ListingArrays,
    cfg: MatchingConfig,
    k: int,
    coop_keys: Array,
    coop_terr: Array,
) -> TopK:
    q_side, t_side = Side(queries, cfg), Side(targets, cfg)
    query = _Query(
        Pairs(queries, targets, query_kind, cfg, coop_keys), q_side, t_side, query_kind, cfg, k, coop_terr
    )
    out = empty(len(queries), k)
    q_ok, t_ok = q_side.located, t_side.located
    for category in np.intersect1d(queries.category[q_ok], targets.category[t_ok]):
        q_pos = np.flatnonzero(q_ok & (queries.category == category))
        t_pos = np.flatnonzero(t_ok & (targets.category == category))
        classes = target_classes(t_side, query_kind)[t_pos]
        merged = t_pos.size < _CLASS_SPLIT_MIN_TARGETS
        decay_km = cfg.decay_for(str(category))
        sources = Sources(t_side, t_pos, cfg, decay_km, np.zeros_like(classes) if merged else classes, merged)
        # Queries sharing a subcategory and a remote flag search the same target subsets.
        group = queries.subcategory[q_pos] * 2 + queries.remote_possible[q_pos]
        for key in np.unique(group):
            qs = q_pos[group == key]
            running = _search_group(query, qs, int(key // 2), bool(key % 2), sources, classes)
            for i in range(3):
                out[i][qs] = running[i]
    return to_topk(queries.id, *out)


def _coop(cooperations: Cooperations) -> tuple[Array, Array]:
    keys = cooperation_keys(cooperations)
    return keys, coop_territories(keys)


def top_k_for_needs(
    offers: ListingArrays,
    needs: ListingArrays,
    cfg: MatchingConfig,
    k: int | None = None,
    cooperations: Cooperations = (),
) -> TopK:
    """Full recompute: the k best offers of every need (rows align with `needs`)."""
    keys, terr = _coop(cooperations)
    return _top_k(needs, NEED, offers, cfg, k or cfg.top_k, keys, terr)


def top_k_for_offers(
    offers: ListingArrays,
    needs: ListingArrays,
    cfg: MatchingConfig,
    k: int | None = None,
    cooperations: Cooperations = (),
) -> TopK:
    """Full recompute: the k best needs of every offer (rows align with `offers`)."""
    keys, terr = _coop(cooperations)
    return _top_k(offers, OFFER, needs, cfg, k or cfg.top_k, keys, terr)


def top_k_both_sides(
    networks: list[tuple[ListingArrays, ListingArrays]],
    cfg: MatchingConfig,
    cooperations: Cooperations = (),
    workers: int | None = None,
) -> list[tuple[TopK, TopK]]:
    """(needs' top-k, offers' top-k) of each (offers, needs) network, computed in threads.

    The searches are independent and spend most of their time in numpy and scipy, which release
    the GIL, so on a machine with several cores a full recompute's wall time nearly halves (its
    CPU time does not change). The results are the same as computed one by one.
    """
    cooperations = list(cooperations)
    jobs = [(side, o, n) for o, n in networks for side in (NEED, OFFER)]
    workers = workers or min(_MAX_WORKERS, os.cpu_count() or 1)

    def one(job: tuple[int, ListingArrays, ListingArrays]) -> TopK:
        side, offers, needs = job
        search = top_k_for_needs if side == NEED else top_k_for_offers
        return search(offers, needs, cfg, cooperations=cooperations)

    if workers <= 1 or len(jobs) <= 1:
        done = [one(job) for job in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(one, jobs))
        release_free_memory()
    return [(done[2 * i], done[2 * i + 1]) for i in range(len(networks))]


def brute_force_top_k(
    offers: ListingArrays,
    needs: ListingArrays,
    cfg: MatchingConfig,
    k: int | None = None,
    cooperations: Cooperations = (),
    query_kind: int = NEED,
) -> TopK:
    """Reference: score every (offer, need) pair in chunks and keep each query's k best.

    No spatial index and no bound: used by the tests and the benchmark to check exactness.
    """
    k = k or cfg.top_k
    keys, _ = _coop(cooperations)
    queries, targets = (needs, offers) if query_kind == NEED else (offers, needs)
    pairs = Pairs(queries, targets, query_kind, cfg, keys)
    out = empty(len(queries), k)
    n_t = len(targets)
    if n_t == 0 or len(queries) == 0:
        return to_topk(queries.id, *out)
    chunk = max(1, _DENSE_CHUNK_PAIRS // n_t)
    t_all = np.arange(n_t)
    for start in range(0, len(queries), chunk):
        q = np.arange(start, min(start + chunk, len(queries)))
        qg, tg = np.repeat(q, n_t), np.tile(t_all, q.size)
        dist = pairs.distance(qg, tg)
        with np.errstate(invalid="ignore"):
            score, valid = pairs.score(qg, tg, dist, None)
        keep = valid & (score >= cfg.min_score)
        shape = (q.size, n_t)
        s = np.where(keep, score, -np.inf).reshape(shape)
        d = np.where(keep, dist, np.inf).reshape(shape)
        t = np.where(keep.reshape(shape), targets.id[None, :], NO_ID)
        res = row_top_k(s, d, t, k)
        for i in range(3):
            out[i][q] = res[i]
    return to_topk(queries.id, *out)


# ---------------------------------------------------------------------------------------------
# Incremental updates


@dataclass(frozen=True)
class Reach:
    """What one published or changed listing L changes in the suggestions.

    - `own`: L's top-k counterparts (one row), replacing all of L's own suggestion rows.
    - `updated`: the NEW complete top-k of every counterpart whose top-k changed: those L enters
      (L takes a place, the previous k-th drops out) and those that held the old version of L
      (recomputed exactly, since L may drop out and let another listing in).
    Every other counterpart keeps its suggestions untouched, so the DB layer rewrites only the
    rows of L and of `updated.query_ids`.
    """

    listing_id: int
    own: TopK
    updated: TopK


class MatchingIndex:
    """The state of a full recompute, against which single listings are reached incrementally.

    `MatchingIndex(offers, needs, cfg, cooperations)` runs the full recompute; `from_tops` builds
    one from top-k lists known otherwise (the engine passes the stored suggestions).
    """

    def __init__(
        self,
        offers: ListingArrays,
        needs: ListingArrays,
        cfg: MatchingConfig,
        cooperations: Cooperations = (),
    ) -> None:
        cooperations = list(cooperations)
        offer_top = top_k_for_offers(offers, needs, cfg, cooperations=cooperations)
        need_top = top_k_for_needs(offers, needs, cfg, cooperations=cooperations)
        self._set(offers, needs, cfg, offer_top, need_top, cooperations)

    @classmethod
    def from_tops(
        cls,
        offers: ListingArrays,
        needs: ListingArrays,
        cfg: MatchingConfig,
        offer_top: TopK,
        need_top: TopK,
        cooperations: Cooperations = (),
    ) -> MatchingIndex:
        """An index over `offers` and `needs` whose top-k lists are `offer_top` and `need_top`.

        Only the side opposite the listing reached is read by `reach`: its top-k rows must align
        with that side's arrays.
        """
        index = cls.__new__(cls)
        index._set(offers, needs, cfg, offer_top, need_top, list(cooperations))
        return index

    def _set(
        self,
        offers: ListingArrays,
        needs: ListingArrays,
        cfg: MatchingConfig,
        offer_top: TopK,
        need_top: TopK,
        cooperations: list[tuple[int, int]],
    ) -> None:
        self.offers, self.needs, self.cfg = offers, needs, cfg
        self.cooperations = cooperations
        self.coop_keys, self.coop_territories = _coop(cooperations)
        self.offer_top, self.need_top = offer_top, need_top


def score_against(
    row: ListingArrays,
    other: ListingArrays,
    cfg: MatchingConfig,
    keys: Array | None,
    at: Array | None = None,
    same_category: bool = False,
) -> tuple[Array, Array, Array]:
    """(score, valid, km) of the one listing `row` against every listing of `other`, hard filters
    and `min_score` included. With `at`, only those positions are scored: the others are left
    invalid (the caller knows they cannot pass the distance filter, `nearby.within_each`).
    `same_category`: the caller knows those listings share `row`'s category (a snapshot side),
    which spares comparing categories and looking their decays up pair by pair (same floats)."""
    n = len(other)
    c_pos = np.arange(n) if at is None else np.asarray(at, dtype=np.int64)
    decay = cfg.decay_for(str(row.category[0])) if same_category else None
    score, valid, dist = pairs_at(row, other, c_pos, cfg, keys, decay)
    if at is None:
        return score, valid, dist
    full = (np.full(n, np.nan), np.zeros(n, dtype=bool), np.full(n, np.nan))
    full[0][c_pos], full[1][c_pos], full[2][c_pos] = score, valid, dist
    return full


def _own_top_k(lid: int, ids: Array, scored: tuple[Array, Array, Array], k: int) -> TopK:
    """The listing's top-k from its scores against every counterpart: exact, as the brute force."""
    score, valid, dist = scored
    v = np.flatnonzero(valid)
    if not v.size:
        return to_topk(np.asarray([lid]), *empty(1, k))
    return to_topk(np.asarray([lid]), *row_top_k(score[None, v], dist[None, v], ids[None, v], k))


# Candidate positions, in the index's own side, of each row of the given counterparts: a superset
# of those that pass the distance filter, all of the counterpart's category.
Near = Callable[[ListingArrays], list[Array]]


def _rows_of(top: TopK, rows: Array) -> Running:
    """The running (scores, km, ids) matrices of some rows of `top`."""
    present = top.ids[rows] >= 0
    return (
        np.where(present, top.scores[rows], -np.inf),
        np.where(present, top.distances[rows], np.inf),
        np.where(present, top.ids[rows], NO_ID),
    )


def _without_listing(
    lid: int, old: Running, new: tuple[Array, Array, Array], k: int
) -> tuple[Running, Array]:
    """Rows that held the listing: their top-k from what is known, and which rows that settles.

    Their other k-1 entries are the exact best of the others. The listing's new pair is merged
    in; the result is exact when the stored list was not full (it held every valid counterpart),
    when the new pair ranks no lower than the old one did (the old one beat every other left
    out, so the new one does too), or when it beats the known others' last entry.
    """
    s, d, t = (a.copy() for a in old)
    gone = t == lid
    s_old, d_old = s[gone], d[gone]  # one per row, in row order
    s[gone], d[gone], t[gone] = -np.inf, np.inf, NO_ID
    score, valid, dist = new
    s_l = np.where(valid, score, -np.inf)
    merged = row_top_k(
        np.c_[s, s_l], np.c_[d, np.where(valid, dist, np.inf)], np.c_[t, np.full(len(t), lid)], k
    )
    full = (old[2] != NO_ID).all(axis=1)
    with np.errstate(invalid="ignore"):
        kept = valid & ((score > s_old) | ((score == s_old) & (dist <= d_old)))
    if k < 2:
        return merged, ~full | kept
    others = row_top_k(s, d, t, k)  # the known others, best first: k - 1 of them when full
    last = k - 2
    beats = valid & better(score, dist, lid, others[0][:, last], others[1][:, last], others[2][:, last])
    return merged, ~full | kept | beats


def _requery(
    lid: int, own: ListingArrays, queries: ListingArrays, kind: int, index: MatchingIndex, near: Near | None
) -> Running:
    """Exact top-k of `queries` (counterparts of kind `kind`) among the own side with the listing
    in its new state: the index's own side patched by the caller when `near` is given."""
    cfg, k = index.cfg, index.cfg.top_k
    if near is None:
        return _top_k(queries, 1 - kind, own, cfg, k, index.coop_keys, index.coop_territories).running()
    ats = [np.asarray(at, dtype=np.int64) for at in near(queries)]
    return best_among_many(queries, own, ats, cfg, index.coop_keys)


def _reached(lid: int, top: TopK, scored: tuple[Array, Array, Array]) -> tuple[Array, Array]:
    """(counterparts the listing enters, counterparts that held it), as positions of `top`'s rows."""
    score, valid, dist = scored
    held = np.unique(np.flatnonzero(top.ids.ravel() == lid) // top.ids.shape[1])
    v = np.setdiff1d(np.flatnonzero(valid), held, assume_unique=True)
    with np.errstate(invalid="ignore"):
        kth = better(score[v], dist[v], lid, top.scores[v, -1], top.distances[v, -1], top.ids[v, -1])
    return v[kth], held


def _redo(
    lid: int,
    old: Running,
    new: tuple[Array, Array, Array],
    queries: ListingArrays,
    own: ListingArrays,
    kind: int,
    index: MatchingIndex,
    near: Near | None,
) -> Running:
    """New top-k of the counterparts `queries` that held the listing (their stored lists `old`,
    their pairs with its new state `new`): from what is known where that settles it, else searched."""
    (s, d, t), settled = _without_listing(lid, old, new, index.cfg.top_k)
    if not settled.all():
        open_ = np.flatnonzero(~settled)
        s[open_], d[open_], t[open_] = _requery(lid, own, queries.take(open_), kind, index, near)
    return s, d, t


def reach(
    listing: ListingArrays | object,
    index: MatchingIndex,
    scored: tuple[Array, Array, Array] | None = None,
    near: Near | None = None,
) -> Reach:
    """Top-k of one new or changed listing, and the counterparts whose own top-k it changes.

    The counterparts L can reach are found by scoring L against every counterpart of its category
    in one vectorised pass (hard filters included, so the distance filter acts as the radius query).
    The same pass gives the listing's own top-k. `scored` is that pass when the caller already made
    it (`score_against(listing, counterparts)`, row-aligned with the index's counterparts).

    Counterparts that held L get their new top-k from their stored list when that settles it
    (`_without_listing`), otherwise from a search: among the own side's listings `near` names (the
    caller then guarantees the index's own side holds L as it is now), or a full `_top_k`.
    """
    row = listing if isinstance(listing, ListingArrays) else ListingArrays.from_rows([listing])  # type: ignore[list-item]
    cfg, k = index.cfg, index.cfg.top_k
    lid = int(row.id[0])
    if int(row.kind[0]) == OFFER:
        own_side, other, other_top, kind = index.offers, index.needs, index.need_top, OFFER
    else:
        own_side, other, other_top, kind = index.needs, index.offers, index.offer_top, NEED
    scored = score_against(row, other, cfg, index.coop_keys) if scored is None else scored
    own = _own_top_k(lid, other.id, scored, k)
    score, valid, dist = scored
    rows, redo = _reached(lid, other_top, scored)
    changed = np.union1d(rows, redo)
    s_new, d_new, t_new = _rows_of(other_top, changed)
    if rows.size:
        at = np.searchsorted(changed, rows)
        ids = np.c_[t_new[at], np.full(rows.size, lid)]
        merged = row_top_k(np.c_[s_new[at], score[rows]], np.c_[d_new[at], dist[rows]], ids, k)
        s_new[at], d_new[at], t_new[at] = merged
    if redo.size:
        at = np.searchsorted(changed, redo)
        old = (s_new[at], d_new[at], t_new[at])
        own_new = (
            own_side if near is not None else ListingArrays.concat([own_side.take(own_side.id != lid), row])
        )
        fresh = _redo(
            lid, old, (score[redo], valid[redo], dist[redo]), other.take(redo), own_new, kind, index, near
        )
        s_new[at], d_new[at], t_new[at] = fresh
    updated = to_topk(other.id[changed], s_new, d_new, t_new)
    return Reach(listing_id=lid, own=own, updated=updated)
