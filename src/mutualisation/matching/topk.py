"""Top-k lists and the scoring of (query, target) pairs, shared by the exact search and the brute force.

Pure: numpy only. A top-k list orders counterparts by score descending, then distance ascending,
then counterpart id ascending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..geo import chord_to_km
from .arrays import NEED, Array, ListingArrays
from .config import MatchingConfig
from .scoring import cooperated, pair_components, pair_distance_km, pair_scores

NO_ID = np.iinfo(np.int64).max  # padding id: sorts after every real id
Running = tuple[Array, Array, Array]  # (scores, distances, ids) row-aligned top-k matrices


@dataclass(frozen=True)
class TopK:
    """Best counterparts of each query row, best first; rows align with the query arrays.

    `ids` is padded with -1, `scores` and `distances` with NaN, when fewer than k pairs qualify.
    """

    query_ids: Array  # (n,) int64
    ids: Array  # (n, k) int64
    scores: Array  # (n, k) float64
    distances: Array  # (n, k) float64 km

    def row(self, i: int) -> list[tuple[int, float, float]]:
        """(counterpart id, score, km) of query row i, best first."""
        n = int((self.ids[i] >= 0).sum())
        return [
            (int(self.ids[i, j]), float(self.scores[i, j]), float(self.distances[i, j])) for j in range(n)
        ]

    def running(self) -> Running:
        """As (scores, distances, ids) matrices with -inf, inf and `NO_ID` in the empty places."""
        present = self.ids >= 0
        return (
            np.where(present, self.scores, -np.inf),
            np.where(present, self.distances, np.inf),
            np.where(present, self.ids, NO_ID),
        )


def to_topk(query_ids: Array, s: Array, d: Array, t: Array) -> TopK:
    empty = ~np.isfinite(s)
    return TopK(
        query_ids=np.asarray(query_ids, dtype=np.int64),
        ids=np.where(empty, -1, t),
        scores=np.where(empty, np.nan, s),
        distances=np.where(empty, np.nan, d),
    )


def better(s: Any, d: Any, t: Any, ks: Any, kd: Any, kt: Any) -> Any:
    """Whether (s, d, t) ranks before the k-th entry (ks, kd, kt); an empty k-th place (-1) always loses."""
    return (kt < 0) | (s > ks) | ((s == ks) & ((d < kd) | ((d == kd) & (t < kt))))


def _partial_order(score: Array, dist: Array, tid: Array, k: int) -> Array:
    """Columns of the k best per row, looking first at the best 2k by score only."""
    # Keep the best 2k by score, then fall back to a full sort for rows whose k-th score
    # ties with the cut, where the partition may have dropped an equal-score better-placed column.
    part = np.argpartition(-score, 2 * k - 1, axis=1)[:, : 2 * k]
    s_part = np.take_along_axis(score, part, 1)
    kth = -np.partition(-s_part, k - 1, axis=1)[:, k - 1]
    cut = s_part.min(axis=1)
    tie = (kth == cut) & (kth > -np.inf)
    d_part, t_part = np.take_along_axis(dist, part, 1), np.take_along_axis(tid, part, 1)
    order = np.lexsort((t_part, d_part, -s_part), axis=1)[:, :k]
    cols: Array = np.take_along_axis(part, order, 1)
    if tie.any():
        rows = np.flatnonzero(tie)
        cols[rows] = np.lexsort((tid[rows], dist[rows], -score[rows]), axis=1)[:, :k]
    return cols


def row_top_k(score: Array, dist: Array, tid: Array, k: int) -> Running:
    """Per row, the k best columns by (score desc, distance asc, id asc); -inf scores are empty."""
    if score.shape[1] > 4 * k:
        cols = _partial_order(score, dist, tid, k)
    else:
        cols = np.lexsort((tid, dist, -score), axis=1)[:, :k]
    s, d, t = (np.take_along_axis(a, cols, 1) for a in (score, dist, tid))
    return _padded(s, d, t, k)


def _padded(s: Array, d: Array, t: Array, k: int) -> Running:
    """Rows (or one 1-D row) of fewer than k entries filled with empty places: (-inf, inf, NO_ID)."""
    missing = k - s.shape[-1]
    if missing <= 0:
        return s, d, t
    width = [(0, 0)] * (s.ndim - 1) + [(0, missing)]
    return (
        np.pad(s, width, constant_values=-np.inf),
        np.pad(d, width, constant_values=np.inf),
        np.pad(t, width, constant_values=NO_ID),
    )


def one_top_k(score: Array, dist: Array, tid: Array, k: int) -> tuple[Array, Array, Array]:
    """`row_top_k` of one row given as 1-D arrays of valid entries (finite scores), padded alike.

    For the many single rows of an incremental update: one partition finds the k-th largest
    score, and only the entries reaching it (ties included) are sorted, where `row_top_k` pays a
    dozen calls made for matrices."""
    if score.size > k:
        kth = np.partition(score, score.size - k)[score.size - k]
        keep = np.flatnonzero(score >= kth)
        score, dist, tid = score[keep], dist[keep], tid[keep]
    order = np.lexsort((tid, dist, -score))[:k]
    return _padded(score[order], dist[order], tid[order], k)


def merge(parts: list[Running], k: int) -> Running:
    """Merge (score, dist, tid) row-aligned top-k matrices into one top-k."""
    if len(parts) == 1:
        return parts[0]
    s, d, t = (np.concatenate([p[i] for p in parts], axis=1) for i in range(3))
    return row_top_k(s, d, t, k)


def empty(n: int, k: int) -> Running:
    return (np.full((n, k), -np.inf), np.full((n, k), np.inf), np.full((n, k), NO_ID, dtype=np.int64))


class Pairs:
    """Scores (query, target) pairs whichever side the query is on."""

    def __init__(
        self,
        queries: ListingArrays,
        targets: ListingArrays,
        query_kind: int,
        cfg: MatchingConfig,
        coop_keys: Array | None,
    ) -> None:
        self.queries, self.targets, self.query_kind = queries, targets, query_kind
        self.cfg, self.coop_keys = cfg, coop_keys
        self._cheap_cols: dict[str, tuple[Array, ...]] | None = None

    def sides(self, q: Array, t: Array) -> tuple[ListingArrays, Array, ListingArrays, Array]:
        """(offers, offer rows, needs, need rows) of the pairs (queries[q], targets[t])."""
        if self.query_kind == NEED:
            return self.targets, t, self.queries, q
        return self.queries, q, self.targets, t

    def distance(self, q: Array, t: Array) -> Array:
        # Always offer first: both directions of a pair then see bit-identical distances and scores.
        return pair_distance_km(*self.sides(q, t))

    def score(
        self, q: Array, t: Array, distance_km: Array, decay_km: float | None, keys: Any = True
    ) -> tuple[Array, Array]:
        offers, oi, needs, ni = self.sides(q, t)
        coop_keys = self.coop_keys if keys is True else keys
        return pair_scores(offers, oi, needs, ni, distance_km, self.cfg, coop_keys, decay_km)

    def _cheap(self) -> dict[str, tuple[Array, ...]]:
        """Per-listing columns of both sides for the cheap hard filters, computed once."""
        if self._cheap_cols is None:
            terr = self.coop_keys
            cols: dict[str, tuple[Array, ...]] = {}
            for name, arrays in (("q", self.queries), ("t", self.targets)):
                d = arrays.derived
                in_coop = (
                    np.isin(arrays.territory, np.concatenate([terr >> 32, terr & 0xFFFFFFFF]))
                    if terr is not None and terr.size
                    else np.zeros(len(arrays), dtype=bool)
                )
                cols[name] = (d.window_lo, d.window_hi, arrays.owner, arrays.radius_km(self.cfg), in_coop)
            self._cheap_cols = cols
            return cols
        return self._cheap_cols

    def _screen(self, q: Array, t: Array, chord: Array) -> Array:
        """Positions of the pairs passing the hard filters that need no exact distance."""
        q_lo, q_hi, q_owner, q_radius, _ = self._cheap()["q"]
        t_lo, t_hi, t_owner, t_radius, _ = self._cheap()["t"]
        offers, oi, needs, ni = self.sides(q, t)
        o_qty, n_qty, o_inex = offers.quantity[oi], needs.quantity[ni], offers.inexhaustible[oi]
        approx_km = chord_to_km(chord)
        with np.errstate(invalid="ignore"):
            ok = (
                (np.fmax(q_lo[q], t_lo[t]) <= np.fmin(q_hi[q], t_hi[t]))
                & (o_inex | ~(o_qty < n_qty))
                & (q_owner[q] != t_owner[t])
                & (approx_km <= np.minimum(q_radius[q], t_radius[t]) * (1 + 1e-9) + 1e-6)
            )
        return np.flatnonzero(ok)

    def score_fetched(
        self, q: Array, t: Array, chord: Array, decay_km: float | None
    ) -> tuple[Array, Array, Array]:
        """`score` of fetched neighbours at tree chord `chord`, computing exact figures only where needed.

        The pairs are first screened with the hard filters that need no distance, and with the radius
        on the chord distance (with a safety margin); only survivors get the exact distance and the
        exact score, computed elementwise by the very same functions, so their floats are identical.
        Returns (positions of valid pairs, their scores, their km distances).
        """
        pos = self._screen(q, t, chord)
        q, t = q[pos], t[pos]
        dist = self.distance(q, t)
        # The search fetches only compatible subcategories, and the screen applied every other hard
        # filter exactly but the distance, checked here on the exact km as `filter_masks` does.
        offers, oi, needs, ni = self.sides(q, t)
        valid = dist <= np.minimum(offers.radius_km(self.cfg)[oi], needs.radius_km(self.cfg)[ni])
        v = np.flatnonzero(valid)
        score = np.full(valid.shape, np.nan)
        score[v] = pair_components(offers, oi[v], needs, ni[v], dist[v], self.cfg, None, decay_km).score(
            self.cfg
        )
        # The cooperation term is added last in the score, so adding it here gives the same floats.
        maybe = np.flatnonzero(valid & self._cheap()["q"][4][q] & self._cheap()["t"][4][t])
        if maybe.size:
            offers, oi, needs, ni = self.sides(q[maybe], t[maybe])
            hit = cooperated(offers.territory[oi], needs.territory[ni], self.coop_keys)
            score[maybe[hit]] += self.cfg.weight_cooperation
        v = np.flatnonzero(valid)
        return pos[v], score[v], dist[v]
