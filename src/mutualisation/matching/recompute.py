"""The full recompute: every suggestion in ONE transaction, writing only the differences.

Listings are read one query per category, matched by the pure core (`candidates`), compared with
the stored suggestions (`diff`) and the difference is written in bulk (`writers`). A failure
leaves the previous suggestions intact. Categories whose inputs hash as at the previous full
recompute (`inputs`) are skipped: their listings and suggestions are not even read. The
incremental updates that follow in this process start from the snapshots it leaves (`snapshots`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..collector import collector_paused
from ..db import SQLITE_UNCHECKED_KEYS, retried, transaction
from .candidates import top_k_both_sides
from .config import MatchingConfig
from .diff import Counts, Desired, TopEntries, diff
from .explainer import Explainer, explain_changes
from .inputs import aggregates, computed, inputs_key, store
from .memory import release_free_memory
from .notify import notify_new
from .reading import (
    cooperations,
    listing_rows,
    load_category,
    stored_suggestions,
    suggestion_count,
    suggestions_outside,
)
from .rows import Fingerprints, ListingRow
from .snapshots import SNAPSHOT_LOCK, SNAPSHOTS, Snapshot, State, clear_pending, prune_changes, state
from .writers import VACUUM_FROM_ROWS, AfterDeletes, vacuum_after_bulk, write


@dataclass
class _Category:
    name: str
    state: State
    offers: list[ListingRow]
    needs: list[ListingRow]


@dataclass
class _Plan:
    """Which categories to recompute, and the input keys to record once they are written."""

    states: dict[str, State]  # every category with published listings
    keys: dict[str, str | None]
    skipped: set[str]  # same inputs as at the previous full recompute
    vanished: list[str]  # a key is stored but no listing is published any more
    untouched: int = 0  # stored suggestions of skipped categories, left unread

    @classmethod
    def of(cls, session: Session, cfg: MatchingConfig, coop: list[tuple[int, int]]) -> _Plan:
        found, before = aggregates(session), computed(session)
        states = {c: state(session, c) for c in sorted(found)}
        keys: dict[str, str | None] = {c: inputs_key(c, states[c], found[c], cfg, coop) for c in states}
        skipped = {c for c, k in keys.items() if before.get(c) == k}
        vanished = [c for c, k in before.items() if k is not None and c not in found]
        return cls(states, keys, skipped, vanished)

    def to_store(self) -> dict[str, str | None]:
        out = {c: k for c, k in self.keys.items() if c not in self.skipped}
        return out | {c: None for c in self.vanished}

    def existing(self, session: Session, fingerprints: Fingerprints) -> list[tuple[object, ...]]:
        """The stored suggestions the recomputed categories may change, every listing they name
        being fingerprinted as in a full read."""
        if not self.skipped:
            return stored_suggestions(session)
        if not self.vanished and self.skipped == set(self.states):
            self.untouched = suggestion_count(session)
            return []
        rows = suggestions_outside(session, sorted(self.skipped))
        self.untouched = suggestion_count(session) - len(rows)
        unknown = {i for r in rows for i in (r[1], r[2]) if i not in fingerprints}
        for row in listing_rows(session, sorted(unknown)):
            fingerprints.set_row(row)
        return rows


def _read(session: Session, fingerprints: Fingerprints, plan: _Plan) -> list[_Category]:
    read = []
    for category, now in plan.states.items():
        if category in plan.skipped:
            continue
        offers, needs = load_category(session, category)
        for r in offers + needs:
            fingerprints.set_row(r)
        read.append(_Category(category, now, offers, needs))
    return read


def _match(
    read: list[_Category], cfg: MatchingConfig, coop: list[tuple[int, int]], explainer: Explainer, url: str
) -> tuple[Desired, dict[tuple[str, str], Snapshot]]:
    """The desired pairs of every category's top-k lists, and each category's snapshot.

    The categories' two sides are searched in threads (`top_k_both_sides`); each top-k list is
    dropped as soon as its entries are taken (`TopEntries`).
    """
    snapshots, networks = {}, []
    for category in read:
        snapshot = Snapshot.of(category.state.epoch, category.state.version, category.offers, category.needs)
        o_arr, n_arr = snapshot.sides["offer"].arrays, snapshot.sides["need"].arrays
        if category.offers and category.needs:
            explainer.add(o_arr)
            explainer.add(n_arr)
            networks.append((o_arr, n_arr))
        snapshots[(url, category.name)] = snapshot
    entries = TopEntries()
    tops = top_k_both_sides(networks, cfg, coop)
    while tops:
        need_top, offer_top = tops.pop(0)
        entries.add(need_top, False)
        entries.add(offer_top, True)
    return entries.desired(), snapshots


@contextmanager
def _unmapped(session: Session) -> Iterator[None]:
    """On SQLite, read the database through its page cache, not memory-mapped, while recomputing.

    A recompute reads every published listing: mapped, those pages count in the process's
    resident memory (a seventh of its peak at national scale) long after they are read. The
    connection's setting is restored before the transaction ends, whatever happens.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    cursor = connection.connection.cursor()
    try:
        mapped = int(cursor.execute("PRAGMA mmap_size").fetchone()[0])
        cursor.execute("PRAGMA mmap_size = 0")
        yield
    finally:
        cursor.execute(f"PRAGMA mmap_size = {mapped}")
        cursor.close()


