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

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .geo import chord_to_km, km_to_chord, unit_vectors
from .scoring import (
    NEED,
    NO_SUBCATEGORY,
    OFFER,
    ListingArrays,
    MatchingConfig,
    cooperated,
    effective_radius_km,
    pair_distance_km,
    pair_scores,
)

_NO_ID = np.iinfo(np.int64).max  # padding id: sorts after every real id
_INITIAL_K_FACTOR = 2  # first fetch: a few times k, since hard filters drop part of the neighbours
_MIN_INITIAL_K = 16
_DENSE_CHUNK_PAIRS = 1 << 20  # bounds the memory of dense scoring to a few tens of MB
# Below this many targets in a category, one tree per subset costs less than one per class.
_CLASS_SPLIT_MIN_TARGETS = 10_000
_SPLIT_QUERY_ROWS = 2048  # below this, one tree call beats splitting by bound
_REL_EPS = 1e-9  # slack so that rounding never makes a bound too tight


@dataclass(frozen=True)
class TopK:
    """Best counterparts of each query row, best first; rows align with the query arrays.

    `ids` is padded with -1, `scores` and `distances` with NaN, when fewer than k pairs qualify.
    """

    query_ids: np.ndarray  # (n,) int64
    ids: np.ndarray  # (n, k) int64
    scores: np.ndarray  # (n, k) float64
    distances: np.ndarray  # (n, k) float64 km

    def row(self, i: int) -> list[tuple[int, float, float]]:
        """(counterpart id, score, km) of query row i, best first."""
        n = int((self.ids[i] >= 0).sum())
        return [
            (int(self.ids[i, j]), float(self.scores[i, j]), float(self.distances[i, j])) for j in range(n)
        ]


class _Pairs:
    """Scores (query, target) pairs whichever side the query is on."""

    def __init__(self, queries, targets, query_kind, cfg, coop_keys):
        self.queries, self.targets, self.query_kind = queries, targets, query_kind
        self.cfg, self.coop_keys = cfg, coop_keys

    def distance(self, q, t):
        # Always offer first: both directions of a pair then see bit-identical distances and scores.
        if self.query_kind == NEED:
            return pair_distance_km(self.targets, t, self.queries, q)
        return pair_distance_km(self.queries, q, self.targets, t)

    def score(self, q, t, distance_km, decay_km):
        if self.query_kind == NEED:
            return pair_scores(
                self.targets, t, self.queries, q, distance_km, self.cfg, self.coop_keys, decay_km
            )
        return pair_scores(self.queries, q, self.targets, t, distance_km, self.cfg, self.coop_keys, decay_km)

    def _cheap(self):
        """Per-listing columns of both sides for the cheap hard filters, computed once."""
        if getattr(self, "_cheap_cols", None) is None:
            cfg, terr = self.cfg, self.coop_keys
            cols = {}
            for name, arrays in (("q", self.queries), ("t", self.targets)):
                d = arrays.derived
                in_coop = (
                    np.isin(arrays.territory, np.concatenate([terr >> 32, terr & 0xFFFFFFFF]))
                    if terr is not None and terr.size
                    else np.zeros(len(arrays), dtype=bool)
                )
                cols[name] = (d.window_lo, d.window_hi, arrays.owner, arrays.radius_km(cfg), in_coop)
            self._cheap_cols = cols
        return self._cheap_cols

    def score_fetched(self, q, t, chord, decay_km):
        """`score` of fetched neighbours at tree chord `chord`, computing exact figures only where needed.

        The pairs are first screened with the hard filters that need no distance, and with the radius
        on the chord distance (with a safety margin); only survivors get the exact distance and the
        exact score, computed elementwise by the very same functions, so their floats are identical.
        Returns (positions of valid pairs, their scores, their km distances).
        """
        cfg = self.cfg
        c = self._cheap()
        q_lo, q_hi, q_owner, q_radius, q_coop = c["q"]
        t_lo, t_hi, t_owner, t_radius, t_coop = c["t"]
        if self.query_kind == NEED:
            o_qty, n_qty = self.targets.quantity[t], self.queries.quantity[q]
            o_inex = self.targets.inexhaustible[t]
        else:
            o_qty, n_qty = self.queries.quantity[q], self.targets.quantity[t]
            o_inex = self.queries.inexhaustible[q]
        approx_km = chord_to_km(chord)
        with np.errstate(invalid="ignore"):
            ok = (
                (np.fmax(q_lo[q], t_lo[t]) <= np.fmin(q_hi[q], t_hi[t]))
                & (o_inex | ~(o_qty < n_qty))
                & (q_owner[q] != t_owner[t])
                & (approx_km <= np.minimum(q_radius[q], t_radius[t]) * (1 + 1e-9) + 1e-6)
            )
        pos = np.flatnonzero(ok)
        q, t = q[pos], t[pos]
        dist = self.distance(q, t)
        if self.query_kind == NEED:
            score, valid = pair_scores(self.targets, t, self.queries, q, dist, cfg, None, decay_km)
        else:
            score, valid = pair_scores(self.queries, q, self.targets, t, dist, cfg, None, decay_km)
        # The cooperation term is added last in `pair_scores`, so adding it here gives the same floats.
        maybe = np.flatnonzero(valid & q_coop[q] & t_coop[t])
        if maybe.size:
            if self.query_kind == NEED:
                hit = cooperated(
                    self.targets.territory[t[maybe]], self.queries.territory[q[maybe]], self.coop_keys
                )
            else:
                hit = cooperated(
                    self.queries.territory[q[maybe]], self.targets.territory[t[maybe]], self.coop_keys
                )
            score[maybe[hit]] += cfg.weight_cooperation
        v = np.flatnonzero(valid)
        return pos[v], score[v], dist[v]


