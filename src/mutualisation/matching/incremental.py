"""The incremental update: bring the suggestions up to date after one listing changed.

Only the rows of that listing and of the counterparts whose top-k it changes are rewritten
(`candidates.reach`), with the stored ranks standing for the previous full recompute. The
category's listings come from the per-process snapshot (`snapshots`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from ..db import transaction
from .arrays import Array, ListingArrays
from .candidates import MatchingIndex, reach, score_against, top_k_for_needs, top_k_for_offers
from .config import MatchingConfig
from .diff import Counts, Desired, Pair, diff
from .explainer import SidedExplainer, explain_changes
from .models import Suggestion
from .notify import notify_new
from .reading import cooperations, listing_row, suggestions_where
from .rows import ListingRow, SuggestionRow
from .scoring import cooperation_keys
from .snapshots import SNAPSHOT_LOCK, Snapshot, category_snapshot, forget_snapshots
from .topk import TopK, better
from .writers import CHUNK, write


@dataclass(frozen=True)
class _Orientation:
    """The listing's side and its counterparts' side, in suggestion columns."""

    offer: bool  # the listing is an offer

    @property
    def my_col(self) -> Any:
        return Suggestion.offer_id if self.offer else Suggestion.need_id

    @property
    def other_col(self) -> Any:
        return Suggestion.need_id if self.offer else Suggestion.offer_id

    @property
    def other_rank_col(self) -> Any:
        return Suggestion.need_rank if self.offer else Suggestion.offer_rank

    def other_id(self, row: SuggestionRow) -> int:
        return row.need_id if self.offer else row.offer_id

    def other_rank(self, row: SuggestionRow) -> int | None:
        """The counterpart's rank of the listing (its side of the pair)."""
        return row.need_rank if self.offer else row.offer_rank


@dataclass
class _Candidates:
    """The counterparts whose top-k the update may change, with their stored top-k (row-aligned)."""

    ids: list[int]
    arrays: ListingArrays
    held: set[int]  # counterparts whose stored top-k holds the listing
    relevant: list[int]  # counterparts whose rows are read: those holding it and those it enters
    top: TopK

    def row_of(self) -> dict[int, int]:
        return {c: i for i, c in enumerate(self.ids)}


