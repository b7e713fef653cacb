"""Per-process snapshots of a category, for the incremental update, and the flush listener they rely on.

Re-reading a category (tens of thousands of listings) for each update costs far more than the
update itself. Each process keeps, per database and category, the listings as ListingArrays
with an id → position map, labelled with the category's data version (`MatchingState`).
Every flush that changes listings bumps that version in its own transaction (`bump_changed_categories`,
attached to the app's sessions by `attach_flush_listener`), so several workers stay correct: a
worker reuses its snapshot only when nothing but the listing being updated changed since (that
listing is re-read and patched in place); otherwise it reloads.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, attributes

from ..listings.models import Listing
from .arrays import ListingArrays
from .models import MatchingState
from .reading import load_category
from .rows import Fingerprints, ListingRow, Subcategories, arrays_from_rows


@dataclass
class SideArrays:
    """One side (offers or needs) of a category: the arrays and each listing id's row."""

    arrays: ListingArrays
    pos: dict[int, int]

    @classmethod
    def build(cls, arrays: ListingArrays) -> SideArrays:
        return cls(arrays, {int(i): p for p, i in enumerate(arrays.id.tolist())})

    def put(self, row: ListingRow) -> None:
        """Insert or replace one listing (a coded row), keeping the derived columns in step."""
        me = arrays_from_rows([row])
        i = self.pos.get(int(row.id))
        if i is None:
            self.arrays = ListingArrays.concat([self.arrays, me])
            self.pos[int(row.id)] = len(self.arrays) - 1
        else:
            self.arrays.set_row(i, me)

    def drop(self, listing_id: int) -> None:
        i = self.pos.get(listing_id)
        if i is None:
            return
        keep = np.ones(len(self.arrays), dtype=bool)
        keep[i] = False
        self.arrays = self.arrays.take(keep)
        self.pos = {int(x): p for p, x in enumerate(self.arrays.id.tolist())}

    def owner(self, listing_id: int) -> int | None:
        at = self.pos.get(listing_id)
        return None if at is None else int(self.arrays.owner[at])


@dataclass
class Snapshot:
    epoch: int
    version: int
    subs: Subcategories
    fingerprints: Fingerprints
    sides: dict[str, SideArrays]

    @classmethod
    def load(cls, session: Session, category: str, epoch: int, version: int) -> Snapshot:
        offers, needs = load_category(session, category)
        return cls.of(epoch, version, offers, needs)

    @classmethod
    def of(cls, epoch: int, version: int, offers: list[ListingRow], needs: list[ListingRow]) -> Snapshot:
        subs = Subcategories()
        sides = {
            "offer": SideArrays.build(arrays_from_rows(subs.coded(offers))),
            "need": SideArrays.build(arrays_from_rows(subs.coded(needs))),
        }
        return cls(epoch, version, subs, Fingerprints(offers + needs), sides)

    def owners(self, listing_ids: set[int]) -> dict[int, int]:
        found = {}
        for side in self.sides.values():
            for i in listing_ids:
                owner = side.owner(i)
                if owner is not None:
                    found[i] = owner
        return found


SNAPSHOTS: dict[tuple[str, str], Snapshot] = {}
# Threads of one process share the snapshots, which an update patches in place.
SNAPSHOT_LOCK = threading.RLock()
_BUMP = text(
    "INSERT INTO matching_state (category, epoch, version, run_start, last_listing_id) "
    "VALUES (:category, :epoch, :step, 0, :listing_id) "
    "ON CONFLICT (category) DO UPDATE SET "
    "run_start = CASE WHEN matching_state.last_listing_id = :listing_id "
    "THEN matching_state.run_start ELSE matching_state.version END, "
    "version = matching_state.version + :step, last_listing_id = :listing_id"
)


@dataclass(frozen=True)
class State:
    epoch: int
    version: int
    run_start: int
    last_listing_id: int | None


def state(session: Session, category: str) -> State:
    stmt = select(
        MatchingState.epoch, MatchingState.version, MatchingState.run_start, MatchingState.last_listing_id
    ).where(MatchingState.category == category)
    row = session.execute(stmt).first()
    if row is None:
        _bump(session.connection(), category, None)
        row = session.execute(stmt).one()
    return State(*row)


def _bump(connection: Any, category: str, listing_id: int | None) -> None:
    # Random steps: after a rolled-back bump, the next one does not reuse the version number.
    step = secrets.randbelow(1 << 20) + 1
    connection.execute(
        _BUMP,
        {"category": category, "epoch": secrets.randbelow(1 << 62), "step": step, "listing_id": listing_id},
    )


def category_snapshot(session: Session, category: str, listing: ListingRow, active: bool) -> Snapshot:
    """The category's listings with `listing` in its current state (patched, or reloaded)."""
    now = state(session, category)
    key = (str(session.connection().engine.url), category)
    snap = SNAPSHOTS.get(key)
    fresh = (
        snap is not None
        and snap.epoch == now.epoch
        and (
            snap.version == now.version
            or (now.last_listing_id == listing.id and now.run_start <= snap.version <= now.version)
        )
    )
    if snap is None or not fresh:
        SNAPSHOTS.pop(key, None)
        snap = Snapshot.load(session, category, now.epoch, now.version)
    side = snap.sides[str(listing.kind)]
    if active:
        side.put(snap.subs.coded([listing])[0])
        snap.fingerprints.set_row(listing)
    else:
        side.drop(listing.id)
        snap.fingerprints.drop(listing.id)
    snap.version = now.version
    SNAPSHOTS[key] = snap
    return snap


def forget_snapshots() -> None:
    SNAPSHOTS.clear()


_BUMPED = "mutualisation.matching.bumped"


def bump_changed_categories(session: Session, flush_context: Any) -> None:
    """Bump the data version of every category whose listings this flush added, changed or deleted."""
    if flush_context.attributes.get(_BUMPED):
        return  # attached twice (to the class and to a sessionmaker): bump once per flush
    flush_context.attributes[_BUMPED] = True
    changed: dict[str, set[int]] = defaultdict(set)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, Listing):
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        history = attributes.get_history(obj, "category")
        for category in {obj.category, *(history.deleted or ())}:
            if category:
                changed[category].add(obj.id)
    for category, ids in sorted(changed.items()):
        _bump(session.connection(), category, next(iter(ids)) if len(ids) == 1 else None)


def attach_flush_listener(session_factory: Any) -> None:
    """Keep the snapshots' data versions right for the sessions `session_factory` makes.

    Contract: after this call, every flush of a session made by `session_factory` (a
    `sessionmaker`; the `Session` class itself reaches every session) that adds, changes or
    deletes listings bumps `matching_state` for their categories, in the flush's transaction.
    The incremental update (`update_for_listing`) is only correct across processes when every
    session that writes listings is covered. Idempotent: attaching twice changes nothing.
    """
    if not event.contains(session_factory, "after_flush", bump_changed_categories):
        event.listen(session_factory, "after_flush", bump_changed_categories)
