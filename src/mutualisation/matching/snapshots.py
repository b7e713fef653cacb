"""Per-process snapshots of a category, for the incremental update, and the flush listener they rely on.

Re-reading a category (tens of thousands of listings) for each update costs far more than the
update itself. Each process keeps, per database and category, the listings as ListingArrays
with an id → position map, labelled with the category's data version (`MatchingState`).
Every flush that changes listings bumps that version in its own transaction (`bump_changed_categories`,
attached to the app's sessions by `attach_flush_listener`), and each bump logs the listings it
changed (`MatchingChange`), so several workers stay correct: a worker whose snapshot is behind
re-reads the listings logged since its version and patches them in (`catch_up`); it reloads the
category only when the log no longer reaches back that far, or names too many listings.

Each side also carries, once an update asked for it, a mirror of its stored top-k lists
(`SideArrays.top`), so that an update reads the stored rows of the few counterparts it changes
rather than those of every counterpart it reaches. The mirror must equal the stored ranks: an
incremental update takes the category's `matching_state` row lock first and bumps its version
once it wrote (`ranks_written`), so another process's cache never passes for fresh after it; a
full recompute that rewrites a category records a new `computed_inputs`, which drops the mirrors.
Each bump logs the listings whose stored top-k it rewrote, so a catch-up marks those rows of the
mirror stale (`SideArrays.stale`); an update re-reads the stale rows it is about to read
(`refresh_tops`), which are few: most of what another worker rewrote lies far from it.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import event, text
from sqlalchemy.orm import Session, attributes

from ..listings.models import Listing
from .arrays import ListingArrays
from .reading import driver_rows, load_category, logged_listings, ranked, ranked_of
from .rows import Fingerprints, ListingRow, Subcategories, arrays_from_rows
from .topk import TopK


@dataclass
class SideArrays:
    """One side (offers or needs) of a category: the arrays and each listing id's row."""

    arrays: ListingArrays
    pos: dict[int, int]
    # The stored top-k list of each listing, rows aligned with `arrays`; None until loaded.
    top: TopK | None = None
    # Listings whose mirrored list another process may have rewritten since: re-read before use.
    stale: set[int] = field(default_factory=set)

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
            if self.top is not None:  # a new listing has no stored list yet
                self.top = append_empty(self.top, int(row.id))
        else:
            self.arrays.set_row(i, me)

    def set_tops(self, tops: TopK) -> None:
        """Record the new stored top-k lists of `tops.query_ids` (listings of this side)."""
        if self.top is None or not tops.query_ids.size:
            return
        written = tops.query_ids.tolist()
        at = np.asarray([self.pos[int(q)] for q in written], dtype=np.int64)
        self.top.ids[at], self.top.scores[at], self.top.distances[at] = tops.ids, tops.scores, tops.distances
        self.stale.difference_update(written)

    def mark_stale(self, listing_ids: Collection[int]) -> None:
        """The mirrored lists of these listings may have been rewritten elsewhere (a loaded mirror's)."""
        if self.top is not None:
            self.stale.update(i for i in listing_ids if i in self.pos)

    def loaded(self, top: TopK | None) -> None:
        """A mirror read whole (or dropped): nothing in it is stale."""
        self.top = top
        self.stale.clear()

    def drop(self, *listing_ids: int) -> None:
        at = [self.pos[i] for i in listing_ids if i in self.pos]
        if not at:
            return
        self.stale.difference_update(listing_ids)
        keep = np.ones(len(self.arrays), dtype=bool)
        keep[at] = False
        self.arrays = self.arrays.take(keep)
        self.pos = {int(x): p for p, x in enumerate(self.arrays.id.tolist())}
        if self.top is not None:
            self.top = TopK(self.top.query_ids[keep], *(a[keep] for a in self.top_matrices()))

    def top_matrices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        assert self.top is not None
        return self.top.ids, self.top.scores, self.top.distances

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
    # The full recompute's record for the category when the top-k mirrors were last valid.
    computed_inputs: str | None = None

    @classmethod
    def load(cls, session: Session, category: str, epoch: int, version: int) -> Snapshot:
        offers, needs = load_category(session, category)
        return cls.of(epoch, version, offers, needs)

    @classmethod
    def of(cls, epoch: int, version: int, offers: list[ListingRow], needs: list[ListingRow]) -> Snapshot:
        subs = Subcategories()
        sides = {
            "offer": SideArrays.build(arrays_from_rows(offers, subs)),
            "need": SideArrays.build(arrays_from_rows(needs, subs)),
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
# Both run through the driver (`reading.driver_rows`): each update runs two of them, and
# SQLAlchemy's statement handling cost more than the statements (0.2 to 0.35 ms each).
_BUMP = (
    "INSERT INTO matching_state (category, epoch, version, run_start, last_listing_id) "
    "VALUES (:category, :epoch, :step, 0, :listing_id) "
    "ON CONFLICT (category) DO UPDATE SET "
    "run_start = CASE WHEN matching_state.last_listing_id = :listing_id "
    "THEN matching_state.run_start ELSE matching_state.version END, "
    "version = matching_state.version + :step, last_listing_id = :listing_id "
    "RETURNING version"
)
_STATE = (
    "SELECT epoch, version, run_start, last_listing_id, computed_inputs, log_from FROM matching_state "
    "WHERE category = :category"
)
# PostgreSQL logs the bump's listings in the same statement (one round trip); SQLite, which has no
# data-modifying WITH, in a second one.
_LOGGED = (
    "logged AS (INSERT INTO matching_changes (category, version, listing_id, row_changed) "
    "SELECT :category, bumped.version, changed.id, :rows "
    "FROM bumped, unnest(CAST(:ids AS bigint[])) AS changed(id))"
)
_BUMP_LOGGED = f"WITH bumped AS ({_BUMP}), {_LOGGED} SELECT version FROM bumped"  # noqa: S608 (constants)
# A flush's bump also marks its listings pending: their own update has yet to run.
_BUMP_LOGGED_PENDING = (
    f"WITH bumped AS ({_BUMP}), {_LOGGED}, pending AS ("  # noqa: S608 (constants)
    "INSERT INTO matching_pending (category, listing_id, version) "
    "SELECT :category, changed.id, bumped.version FROM bumped, unnest(CAST(:ids AS bigint[])) AS changed(id) "
    "ON CONFLICT (category, listing_id) DO UPDATE SET version = excluded.version) SELECT version FROM bumped"
)
_PENDING = (
    "INSERT INTO matching_pending (category, listing_id, version) VALUES (?, ?, ?) "
    "ON CONFLICT (category, listing_id) DO UPDATE SET version = excluded.version"
)
_CLEAR_PENDING = "DELETE FROM matching_pending WHERE category = :category AND version <= :version"
_TAKE_PENDING = "DELETE FROM matching_pending WHERE category = :category RETURNING listing_id"
_LOG = "INSERT INTO matching_changes (category, version, listing_id, row_changed) VALUES (?, ?, ?, ?)"
_RESET_LOG = "UPDATE matching_state SET log_from = version WHERE category = :category"
# Beyond this many listings to re-read, reloading the category costs about as much.
CATCH_UP_MAX_LISTINGS = 2000
# Rows of the log kept per category by a full recompute's pruning: far more than a catch-up takes.
LOG_KEEP_ROWS = 20_000


@dataclass(frozen=True)
class State:
    epoch: int
    version: int
    run_start: int
    last_listing_id: int | None
    computed_inputs: str | None = None
    log_from: int = 0


def state(session: Session, category: str, *, lock: bool = False) -> State:
    """The category's `matching_state` (created when missing); with `lock`, its row is locked
    until the transaction ends (PostgreSQL; SQLite serialises writers anyway), so that updates of
    one category run one after the other and each sees the ranks the previous one wrote."""
    connection = session.connection()
    sql = _STATE + (" FOR UPDATE" if lock and connection.dialect.name == "postgresql" else "")
    rows = driver_rows(connection, sql, {"category": category})
    if not rows:
        _bump(connection, category, (), rows=True)
        rows = driver_rows(connection, sql, {"category": category})
    return State(*rows[0])


def _bump(connection: Any, category: str, changed: Collection[int], rows: bool) -> int:
    """Bump the category's data version (creating its row when missing) and log the listings
    `changed` under the new version, which it returns: their rows (`rows`), else their stored top-k."""
    # Random steps: after a rolled-back bump, the next one does not reuse the version number.
    step = secrets.randbelow(1 << 20) + 1
    ids = sorted({int(i) for i in changed})
    params = {
        "category": category,
        "epoch": secrets.randbelow(1 << 62),
        "step": step,
        # A run of changes to one listing's row (`run_start`); a bump of stored lists ends any run.
        "listing_id": ids[0] if rows and len(ids) == 1 else None,
    }
    if connection.dialect.name == "postgresql":
        sql = _BUMP_LOGGED_PENDING if rows and ids else _BUMP_LOGGED
        return int(driver_rows(connection, sql, {**params, "ids": ids, "rows": rows})[0][0])
    version = int(driver_rows(connection, _BUMP, params)[0][0])
    if ids:
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(_LOG, [(category, version, i, rows) for i in ids])
            if rows:
                cursor.executemany(_PENDING, [(category, i, version) for i in ids])
        finally:
            cursor.close()
    return version


def take_pending(session: Session, category: str, listing_id: int) -> tuple[State, list[int]]:
    """Lock the category's state, then take its pending listings (`MatchingPending`): those whose
    rows changed and whose own update has not run, the caller's `listing_id` aside, in id order.
    The state as locked, which stays current until an update of the pending listings bumps it."""
    now = state(session, category, lock=True)
    taken = driver_rows(session.connection(), _TAKE_PENDING, {"category": category})
    return now, sorted({int(r[0]) for r in taken} - {listing_id})


def catch_up(session: Session, snap: Snapshot, category: str, now: State) -> bool:
    """Bring `snap` from its version to `now` by re-reading what the log names since; False when
    the log does not reach back to its version or names too many listings (reload it then).

    A listing whose row changed is put in its side as it is now, or dropped when it is no longer a
    published, located listing of the category. Mirrors mark stale the stored lists of every logged
    listing, and of those whose list named a dropped one (deleting a listing removes its pairs
    with no update to log their holders).
    """
    if snap.epoch != now.epoch or snap.version < now.log_from or snap.version > now.version:
        return False
    logged = logged_listings(session, category, snap.version)
    if len(logged) > CATCH_UP_MAX_LISTINGS:
        return False
    found = {row.id: row for _, _, row in logged if row is not None and row.category == category}
    gone = [i for i, changed, _ in logged if changed and i not in found]
    for side in snap.sides.values():
        side.drop(*gone)
    for i in gone:
        snap.fingerprints.drop(i)
    for row in found.values():
        snap.sides[str(row.kind)].put(snap.subs.coded([row])[0])
        snap.fingerprints.set_row(row)
    _stale_lists(snap, [i for i, _, _ in logged], gone)
    snap.version = now.version
    return True


def _stale_lists(snap: Snapshot, logged: list[int], gone: list[int]) -> None:
    """Mark stale in the mirrors the stored lists of the `logged` listings, and of those whose list
    named a `gone` one.

    Re-reading them all here cost most of a catch-up's time: at 100,000 listings, 8 to 10 ms for the
    60 to 90 lists two updates elsewhere had rewritten, scattered over the suggestions table, when
    the update that follows reads a handful of them (`refresh_tops`)."""
    for side in snap.sides.values():
        if side.top is not None:
            naming = side.top.query_ids[np.isin(side.top.ids, gone).any(axis=1)].tolist() if gone else []
            side.mark_stale([*logged, *naming])


def refresh_tops(session: Session, snap: Snapshot, kind: str, rows: np.ndarray) -> None:
    """Re-read the stale mirrored lists among the listings at positions `rows` of one side (one
    statement, none when none of them is stale)."""
    side = snap.sides[kind]
    if side.top is None or not side.stale:
        return
    ids = [i for i in side.arrays.id[np.asarray(rows, dtype=np.int64)].tolist() if i in side.stale]
    if not ids:
        return
    k = side.top_matrices()[0].shape[1]
    found = ranked_of(session, ids if kind == "offer" else [], ids if kind == "need" else [], k)
    side.set_tops(stored_top(np.asarray(ids, dtype=np.int64), found, k))


def category_snapshot(
    session: Session, category: str, listing: ListingRow, active: bool, now: State | None = None
) -> Snapshot:
    """The category's listings with `listing` in its current state (patched, caught up, or
    reloaded). `now`: the category's state, when the caller locked and read it already."""
    now = state(session, category, lock=True) if now is None else now
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
    if snap is not None and not fresh and catch_up(session, snap, category, now):
        fresh = True
    if snap is None or not fresh:
        SNAPSHOTS.pop(key, None)
        snap = Snapshot.load(session, category, now.epoch, now.version)
    if snap.computed_inputs != now.computed_inputs:  # a full recompute elsewhere rewrote the ranks
        for s in snap.sides.values():
            s.loaded(None)
        snap.computed_inputs = now.computed_inputs
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


def side_tops(session: Session, snap: Snapshot, category: str, kind: str, k: int) -> TopK:
    """The stored top-k lists of one side of the category, from the snapshot's mirror.

    Both sides' mirrors are loaded together (two queries), the first time an update asks: an
    update changes the lists of both sides, which must then be in the mirror to be kept in step.
    """
    for name, side in snap.sides.items():
        if side.top is None or side.top.ids.shape[1] != k:
            side.loaded(stored_top(side.arrays.id, ranked(session, category, name == "offer", k), k))
    top = snap.sides[kind].top
    assert top is not None
    return top


def ranks_written(
    session: Session, snap: Snapshot, category: str, changed: Collection[int], others: set[str]
) -> None:
    """After an update wrote the stored top-k lists of the listings `changed` in `category` (and
    ranks in `others`, rare): bump their data versions, so that every other process's mirrors of
    them go stale, and keep this snapshot in step. The listings are logged, so that other processes
    re-read just their lists; `others`' logs are cut short instead (their caches reload: a listing
    changed category, which is rare)."""
    connection = session.connection()
    for name in sorted({category, *others}):
        version = _bump(connection, name, changed if name == category else (), rows=False)
        if name == category:
            snap.version = version
        else:
            driver_rows(connection, _RESET_LOG, {"category": name})


def clear_pending(session: Session, versions: dict[str, int]) -> None:
    """A full recompute placed every listing as of the category versions it read: the pending
    marks of those versions and older go (a listing changed since keeps its mark)."""
    for category, version in sorted(versions.items()):
        driver_rows(session.connection(), _CLEAR_PENDING, {"category": category, "version": version})


def prune_changes(session: Session, keep: int = LOG_KEEP_ROWS) -> None:
    """Drop all but the newest `keep` log rows of each category, in the caller's transaction; the
    caches older than what is left reload. The full recompute calls it, after its other writes."""
    categories = session.execute(text("SELECT category FROM matching_state ORDER BY category")).scalars()
    for category in list(categories):
        cut = session.execute(
            text(
                "SELECT version FROM matching_changes WHERE category = :category "
                "ORDER BY version DESC LIMIT 1 OFFSET :keep"
            ),
            {"category": category, "keep": keep},
        ).scalar()
        if cut is None:
            continue
        params = {"category": category, "cut": cut}
        session.execute(
            text("DELETE FROM matching_changes WHERE category = :category AND version <= :cut"), params
        )
        session.execute(
            text("UPDATE matching_state SET log_from = :cut WHERE category = :category AND log_from < :cut"),
            params,
        )


def forget_snapshots() -> None:
    SNAPSHOTS.clear()


def stored_top(ids: np.ndarray, rows: list[tuple[object, ...]], k: int) -> TopK:
    """Top-k matrices aligned with `ids` from (listing id, rank, counterpart, score, km) rows;
    rows of listings not in `ids`, or ranked k or lower, are ignored."""
    n = len(ids)
    out = TopK(
        ids.copy(), np.full((n, k), -1, dtype=np.int64), np.full((n, k), np.nan), np.full((n, k), np.nan)
    )
    if not rows or not n:
        return out
    table = np.asarray(rows, dtype=np.float64)
    me, rank = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    order = np.argsort(ids, kind="stable")
    at = np.minimum(np.searchsorted(ids, me, sorter=order), n - 1)
    known = (ids[order[at]] == me) & (rank < k)  # rows of the other side, or of a larger k, left out
    row = order[at[known]]
    out.ids[row, rank[known]] = table[known, 2].astype(np.int64)
    out.scores[row, rank[known]] = table[known, 3]
    out.distances[row, rank[known]] = table[known, 4]
    return out


def append_empty(top: TopK, listing_id: int) -> TopK:
    k = top.ids.shape[1]
    return TopK(
        np.append(top.query_ids, listing_id),
        np.vstack([top.ids, np.full((1, k), -1, dtype=np.int64)]),
        np.vstack([top.scores, np.full((1, k), np.nan)]),
        np.vstack([top.distances, np.full((1, k), np.nan)]),
    )


_BUMPED = "mutualisation.matching.bumped"
_ATTACHED = "_mutualisation_bumps_matching_state"


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
        _bump(session.connection(), category, {i for i in ids if i is not None}, rows=True)


def attach_flush_listener(session_factory: Any) -> None:
    """Keep the snapshots' data versions right for the sessions `session_factory` makes.

    Contract: after this call, every flush of a session made by `session_factory` (a
    `sessionmaker`; the `Session` class itself reaches every session) that adds, changes or
    deletes listings bumps `matching_state` for their categories, in the flush's transaction.
    The incremental update (`update_for_listing`) is only correct across processes when every
    session that writes listings is covered. Idempotent: attaching twice changes nothing.
    """
    # A mark on the factory itself, not `event.contains`: SQLAlchemy's registry keys listeners by
    # the target's id(), and a factory collected late can leave its entry for a new factory born
    # at the same address, which then looked attached and never bumped (a flaky test showed it).
    if getattr(session_factory, _ATTACHED, False):
        return
    event.listen(session_factory, "after_flush", bump_changed_categories)
    setattr(session_factory, _ATTACHED, True)