def _row_top_k(score, dist, tid, k):
    """Per row, the k best columns by (score desc, distance asc, id asc); -inf scores are empty."""
    n_cols = score.shape[1]
    if n_cols > 4 * k:
        # Keep the best 2k by score, then fall back to a full sort for rows whose k-th score
        # ties with the cut, where the partition may have dropped an equal-score better-placed column.
        part = np.argpartition(-score, 2 * k - 1, axis=1)[:, : 2 * k]
        s_part = np.take_along_axis(score, part, 1)
        kth = -np.partition(-s_part, k - 1, axis=1)[:, k - 1]
        cut = s_part.min(axis=1)
        tie = (kth == cut) & (kth > -np.inf)
        d_part, t_part = np.take_along_axis(dist, part, 1), np.take_along_axis(tid, part, 1)
        order = np.lexsort((t_part, d_part, -s_part), axis=1)[:, :k]
        cols = np.take_along_axis(part, order, 1)
        if tie.any():
            rows = np.flatnonzero(tie)
            full = np.lexsort((tid[rows], dist[rows], -score[rows]), axis=1)[:, :k]
            cols[rows] = full
    else:
        cols = np.lexsort((tid, dist, -score), axis=1)[:, :k]
    s, d, t = (np.take_along_axis(a, cols, 1) for a in (score, dist, tid))
    if s.shape[1] < k:  # fewer columns than k: pad
        pad = k - s.shape[1]
        s = np.pad(s, ((0, 0), (0, pad)), constant_values=-np.inf)
        d = np.pad(d, ((0, 0), (0, pad)), constant_values=np.inf)
        t = np.pad(t, ((0, 0), (0, pad)), constant_values=_NO_ID)
    return s, d, t


def _merge(parts, k):
    """Merge (score, dist, tid) row-aligned top-k matrices into one top-k."""
    if len(parts) == 1:
        return parts[0]
    s, d, t = (np.concatenate([p[i] for p in parts], axis=1) for i in range(3))
    return _row_top_k(s, d, t, k)


def _empty(n, k):
    return (np.full((n, k), -np.inf), np.full((n, k), np.inf), np.full((n, k), _NO_ID, dtype=np.int64))


