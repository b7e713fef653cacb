"""The bounded k-d tree search behind `candidates`: per-class bounds, target trees, doubling rounds.

Pure: numpy and scipy only. See `candidates` for why the search stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ..geo import chord_to_km, km_to_chord, unit_vectors
from .arrays import NEED, NO_SUBCATEGORY, Array, ListingArrays, effective_radius_km
from .config import MatchingConfig
from .topk import NO_ID, Pairs, Running, merge, row_top_k

_INITIAL_K_FACTOR = 2  # first fetch: a few times k, since hard filters drop part of the neighbours
_MIN_INITIAL_K = 16
_SPLIT_QUERY_ROWS = 2048  # below this, one tree call beats splitting by bound
REL_EPS = 1e-9  # slack so that rounding never makes a bound too tight
_QTY_NUMBER, _QTY_UNSPECIFIED, _QTY_INEXHAUSTIBLE = 0, 1, 2


class Side:
    """Precomputed columns of one side: coordinates, unit vectors, radii."""

    def __init__(self, arrays: ListingArrays, cfg: MatchingConfig) -> None:
        self.arrays = arrays
        self.located = ~(np.isnan(arrays.lat) | np.isnan(arrays.lon))
        self.radius = effective_radius_km(arrays, cfg)
        self.vectors = unit_vectors(np.nan_to_num(arrays.lat), np.nan_to_num(arrays.lon))


def target_classes(t_side: Side, query_kind: int) -> Array:
    """Class code of each target from what caps its window and quantity fit whatever the query.

    code = quantity class * 4 + (window open at the start) * 2 + (window open at the end).
    A need's `inexhaustible` flag plays no part in the score, so needs are never in that class.
    """
    a, d = t_side.arrays, t_side.arrays.derived
    qty = np.where(np.isnan(a.quantity), _QTY_UNSPECIFIED, _QTY_NUMBER)
    if query_kind == NEED:  # targets are offers
        qty = np.where(a.inexhaustible, _QTY_INEXHAUSTIBLE, qty)
    classes: Array = qty * 4 + np.isneginf(d.window_lo) * 2 + np.isposinf(d.window_hi)
    return classes


def _need_query_bounds(q_side: Side, q_pos: Array, code: int, cfg: MatchingConfig) -> tuple[Array, Array]:
    """(window, quantity) caps of need queries against offers of class `code`."""
    d = q_side.arrays.derived
    qty_class, t_lo_open, t_hi_open = code // 4, bool(code & 2), bool(code & 1)
    q_lo_open, q_hi_open = np.isneginf(d.window_lo[q_pos]), np.isposinf(d.window_hi[q_pos])
    can_cover = (t_lo_open | ~q_lo_open) & (t_hi_open | ~q_hi_open)
    need_bounded = ~q_lo_open & ~q_hi_open
    if qty_class == _QTY_INEXHAUSTIBLE:
        qty = np.ones(q_pos.size)
    elif qty_class == _QTY_UNSPECIFIED:
        qty = np.full(q_pos.size, cfg.quantity_unspecified_factor)
    else:
        qty = np.where(np.isnan(q_side.arrays.quantity[q_pos]), cfg.quantity_unspecified_factor, 1.0)
    return can_cover | need_bounded, qty


def _offer_query_bounds(q_side: Side, q_pos: Array, code: int, cfg: MatchingConfig) -> tuple[Array, Array]:
    """(window, quantity) caps of offer queries against needs of class `code`."""
    a, d = q_side.arrays, q_side.arrays.derived
    qty_class, t_lo_open, t_hi_open = code // 4, bool(code & 2), bool(code & 1)
    q_lo_open, q_hi_open = np.isneginf(d.window_lo[q_pos]), np.isposinf(d.window_hi[q_pos])
    can_cover = (q_lo_open | (not t_lo_open)) & (q_hi_open | (not t_hi_open))
    need_bounded = np.full(q_pos.size, not (t_lo_open or t_hi_open))
    inex = a.inexhaustible[q_pos]
    if qty_class == _QTY_UNSPECIFIED:
        qty = np.where(inex, 1.0, cfg.quantity_unspecified_factor)
    else:
        qty = np.where(inex, 1.0, np.where(np.isnan(a.quantity[q_pos]), cfg.quantity_unspecified_factor, 1.0))
    return can_cover | need_bounded, qty


def class_upper_bounds(
    q_side: Side, q_pos: Array, query_kind: int, code: int, cfg: MatchingConfig, coop: Array
) -> Array:
    """Bound on the window, quantity and cooperation part of the scores of queries against class `code`.

    Window: 1 when the target may cover the query's need window (or the need window is bounded,
    where the covered share is at most 1), else the open-window partial factor. Quantity: 1 when
    inexhaustible or both quantities are numbers (the filter keeps need <= offer), else the
    unspecified factor.
    """
    bounds = _need_query_bounds if query_kind == NEED else _offer_query_bounds
    full_window, qty = bounds(q_side, q_pos, code, cfg)
    window = np.where(full_window, 1.0, cfg.window_open_partial_factor)
    upper: Array = cfg.weight_window * window + cfg.weight_quantity * qty + cfg.weight_cooperation * coop
    return upper


def _query_tree(tree: Any, points: Array, big_k: int, bound: Array) -> tuple[Array, Array]:
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


@dataclass
class KnnSearch:
    """The queries q_pos against the targets t_pos indexed by `tree`, with their score bound `ub`.

    Each round fetches the K nearest targets again (K doubles) but scores only those the previous
    round had not fully covered: every target strictly closer than a round's last neighbour was
    returned by it, so the rounds score the disjoint chord ranges [L_prev, L) without repetition.
    """

    pairs: Pairs
    q_side: Side
    q_pos: Array
    cap_km: Array
    ub: Array
    t_ids: Array  # ids of the targets t_pos
    t_pos: Array
    tree: Any
    decay_km: float
    k: int

    def run(self, running: Running) -> Running:
        """`running`, the top-k found so far, merged with the certified top-k among the targets.

        The k-th score found so far is a floor: targets that cannot beat it are skipped.
        """
        cfg, n_t = self.pairs.cfg, self.t_pos.size
        if n_t == 0 or self.q_pos.size == 0:
            return running
        floor = running[0][:, -1]
        # Queries whose best possible score (distance 0) cannot reach the threshold need no search.
        threshold = np.maximum(cfg.min_score, floor)
        pending = np.flatnonzero(self.ub + cfg.weight_distance + REL_EPS >= threshold)
        running = (running[0].copy(), running[1].copy(), running[2].copy())
        seen_chord = np.full(self.q_pos.size, -np.inf)  # every target closer than this was scored
        big_k = min(n_t, max(_INITIAL_K_FACTOR * self.k, _MIN_INITIAL_K))
        while pending.size:
            own = self._own_bound(np.maximum(threshold[pending], running[0][pending, -1]), pending)
            dd, ii = _query_tree(self.tree, self.q_side.vectors[self.q_pos[pending]], big_k, own)
            last = (ii < n_t)[:, -1]
            top = self._round(dd, ii, pending, seen_chord, own, big_k, running)
            seen_chord[pending] = np.where(last, dd[:, -1], np.inf)
            done = self._certified(dd, last, own, pending, floor, top, big_k)
            pending = pending[~done]
            big_k = min(n_t, big_k * 2)
        return running

    def _own_bound(self, kth: Array, pending: Array) -> Array:
        """Each pending query's search bound (a chord): its radius, or where nothing can beat `kth`."""
        cfg = self.pairs.cfg
        # Beyond d_star, nothing can beat the current k-th score (or floor): search no farther.
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = (kth - REL_EPS - self.ub[pending]) / cfg.weight_distance
            d_star = np.where(gap > 0, -self.decay_km * np.log(np.minimum(gap, 1.0)), np.inf)
        reach_km = np.minimum(self.cap_km[pending], d_star * (1 + REL_EPS) + 1e-6)
        own: Array = km_to_chord(reach_km) * (1 + REL_EPS) + 1e-12
        return own

    def _round(
        self, dd: Array, ii: Array, pending: Array, seen: Array, own: Array, big_k: int, running: Running
    ) -> Array:
        """Score the newly fetched neighbours and merge them into `running`; the k-th scores after it."""
        n_t = self.t_pos.size
        present = ii < n_t
        new = present & (dd >= seen[pending][:, None]) & (dd < own[:, None])
        if big_k < n_t:
            # Targets tied with the last neighbour may be only partly returned: leave them to the next round.
            new &= ~(present[:, -1][:, None] & (dd >= dd[:, -1:]))
        r, c = np.nonzero(new)
        qg, tg = self.q_pos[pending[r]], self.t_pos[ii[r, c]]
        sel, score, dist = self.pairs.score_fetched(qg, tg, dd[r, c], self.decay_km)
        keep = score >= self.pairs.cfg.min_score
        sel, score, dist = sel[keep], score[keep], dist[keep]
        rr, cc = r[sel], c[sel]
        s_mat = np.full(dd.shape, -np.inf)
        d_mat = np.full(dd.shape, np.inf)
        t_mat = np.full(dd.shape, NO_ID, dtype=np.int64)
        s_mat[rr, cc] = score
        d_mat[rr, cc] = dist
        t_mat[rr, cc] = self.t_ids[ii[rr, cc]]
        prev = (running[0][pending], running[1][pending], running[2][pending])
        s_top, d_top, t_top = merge([prev, row_top_k(s_mat, d_mat, t_mat, self.k)], self.k)
        running[0][pending], running[1][pending], running[2][pending] = s_top, d_top, t_top
        return s_top

    def _certified(
        self, dd: Array, last: Array, own: Array, pending: Array, floor: Array, s_top: Array, big_k: int
    ) -> Array:
        """Which pending queries need no further round."""
        cfg = self.pairs.cfg
        d_k = np.where(last, chord_to_km(np.where(last, dd[:, -1], 0.0)), np.inf)
        d_k_safe = np.maximum(d_k * (1 - REL_EPS) - 1e-9, 0.0)
        best_unseen = self.ub[pending] + cfg.weight_distance * np.exp(-d_k_safe / self.decay_km)
        done: Array = (
            ~last  # fewer than big_k within the search bound: everything that can qualify was seen
            | (dd[:, -1] >= own)  # likewise within this query's own bound
            | (d_k > self.cap_km[pending] * (1 + REL_EPS) + 1e-9)  # the rest lies beyond this query's radius
            | (best_unseen + REL_EPS < np.maximum(cfg.min_score, floor[pending]))
            | (s_top[:, -1] > best_unseen + REL_EPS)
            | (big_k >= self.t_pos.size)
        )
        return done