class _Update:
    """One incremental update, inside the caller's transaction."""

    def __init__(
        self,
        session: Session,
        cfg: MatchingConfig,
        coop: list[tuple[int, int]],
        snapshot: Snapshot,
        listing: ListingRow,
        active: bool,
    ) -> None:
        self.session, self.cfg, self.coop, self.snapshot = session, cfg, coop, snapshot
        self.listing, self.active = listing, active
        self.way = _Orientation(listing.kind == "offer")
        self.me = ListingArrays.from_rows([snapshot.subs.coded([listing])[0]])
        self.other_side = snapshot.sides["need" if self.way.offer else "offer"]
        self.own_arrays = snapshot.sides[str(listing.kind)].arrays
        self.mine = suggestions_where(session, self.way.my_col == listing.id)
        self.scored: tuple[Array, Array, Array] | None = None  # the listing against every counterpart

    def candidates(self) -> _Candidates:
        held = {self.way.other_id(r) for r in self.mine if self.way.other_rank(r) is not None}
        found = set(held)
        other = self.other_side.arrays
        if self.active and len(other):
            self.scored = score_against(self.me, other, self.cfg, cooperation_keys(self.coop))
            found |= set(other.id[self.scored[1]].tolist())
        ids = sorted(c for c in found if c in self.snapshot.fingerprints)
        pos = self.other_side.pos
        arrays = other.take(np.asarray([pos[c] for c in ids], dtype=np.int64))
        k = self.cfg.top_k
        top = TopK(
            np.asarray(ids, dtype=np.int64),
            np.full((len(ids), k), -1, dtype=np.int64),
            np.full((len(ids), k), np.nan),
            np.full((len(ids), k), np.nan),
        )
        relevant = [c for c in ids if c in held]
        return _Candidates(ids, arrays, held, relevant, top)

    def read_kth(self, cands: _Candidates) -> None:
        """Most candidates keep their top-k: the listing does not beat their k-th entry. Read only
        that entry for all of them, and whole top-k lists only where the listing enters."""
        if not (self.active and cands.ids and self.scored is not None):
            return
        k, way, top, row_of = self.cfg.top_k, self.way, cands.top, cands.row_of()
        for start in range(0, len(cands.ids), CHUNK):
            chunk = cands.ids[start : start + CHUNK]
            for r in suggestions_where(self.session, way.other_col.in_(chunk), way.other_rank_col == k - 1):
                i = row_of[way.other_id(r)]
                top.ids[i, k - 1], top.scores[i, k - 1], top.distances[i, k - 1] = self._pair_side(r)
        score, valid, dist = self.scored
        at = np.asarray([self.other_side.pos[c] for c in cands.ids], dtype=np.int64)
        with np.errstate(invalid="ignore"):
            enters = valid[at] & better(
                score[at], dist[at], self.listing.id, top.scores[:, -1], top.distances[:, -1], top.ids[:, -1]
            )
        cands.relevant = sorted({*cands.relevant, *np.asarray(cands.ids, dtype=np.int64)[enters].tolist()})

    def _pair_side(self, r: SuggestionRow) -> tuple[int, float, float]:
        """(the counterpart's counterpart, score, km) of a stored row, seen from the counterpart."""
        return (r.offer_id if self.way.offer else r.need_id), r.score, r.distance_km

    def existing(self, cands: _Candidates) -> list[SuggestionRow]:
        """The stored rows this update may touch: all of the listing's, and the relevant candidates'."""
        rows, seen = list(self.mine), {r.id for r in self.mine}
        for start in range(0, len(cands.relevant), CHUNK):
            chunk = cands.relevant[start : start + CHUNK]
            rows += [
                r for r in suggestions_where(self.session, self.way.other_col.in_(chunk)) if r.id not in seen
            ]
        return rows

    def fill_stored_top(self, cands: _Candidates, existing: list[SuggestionRow]) -> None:
        """The candidates' stored top-k: whole for the relevant ones, the k-th entry alone for the others."""
        k, row_of, top = self.cfg.top_k, cands.row_of(), cands.top
        for r in existing:
            c, rank = self.way.other_id(r), self.way.other_rank(r)
            if c in row_of and rank is not None and rank < k:
                i = row_of[c]
                top.ids[i, rank], top.scores[i, rank], top.distances[i, rank] = self._pair_side(r)

    def recompute(self, cands: _Candidates) -> tuple[TopK | None, TopK]:
        """(the listing's own top-k or None when it left, the new top-k of the changed candidates)."""
        offer = self.way.offer
        if self.active:
            offers, needs = (self.own_arrays, cands.arrays) if offer else (cands.arrays, self.own_arrays)
            index = MatchingIndex.from_tops(offers, needs, self.cfg, cands.top, cands.top, self.coop)
            scored = None
            if self.scored is not None:  # the pass over every counterpart, cut to the candidates
                at = np.asarray([self.other_side.pos[c] for c in cands.ids], dtype=np.int64)
                scored = (self.scored[0][at], self.scored[1][at], self.scored[2][at])
            result = reach(self.me, index, scored)
            return result.own, result.updated
        row_of = cands.row_of()
        queries = cands.arrays.take(
            np.asarray([row_of[c] for c in cands.ids if c in cands.held], dtype=np.int64)
        )
        if offer:
            return None, top_k_for_needs(self.own_arrays, queries, self.cfg, cooperations=self.coop)
        return None, top_k_for_offers(queries, self.own_arrays, self.cfg, cooperations=self.coop)

    def desired(self, existing: list[SuggestionRow], own: TopK | None, updated: TopK) -> Desired:
        """Every touched row's ranks, cleared where recomputed, then the recomputed top-k lists."""
        offer, lid = self.way.offer, self.listing.id
        recomputed = set(updated.query_ids.tolist())
        pairs: dict[tuple[int, int], Pair] = {}
        for r in existing:
            pair = Pair(r.score, r.distance_km, r.offer_rank, r.need_rank)
            if lid in (r.offer_id, r.need_id):
                pair.set_rank(offer, None)  # the listing's pairs entirely
            if self.way.other_id(r) in recomputed:
                pair.set_rank(not offer, None)  # the candidates' side of their pairs
            pairs[(r.offer_id, r.need_id)] = pair
        if own is not None:
            _overlay(pairs, own, offer_queries=offer)
        _overlay(pairs, updated, offer_queries=not offer)
        return Desired.from_pairs(pairs)