def full_recompute(
    session: Session,
    cfg: MatchingConfig,
    coop: list[tuple[int, int]] | None = None,
    *,
    notify: bool = True,
    after_deletes: AfterDeletes = None,
) -> Counts:
    """Recompute every suggestion in ONE transaction and write only the differences.

    `after_deletes` runs between the deletes and the other writes (tests inject failures there).
    Run again when PostgreSQL aborts it as a deadlock victim (`db.retried`): it locks the
    suggestions it rewrites, then every category's `matching_state` row, while an incremental
    update locks them in the other order.
    """
    return retried(lambda: _full_recompute(session, cfg, coop, notify=notify, after_deletes=after_deletes))


def _full_recompute(
    session: Session,
    cfg: MatchingConfig,
    coop: list[tuple[int, int]] | None,
    *,
    notify: bool,
    after_deletes: AfterDeletes,
) -> Counts:
    counts = Counts()
    if not session.in_transaction():
        # Every row written names two listings this transaction reads as published while it holds
        # SQLite's write lock: checking their keys row by row (a third of the inserts' time at
        # national scale) cannot fail. A transaction already under way keeps its checks.
        session.connection(execution_options={SQLITE_UNCHECKED_KEYS: True})
    # Millions of row tuples and none in a cycle: the collector's passes would find nothing.
    with collector_paused(), transaction(session), _unmapped(session):
        t0 = time.perf_counter()
        coop = cooperations(session) if coop is None else coop
        explainer = Explainer(cfg, coop)
        fingerprints = Fingerprints(())
        plan = _Plan.of(session, cfg, coop)
        read = _read(session, fingerprints, plan)  # states were read before the listings
        existing = plan.existing(session, fingerprints)
        t1 = time.perf_counter()
        desired, snapshots = _match(read, cfg, coop, explainer, str(session.connection().engine.url))
        t2 = time.perf_counter()
        changes = diff(existing, desired, fingerprints, counts)
        release_free_memory()  # the diff's temporaries, before the write's own peak
        counts.unchanged += plan.untouched
        explain_changes(changes, explainer)
        write(session, changes, after_deletes)
        counts.deleted, counts.updated, counts.inserted = (
            len(changes.deletes),
            len(changes.updates),
            len(changes.inserts),
        )
        if notify:
            notify_new(session, counts.new_pairs, cfg, fingerprints=fingerprints)
        store(session, plan.to_store())
        clear_pending(session, {c: s.version for c, s in plan.states.items() if c not in plan.skipped})
        prune_changes(session)
        t3 = time.perf_counter()
    with SNAPSHOT_LOCK:
        SNAPSHOTS.update(snapshots)
    if counts.inserted + counts.deleted >= VACUUM_FROM_ROWS and not session.in_transaction():
        vacuum_after_bulk(session)
    counts.timings = {"load": t1 - t0, "match": t2 - t1, "write": time.perf_counter() - t2, "apply": t3 - t2}
    return counts
