"""The incremental update: bring the suggestions up to date after one listing changed.

Only the rows of that listing and of the counterparts whose top-k it changes are rewritten
(`candidates.reach`), with the stored ranks standing for the previous full recompute. The
category's listings come from the per-process snapshot (`snapshots`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from ..db import retried, transaction
from .arrays import Array, ListingArrays
from .candidates import MatchingIndex, reach, score_against, top_k_for_needs, top_k_for_offers
from .config import MatchingConfig
from .diff import Counts, Desired, TopEntries, diff
from .explainer import SidedExplainer, explain_changes
from .nearby import within_each
from .notify import notify_new
from .reading import cooperations, listing_categories, listing_row, suggestions_of
from .rows import ListingRow, SuggestionRow
from .snapshots import (
    SNAPSHOT_LOCK,
    Snapshot,
    State,
    category_snapshot,
    forget_snapshots,
    ranks_written,
    refresh_tops,
    side_tops,
    take_pending,
)
from .topk import TopK
from .writers import CHUNK, write


@dataclass(frozen=True)
class _Orientation:
    """The listing's side and its counterparts' side, in suggestion columns."""

    offer: bool  # the listing is an offer

    @property
    def my_col(self) -> str:
        return "offer_id" if self.offer else "need_id"

    @property
    def other_col(self) -> str:
        return "need_id" if self.offer else "offer_id"

    def other_id(self, row: SuggestionRow) -> int:
        return row.need_id if self.offer else row.offer_id

    def other_rank(self, row: SuggestionRow) -> int | None:
        """The counterpart's rank of the listing (its side of the pair)."""
        return row.need_rank if self.offer else row.offer_rank


class _Update:
    """One incremental update, inside the caller's transaction.

    The counterparts' stored top-k lists come from the snapshot's mirror (`snapshots.side_tops`),
    so the stored rows read are only the listing's own and those of the counterparts it changes.
    """

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
        self.other_kind = "need" if self.way.offer else "offer"
        self.other_side = snapshot.sides[self.other_kind]
        self.own_side = snapshot.sides[str(listing.kind)]
        self.other_top = side_tops(session, snapshot, str(listing.category), self.other_kind, cfg.top_k)
        self.mine = suggestions_of(session, self.way.my_col, [int(listing.id)])
        self._foreign: set[str] | None = None
        # Listings whose stored top-k this update rewrote: logged for the other processes' mirrors.
        self.rewritten: set[int] = {int(listing.id)}

    def recompute(self) -> tuple[TopK | None, TopK]:
        """(the listing's own top-k or None when it left, the new top-k of the changed counterparts)."""
        offer, other, own_arrays = self.way.offer, self.other_side.arrays, self.own_side.arrays
        if self.active:
            offers, needs = (own_arrays, other) if offer else (other, own_arrays)
            index = MatchingIndex.from_tops(
                offers, needs, self.cfg, self.other_top, self.other_top, self.coop
            )
            me = self.me
            at = within_each(
                me.unit_points(), me.reach_cos(self.cfg), other.unit_points(), other.reach_cos(self.cfg)
            )[0]
            scored = score_against(me, other, self.cfg, index.coop_keys, at, same_category=True)
            self._fresh_tops(np.flatnonzero(scored[1]))
            result = reach(me, index, scored, near=self._near_own)
            return result.own, result.updated
        self._fresh_tops(np.empty(0, dtype=np.int64))
        held = np.flatnonzero((self.other_top.ids == self.listing.id).any(axis=1))
        queries = other.take(held)
        if offer:
            return None, top_k_for_needs(own_arrays, queries, self.cfg, cooperations=self.coop)
        return None, top_k_for_offers(queries, own_arrays, self.cfg, cooperations=self.coop)

    def _fresh_tops(self, reached: Array) -> None:
        """Re-read the stale mirrored lists this update reads (`snapshots.refresh_tops`): those of the
        counterparts it may enter (`reached`), and of those holding the listing, as stored (its own
        rows say which: the counterpart's rank of it) or as the mirror has it. The other stale
        lists are never read by this update: `reach` compares the listing with the k-th entries of
        the counterparts it reaches, and rewrites those it enters or that held it."""
        side, lid = self.other_side, int(self.listing.id)
        if not side.stale:
            return
        holding = [self.way.other_id(r) for r in self.mine if self.way.other_rank(r) is not None]
        stored = np.asarray([side.pos[i] for i in holding if i in side.pos], dtype=np.int64)
        mirrored = np.flatnonzero((self.other_top.ids == lid).any(axis=1))
        wanted = np.union1d(reached, np.union1d(stored, mirrored))
        refresh_tops(self.session, self.snapshot, self.other_kind, wanted)

    def _near_own(self, queries: ListingArrays) -> list[Array]:
        """Own-side rows each of `queries` (counterparts) could match, the listing included."""
        own = self.own_side.arrays
        return within_each(
            queries.unit_points(), queries.reach_cos(self.cfg), own.unit_points(), own.reach_cos(self.cfg)
        )

    def existing(self, updated: TopK) -> list[SuggestionRow]:
        """The stored rows this update may touch: all of the listing's, and the changed counterparts'."""
        rows, seen = list(self.mine), {r.id for r in self.mine}
        changed = updated.query_ids.tolist()
        for start in range(0, len(changed), CHUNK):
            chunk = changed[start : start + CHUNK]
            rows += [r for r in suggestions_of(self.session, self.way.other_col, chunk) if r.id not in seen]
        return rows

    def keep_mirrors(self, own: TopK | None, updated: TopK) -> None:
        """The snapshot's top-k mirrors, in step with what was just written."""
        self.other_side.set_tops(updated)
        self.rewritten.update(updated.query_ids.tolist())
        if own is not None:
            self.own_side.set_tops(own)
            self.rewritten.update(own.query_ids.tolist())

    def foreign_categories(self) -> set[str]:
        """Categories of the listing's pairs outside the snapshot (it changed category, or a
        counterpart left): rare. Read once per update."""
        if self._foreign is None:
            ids = [
                self.way.other_id(r)
                for r in self.mine
                if self.way.other_id(r) not in self.snapshot.fingerprints
            ]
            self._foreign = listing_categories(self.session, ids) if ids else set()
        return self._foreign

    def desired(self, existing: list[SuggestionRow], own: TopK | None, updated: TopK) -> Desired:
        """Every touched row's ranks, cleared where recomputed, then the recomputed top-k lists.

        As columns (`TopEntries`): a dense update touches a thousand rows or more, which one Python
        object each took over a millisecond to merge."""
        offer, lid, recomputed = self.way.offer, self.listing.id, updated.query_ids

        def clear(o: Array, n: Array, o_rank: Array, n_rank: Array) -> None:
            mine, theirs = (o_rank, n_rank) if offer else (n_rank, o_rank)
            mine[(o == lid) | (n == lid)] = -1  # the listing's pairs entirely
            theirs[np.isin(n if offer else o, recomputed)] = -1  # the candidates' side of their pairs

        entries = TopEntries()
        entries.add_pairs(existing, clear)
        if own is not None:
            entries.add(own, offer_queries=offer)
        entries.add(updated, offer_queries=not offer)
        return entries.desired()


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

    Run again when PostgreSQL aborts it as a deadlock victim (`db.retried`): a listing that changed
    category locks its new category's state, then its old one's, so two listings moving in
    opposite directions at once can each hold the lock the other waits for.
    """

    def attempt() -> Counts:
        try:
            with SNAPSHOT_LOCK:
                return _update_for_listing(session, listing_id, cfg or MatchingConfig(), coop, notify=notify)
        except BaseException:
            # The snapshot may hold a state this failed transaction never committed.
            forget_snapshots()
            raise

    return retried(attempt)


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
        coop = cooperations(session) if coop is None else coop
        # Other listings of the category whose rows changed and whose update has not run yet (its
        # worker waits for this one's lock, or it is the next of a batch): placed first, in order,
        # since an update assumes that every other listing is where the stored lists rank it.
        now, pending = take_pending(session, str(found[0].category), listing_id)
        for other_id in pending:
            other = listing_row(session, other_id)
            if other is not None:
                theirs = Counts()
                _update_one(session, cfg, coop, *other, theirs, notify)
                counts.add_writes(theirs)
        # The state just read is the one to start from, unless the pending updates moved it on.
        t1, t2 = _update_one(session, cfg, coop, *found, counts, notify, now=None if pending else now)
    counts.timings = {"load": t1 - t0, "match": t2 - t1, "write": time.perf_counter() - t2}
    return counts


def _update_one(
    session: Session,
    cfg: MatchingConfig,
    coop: list[tuple[int, int]],
    listing: ListingRow,
    status: str,
    counts: Counts,
    notify: bool,
    now: State | None = None,
) -> tuple[float, float]:
    """One listing's update inside the caller's transaction; when its reading ended, and its
    matching (perf_counter). `now`: its category's state, locked and read already."""
    active = status == "published" and listing.located
    snapshot = category_snapshot(session, listing.category, listing, active, now)
    update = _Update(session, cfg, coop, snapshot, listing, active)
    moved_from = update.foreign_categories() - {str(listing.category)}
    if moved_from:  # it changed category: it leaves the lists it held there first
        for category in sorted(moved_from):
            _leave_category(session, cfg, coop, listing._replace(category=category), counts, notify)
        update = _Update(session, cfg, coop, snapshot, listing, active)  # its rows as they are now
    read = time.perf_counter()
    matched = _apply(update, counts)
    ranks_written(session, snapshot, str(listing.category), update.rewritten, update.foreign_categories())
    if notify:
        notify_new(session, counts.new_pairs, cfg, snapshot)
    return read, matched