def _overlay(pairs: dict[tuple[int, int], Pair], top: TopK, offer_queries: bool) -> None:
    """Set the query side's rank of each pair of `top`, with its score and distance."""
    rows, ranks = np.nonzero(top.ids >= 0)
    q, t = top.query_ids[rows].tolist(), top.ids[rows, ranks].tolist()
    values = zip(
        q,
        t,
        top.scores[rows, ranks].tolist(),
        top.distances[rows, ranks].tolist(),
        ranks.tolist(),
        strict=True,
    )
    for a, b, s, d, r in values:
        key = (a, b) if offer_queries else (b, a)
        pair = pairs.get(key)
        if pair is None:
            pair = pairs[key] = Pair(s, d)
        else:
            pair.score, pair.km = s, d
        pair.set_rank(offer_queries, r)


def update_for_listing(
    session: Session,
    listing_id: int,
    cfg: MatchingConfig | None = None,
    coop: list[tuple[int, int]] | None = None,
    *,
    notify: bool = True,
) -> Counts:
    """Bring the suggestions up to date after one listing was published, edited or left `published`.

    Only the rows of that listing and of the counterparts whose top-k it changes are rewritten
    (`candidates.reach`), with the stored ranks standing for the previous full recompute. One
    transaction; a listing that is not published (reserved, fulfilled, withdrawn…) or has no
    coordinates loses its ranks, and so does every pair with a counterpart in that case.
    """
    try:
        with SNAPSHOT_LOCK:
            return _update_for_listing(session, listing_id, cfg or MatchingConfig(), coop, notify=notify)
    except BaseException:
        # The snapshot may hold a state this failed transaction never committed.
        forget_snapshots()
        raise


def _update_for_listing(
    session: Session,
    listing_id: int,
    cfg: MatchingConfig,
    coop: list[tuple[int, int]] | None,
    *,
    notify: bool,
) -> Counts:
    counts = Counts()
    with transaction(session):
        t0 = time.perf_counter()
        found = listing_row(session, listing_id)
        if found is None:
            return counts
        listing, status = found
        coop = cooperations(session) if coop is None else coop
        active = status == "published" and listing.located
        snapshot = category_snapshot(session, listing.category, listing, active)
        update = _Update(session, cfg, coop, snapshot, listing, active)
        cands = update.candidates()
        update.read_kth(cands)
        existing = update.existing(cands)
        update.fill_stored_top(cands, existing)
        t1 = time.perf_counter()
        own, updated = update.recompute(cands)
        desired = update.desired(existing, own, updated)
        t2 = time.perf_counter()
        changes = diff(existing, desired, snapshot.fingerprints, counts)
        offers, needs = snapshot.sides["offer"], snapshot.sides["need"]
        explain_changes(
            changes, SidedExplainer(cfg, coop, (offers.arrays, offers.pos), (needs.arrays, needs.pos))
        )
        write(session, changes)
        counts.deleted, counts.updated, counts.inserted = (
            len(changes.deletes),
            len(changes.updates),
            len(changes.inserts),
        )
        if notify:
            notify_new(session, counts.new_pairs, cfg, snapshot)
    counts.timings = {"load": t1 - t0, "match": t2 - t1, "write": time.perf_counter() - t2}
    return counts