Subset = int | str | tuple[int, ...]  # one subcategory, "all", or a set of close subcategories


def subsets_for(sub: int, cfg: MatchingConfig) -> list[tuple[Subset, float]]:
    """Target subsets a query of subcategory `sub` may match, best subcategory factor first.

    Disjoint, so that no target is scored twice: the same code, the close codes (one subset, one
    tree: they share their factor), the wildcard.
    """
    if sub == NO_SUBCATEGORY:
        return [("all", cfg.subcategory_wildcard_factor)]
    close = tuple(cfg.close_to(sub))
    subsets: list[tuple[Subset, float]] = [(sub, 1.0), (NO_SUBCATEGORY, cfg.subcategory_wildcard_factor)]
    if close:
        subsets.append((close, cfg.subcategory_close_factor))
    return sorted(subsets, key=lambda s: -s[1])


Run = tuple[Array, Any, float | None, float]  # targets, tree, radius cap (None: the query's own), decay


class Sources:
    """Per category, k-d trees over target subsets (a subcategory or all) split by remote flag.

    Splitting by subcategory keeps the neighbours fetched compatible, and gives each subset its
    own, tighter, subcategory bound.
    """

    def __init__(
        self, t_side: Side, t_pos: Array, cfg: MatchingConfig, decay_km: float, classes: Array, merged: bool
    ) -> None:
        """`merged`: every target is in class 0, searched with the largest of the class bounds."""
        self.t_side, self.t_pos, self.cfg, self.decay_km = t_side, t_pos, cfg, decay_km
        self.merged = merged
        self.classes = classes
        self.sub = t_side.arrays.subcategory[t_pos]
        self.remote = t_side.arrays.remote_possible[t_pos]
        self._cache: dict[tuple[Subset, str, int], tuple[Array, Any, float | None]] = {}

    def _mask(self, subset: Subset) -> Array:
        if subset == "all":
            return np.ones(self.t_pos.size, dtype=bool)
        if isinstance(subset, tuple):
            return np.isin(self.sub, subset)
        mask: Array = self.sub == subset
        return mask

    def _subset(self, subset: Subset, flag: str, code: int) -> tuple[Array, Any, float | None]:
        key = (subset, flag, code)
        if key not in self._cache:
            mask = self._mask(subset)
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

    def runs(self, subset: Subset, remote_query: bool, code: int) -> list[Run]:
        """(targets, tree, radius cap or None for the query's own, decay) to search."""
        if not remote_query:
            # The query's own radius bounds every pair, whatever the target's remote flag.
            tp, tree, _ = self._subset(subset, "any", code)
            return [(tp, tree, None, self.decay_km)] if tp.size else []
        runs: list[Run] = []
        tp, tree, cap = self._subset(subset, "local", code)
        if tp.size:  # local targets still impose their own radius; the largest one caps the search
            runs.append((tp, tree, cap, self.decay_km))
        tp, tree, _ = self._subset(subset, "remote", code)
        if tp.size:  # remote pairs: no radius, and the slow remote decay in the bound
            runs.append((tp, tree, np.inf, self.cfg.remote_decay_km))
        return runs