class _Side:
    """Precomputed columns of one side: coordinates, unit vectors, radii."""

    def __init__(self, arrays: ListingArrays, cfg: MatchingConfig):
        self.arrays = arrays
        self.located = ~(np.isnan(arrays.lat) | np.isnan(arrays.lon))
        self.radius = effective_radius_km(arrays, cfg)
        self.vectors = unit_vectors(np.nan_to_num(arrays.lat), np.nan_to_num(arrays.lon))


_QTY_NUMBER, _QTY_UNSPECIFIED, _QTY_INEXHAUSTIBLE = 0, 1, 2


def _target_classes(t_side, query_kind):
    """Class code of each target from what caps its window and quantity fit whatever the query.

    code = quantity class * 4 + (window open at the start) * 2 + (window open at the end).
    A need's `inexhaustible` flag plays no part in the score, so needs are never in that class.
    """
    a, d = t_side.arrays, t_side.arrays.derived
    qty = np.where(np.isnan(a.quantity), _QTY_UNSPECIFIED, _QTY_NUMBER)
    if query_kind == NEED:  # targets are offers
        qty = np.where(a.inexhaustible, _QTY_INEXHAUSTIBLE, qty)
    return qty * 4 + np.isneginf(d.window_lo) * 2 + np.isposinf(d.window_hi)


def _class_upper_bounds(q_side, q_pos, query_kind, code, cfg, coop):
    """Bound on the window, quantity and cooperation part of the scores of queries against class `code`.

    Window: 1 when the target may cover the query's need window (or the need window is bounded,
    where the covered share is at most 1), else the open-window partial factor. Quantity: 1 when
    inexhaustible or both quantities are numbers (the filter keeps need <= offer), else the
    unspecified factor.
    """
    a, d = q_side.arrays, q_side.arrays.derived
    qty_class, t_lo_open, t_hi_open = code // 4, bool(code & 2), bool(code & 1)
    q_lo_open, q_hi_open = np.isneginf(d.window_lo[q_pos]), np.isposinf(d.window_hi[q_pos])
    q_nan = np.isnan(a.quantity[q_pos])
    if query_kind == NEED:  # the query holds the need window, the target the offer window
        can_cover = (t_lo_open | ~q_lo_open) & (t_hi_open | ~q_hi_open)
        need_bounded = ~q_lo_open & ~q_hi_open
        if qty_class == _QTY_INEXHAUSTIBLE:
            qty = np.ones(q_pos.size)
        elif qty_class == _QTY_UNSPECIFIED:
            qty = np.full(q_pos.size, cfg.quantity_unspecified_factor)
        else:
            qty = np.where(q_nan, cfg.quantity_unspecified_factor, 1.0)
    else:  # the query holds the offer window, the target the need window
        can_cover = (q_lo_open | (not t_lo_open)) & (q_hi_open | (not t_hi_open))
        need_bounded = np.full(q_pos.size, not (t_lo_open or t_hi_open))
        inex = a.inexhaustible[q_pos]
        if qty_class == _QTY_UNSPECIFIED:
            qty = np.where(inex, 1.0, cfg.quantity_unspecified_factor)
        else:
            qty = np.where(inex, 1.0, np.where(q_nan, cfg.quantity_unspecified_factor, 1.0))
    window = np.where(can_cover | need_bounded, 1.0, cfg.window_open_partial_factor)
    return cfg.weight_window * window + cfg.weight_quantity * qty + cfg.weight_cooperation * coop