def _apply(update: _Update, counts: Counts) -> float:
    """Recompute, compare and write one update's rows; when its matching ended (perf_counter)."""
    own, updated = update.recompute()
    existing = update.existing(updated)
    desired = update.desired(existing, own, updated)
    matched = time.perf_counter()
    changes = diff(existing, desired, update.snapshot.fingerprints, counts)
    offers, needs = update.snapshot.sides["offer"], update.snapshot.sides["need"]
    explain_changes(
        changes,
        SidedExplainer(update.cfg, update.coop, (offers.arrays, offers.pos), (needs.arrays, needs.pos)),
    )
    write(update.session, changes)
    update.keep_mirrors(own, updated)
    counts.add_writes(Counts(len(changes.inserts), len(changes.updates), len(changes.deletes)))
    return matched


def _leave_category(
    session: Session,
    cfg: MatchingConfig,
    coop: list[tuple[int, int]],
    listing: ListingRow,
    counts: Counts,
    notify: bool,
) -> None:
    """The listing, named as it was in a category it left, leaves its counterparts' lists there:
    each gets its next-best in its place, as if the listing had been withdrawn from that category.
    Its own rows with counterparts of that category go too."""
    category = str(listing.category)
    snapshot = category_snapshot(session, category, listing, active=False)
    leave = _Update(session, cfg, coop, snapshot, listing, active=False)
    leave.mine = [r for r in leave.mine if leave.way.other_id(r) in snapshot.fingerprints]
    found = Counts()
    _apply(leave, found)
    ranks_written(session, snapshot, category, leave.rewritten, set())
    if notify:
        notify_new(session, found.new_pairs, cfg, snapshot)
    counts.add_writes(found)