def _query_tree(tree, points, big_k, bound):
    """`tree.query` with a bound per point; many points with a much smaller bound get their own call."""
    top = float(bound.max())
    near = bound <= top / 4
    if points.shape[0] < _SPLIT_QUERY_ROWS or near.sum() < _SPLIT_QUERY_ROWS // 2:
        dd, ii = tree.query(points, k=big_k, distance_upper_bound=top, workers=1)
        return dd.reshape(points.shape[0], big_k), ii.reshape(points.shape[0], big_k)
    dd = np.empty((points.shape[0], big_k))
    ii = np.empty((points.shape[0], big_k), dtype=np.intp)
    for rows in (np.flatnonzero(near), np.flatnonzero(~near)):
        if rows.size:
            d, i = tree.query(points[rows], k=big_k, distance_upper_bound=float(bound[rows].max()), workers=1)
            dd[rows], ii[rows] = d.reshape(rows.size, big_k), i.reshape(rows.size, big_k)
    return dd, ii


def _knn_path(pairs, q_side, q_pos, cap_km, ub, t_side, t_pos, tree, decay_km, k, running):
    """`running`, the top-k found so far for the queries q_pos, merged with their certified
    top-k among the targets t_pos indexed by `tree`.

    The k-th score found so far is a floor: targets that cannot beat it are skipped.

    Each round fetches the K nearest targets again (K doubles) but scores only those the previous
    round had not fully covered: every target strictly closer than a round's last neighbour was
    returned by it, so the rounds score the disjoint chord ranges [L_prev, L) without repetition.
    """
    cfg = pairs.cfg
    n_t = t_pos.size
    if n_t == 0 or q_pos.size == 0:
        return running
    floor = running[0][:, -1]
    # Queries whose best possible score (distance 0) cannot reach the threshold need no search.
    threshold = np.maximum(cfg.min_score, floor)
    pending = np.flatnonzero(ub + cfg.weight_distance + _REL_EPS >= threshold)
    running = tuple(a.copy() for a in running)
    seen_chord = np.full(q_pos.size, -np.inf)  # every target closer than this was scored
    big_k = min(n_t, max(_INITIAL_K_FACTOR * k, _MIN_INITIAL_K))
    t_ids = t_side.arrays.id[t_pos]
    while pending.size:
        caps = cap_km[pending]
        # Beyond d_star, nothing can beat the current k-th score (or floor): search no farther.
        kth = np.maximum(threshold[pending], running[0][pending, -1])
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = (kth - _REL_EPS - ub[pending]) / cfg.weight_distance
            d_star = np.where(gap > 0, -decay_km * np.log(np.minimum(gap, 1.0)), np.inf)
        reach_km = np.minimum(caps, d_star * (1 + _REL_EPS) + 1e-6)
        own = km_to_chord(reach_km) * (1 + _REL_EPS) + 1e-12  # each query's own search bound
        dd, ii = _query_tree(tree, q_side.vectors[q_pos[pending]], big_k, own)
        present = ii < n_t
        last = present[:, -1]
        new = present & (dd >= seen_chord[pending][:, None]) & (dd < own[:, None])
        if big_k < n_t:
            # Targets tied with the last neighbour may be only partly returned: leave them to the next round.
            new &= ~(last[:, None] & (dd >= dd[:, -1:]))
        r, c = np.nonzero(new)
        qg, tg = q_pos[pending[r]], t_pos[ii[r, c]]
        sel, score, dist = pairs.score_fetched(qg, tg, dd[r, c], decay_km)
        keep = score >= cfg.min_score
        sel, score, dist = sel[keep], score[keep], dist[keep]
        rr, cc = r[sel], c[sel]
        s_mat = np.full(dd.shape, -np.inf)
        d_mat = np.full(dd.shape, np.inf)
        t_mat = np.full(dd.shape, _NO_ID, dtype=np.int64)
        s_mat[rr, cc] = score
        d_mat[rr, cc] = dist
        t_mat[rr, cc] = t_ids[ii[rr, cc]]
        prev = tuple(a[pending] for a in running)
        s_top, d_top, t_top = _merge([prev, _row_top_k(s_mat, d_mat, t_mat, k)], k)
        running[0][pending], running[1][pending], running[2][pending] = s_top, d_top, t_top
        seen_chord[pending] = np.where(last, dd[:, -1], np.inf)

        d_k = np.where(last, chord_to_km(np.where(last, dd[:, -1], 0.0)), np.inf)
        d_k_safe = np.maximum(d_k * (1 - _REL_EPS) - 1e-9, 0.0)
        best_unseen = ub[pending] + cfg.weight_distance * np.exp(-d_k_safe / decay_km)
        done = (
            ~last  # fewer than big_k within the search bound: everything that can qualify was seen
            | (dd[:, -1] >= own)  # likewise within this query's own bound
            | (d_k > caps * (1 + _REL_EPS) + 1e-9)  # the rest lies beyond this query's radius
            | (best_unseen + _REL_EPS < np.maximum(cfg.min_score, floor[pending]))
            | (s_top[:, -1] > best_unseen + _REL_EPS)
            | (big_k >= n_t)
        )
        pending = pending[~done]
        big_k = min(n_t, big_k * 2)
    return running


def _top_k(queries, query_kind, targets, cfg, k, coop_keys, coop_territories):
    q_side, t_side = _Side(queries, cfg), _Side(targets, cfg)
    pairs = _Pairs(queries, targets, query_kind, cfg, coop_keys)
    out = _empty(len(queries), k)
    q_ok, t_ok = q_side.located, t_side.located
    for category in np.intersect1d(queries.category[q_ok], targets.category[t_ok]):
        decay_km = cfg.decay_for(str(category))
        q_pos = np.flatnonzero(q_ok & (queries.category == category))
        t_pos = np.flatnonzero(t_ok & (targets.category == category))
        classes = _target_classes(t_side, query_kind)[t_pos]
        merged = t_pos.size < _CLASS_SPLIT_MIN_TARGETS
        sources = _Sources(t_side, t_pos, cfg, decay_km, np.zeros_like(classes) if merged else classes)
        # Queries sharing a subcategory and a remote flag search the same target subsets.
        group = queries.subcategory[q_pos] * 2 + queries.remote_possible[q_pos]
        for key in np.unique(group):
            sel = group == key
            sub, remote = int(key // 2), bool(key % 2)
            qs = q_pos[sel]
            running = _empty(qs.size, k)
            coop = np.isin(queries.territory[qs], coop_territories).astype(np.float64)
            rests = {
                int(c): _class_upper_bounds(q_side, qs, query_kind, int(c), cfg, coop)
                for c in np.unique(classes)
            }
            if merged:  # one tree for all classes, with the largest of their bounds
                rests = {0: np.max(list(rests.values()), axis=0)}
            # Most promising classes first, so that their k-th score prunes the others.
            codes = sorted(rests, key=lambda c: -float(rests[c].mean()))
            for subset, sub_factor in _subsets_for(sub, cfg):
                for code in codes:
                    ub = cfg.weight_subcategory * sub_factor + rests[code]
                    for tp, tree, cap, dec in sources.runs(subset, remote, code):
                        caps = q_side.radius[qs] if cap is None else np.full(qs.size, cap)
                        # The k-th score found so far is a floor: targets that cannot beat it are skipped.
                        running = _knn_path(pairs, q_side, qs, caps, ub, t_side, tp, tree, dec, k, running)
            for i in range(3):
                out[i][qs] = running[i]
    return _to_topk(queries.id, *out)


def _subsets_for(sub, cfg):
    """Target subsets a query of subcategory `sub` may match, best subcategory factor first."""
    if sub == NO_SUBCATEGORY:
        return [("all", cfg.subcategory_wildcard_factor)]
    return [(sub, 1.0), (NO_SUBCATEGORY, cfg.subcategory_wildcard_factor)]


class _Sources:
    """Per category, k-d trees over target subsets (a subcategory or all) split by remote flag.

    Splitting by subcategory keeps the neighbours fetched compatible, and gives each subset its
    own, tighter, subcategory bound.
    """

    def __init__(self, t_side, t_pos, cfg, decay_km, classes):
        self.t_side, self.t_pos, self.cfg, self.decay_km = t_side, t_pos, cfg, decay_km
        self.classes = classes
        self.codes = np.unique(classes)
        self.sub = t_side.arrays.subcategory[t_pos]
        self.remote = t_side.arrays.remote_possible[t_pos]
        self._cache = {}

    def _subset(self, subset, flag, code):
        key = (subset, flag, code)
        if key not in self._cache:
            mask = np.ones(self.t_pos.size, dtype=bool) if subset == "all" else self.sub == subset
            mask &= self.classes == code
            if flag == "local":
                mask &= ~self.remote
            elif flag == "remote":
                mask &= self.remote
            tp = self.t_pos[mask]
            tree = cKDTree(self.t_side.vectors[tp]) if tp.size else None
            cap = float(self.t_side.radius[tp].max()) if tp.size and flag == "local" else None
            self._cache[key] = (tp, tree, cap)
        return self._cache[key]

    def runs(self, subset, remote_query, code):
        """(targets, tree, radius cap or None for the query's own, decay) to search."""
        if not remote_query:
            # The query's own radius bounds every pair, whatever the target's remote flag.
            tp, tree, _ = self._subset(subset, "any", code)
            return [(tp, tree, None, self.decay_km)] if tp.size else []
        runs = []
        tp, tree, cap = self._subset(subset, "local", code)
        if tp.size:  # local targets still impose their own radius; the largest one caps the search
            runs.append((tp, tree, cap, self.decay_km))
        tp, tree, _ = self._subset(subset, "remote", code)
        if tp.size:  # remote pairs: no radius, and the slow remote decay in the bound
            runs.append((tp, tree, np.inf, self.cfg.remote_decay_km))
        return runs


def _to_topk(query_ids, s, d, t):
    empty = ~np.isfinite(s)
    return TopK(
        query_ids=np.asarray(query_ids, dtype=np.int64),
        ids=np.where(empty, -1, t),
        scores=np.where(empty, np.nan, s),
        distances=np.where(empty, np.nan, d),
    )


def _coop(cooperations):
    from .scoring import cooperation_keys

    keys = cooperation_keys(cooperations)
    territories = np.unique(np.concatenate([keys >> 32, keys & 0xFFFFFFFF])) if keys.size else keys
    return keys, territories


def top_k_for_needs(offers, needs, cfg: MatchingConfig, k: int | None = None, cooperations=()) -> TopK:
    """Full recompute: the k best offers of every need (rows align with `needs`)."""
    keys, terr = _coop(cooperations)
    return _top_k(needs, NEED, offers, cfg, k or cfg.top_k, keys, terr)


def top_k_for_offers(offers, needs, cfg: MatchingConfig, k: int | None = None, cooperations=()) -> TopK:
    """Full recompute: the k best needs of every offer (rows align with `offers`)."""
    keys, terr = _coop(cooperations)
    return _top_k(offers, OFFER, needs, cfg, k or cfg.top_k, keys, terr)


def brute_force_top_k(
    offers, needs, cfg: MatchingConfig, k: int | None = None, cooperations=(), query_kind: int = NEED
) -> TopK:
    """Reference: score every (offer, need) pair in chunks and keep each query's k best.

    No spatial index and no bound: used by the tests and the benchmark to check exactness.
    """
    k = k or cfg.top_k
    keys, _ = _coop(cooperations)
    queries, targets = (needs, offers) if query_kind == NEED else (offers, needs)
    pairs = _Pairs(queries, targets, query_kind, cfg, keys)
    out = _empty(len(queries), k)
    n_t = len(targets)
    if n_t == 0 or len(queries) == 0:
        return _to_topk(queries.id, *out)
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
        t = np.where(keep.reshape(shape), targets.id[None, :], _NO_ID)
        res = _row_top_k(s, d, t, k)
        for i in range(3):
            out[i][q] = res[i]
    return _to_topk(queries.id, *out)


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
    """The state of a full recompute, against which single listings are reached incrementally."""

    def __init__(self, offers: ListingArrays, needs: ListingArrays, cfg: MatchingConfig, cooperations=()):
        self.offers, self.needs, self.cfg = offers, needs, cfg
        self.cooperations = list(cooperations)
        self.coop_keys, self.coop_territories = _coop(self.cooperations)
        self.offer_top = top_k_for_offers(offers, needs, cfg, cooperations=self.cooperations)
        self.need_top = top_k_for_needs(offers, needs, cfg, cooperations=self.cooperations)


def _better(s, d, t, ks, kd, kt):
    """Whether (s, d, t) ranks before the k-th entry (ks, kd, kt); an empty k-th place (-1) always loses."""
    return (kt < 0) | (s > ks) | ((s == ks) & ((d < kd) | ((d == kd) & (t < kt))))


def reach(listing, index: MatchingIndex) -> Reach:
    """Top-k of one new or changed listing, and the counterparts whose own top-k it changes.

    The counterparts L can reach are found by scoring L against every counterpart of its category
    in one vectorised pass (hard filters included, so the distance filter acts as the radius query);
    at 100,000 listings this costs a few milliseconds, less than any tree query setup.
    """
    row = listing if isinstance(listing, ListingArrays) else ListingArrays.from_rows([listing])
    cfg, k = index.cfg, index.cfg.top_k
    lid = int(row.id[0])
    if int(row.kind[0]) == OFFER:
        own_side, other, other_top, kind = index.offers, index.needs, index.need_top, OFFER
    else:
        own_side, other, other_top, kind = index.needs, index.offers, index.offer_top, NEED
    own_new = ListingArrays.concat([own_side.take(own_side.id != lid), row])
    keys, terr = index.coop_keys, index.coop_territories
    own = _top_k(row, kind, other, cfg, k, keys, terr)

    # Score L against every counterpart (L on its own side, counterparts on the other).
    n = len(other)
    c_pos, l_pos = np.arange(n), np.zeros(n, dtype=np.int64)
    if kind == OFFER:
        dist = pair_distance_km(row, l_pos, other, c_pos)
        score, valid = pair_scores(row, l_pos, other, c_pos, dist, cfg, keys)
    else:
        dist = pair_distance_km(other, c_pos, row, l_pos)
        score, valid = pair_scores(other, c_pos, row, l_pos, dist, cfg, keys)
    valid &= score >= cfg.min_score

    kth_ids = other_top.ids[:, -1]
    had_old = (other_top.ids == lid).any(axis=1)
    enters = (
        valid
        & ~had_old
        & _better(score, dist, lid, other_top.scores[:, -1], other_top.distances[:, -1], kth_ids)
    )
    s_new, d_new, t_new = (
        np.where(other_top.ids >= 0, other_top.scores, -np.inf),
        np.where(other_top.ids >= 0, other_top.distances, np.inf),
        np.where(other_top.ids >= 0, other_top.ids, _NO_ID),
    )
    rows = np.flatnonzero(enters)
    if rows.size:
        merged = _row_top_k(
            np.c_[s_new[rows], score[rows]],
            np.c_[d_new[rows], dist[rows]],
            np.c_[t_new[rows], np.full(rows.size, lid)],
            k,
        )
        s_new[rows], d_new[rows], t_new[rows] = merged
    redo = np.flatnonzero(had_old)
    if redo.size:
        fresh = _top_k(other.take(redo), 1 - kind, own_new, cfg, k, keys, terr)
        s_new[redo] = np.where(fresh.ids >= 0, fresh.scores, -np.inf)
        d_new[redo] = np.where(fresh.ids >= 0, fresh.distances, np.inf)
        t_new[redo] = np.where(fresh.ids >= 0, fresh.ids, _NO_ID)
    changed = np.union1d(rows, redo)
    updated = _to_topk(other.id[changed], s_new[changed], d_new[changed], t_new[changed])
    return Reach(listing_id=lid, own=own, updated=updated)
