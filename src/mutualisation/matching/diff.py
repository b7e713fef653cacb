"""The pure diff between the stored suggestions and the desired pairs: what to delete, update, insert.

- a pair in either side's top-k is a suggestion (`offer_rank` / `need_rank` say which side);
- unchanged rows keep their id, status and breakdown; nothing is written for them;
- an active pair that leaves every top-k is deleted; a dismissed one is kept (so it stays
  dismissed if it comes back) until either listing changes materially; an accepted one becomes
  `stale` (history of the decision);
- a dismissed pair whose listings changed materially (fingerprint) becomes active again;
- a pair one of whose listings is no longer published (it has no fingerprint) is never ranked,
  whatever ranks it still carries: no row is ever written without both fingerprints.

Vectorised (numpy, keyed by offer_id << 32 | need_id): a full recompute compares over a million
rows, which a Python loop would take seconds to walk. Pure: numpy only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from .arrays import Array
from .rows import Fingerprints, SuggestionRow
from .topk import TopK

_SCORE_TOLERANCE = 1e-9
STATUSES = ("active", "accepted", "dismissed", "stale")
_ACTIVE, _ACCEPTED, _DISMISSED, _STALE = range(4)


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    new_pairs: list[tuple[int, int, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "timings": dict(self.timings),
        }


@dataclass
class Pair:
    """A desired pair's score, distance and ranks (None: not in that side's top-k)."""

    score: float
    km: float
    offer_rank: int | None = None
    need_rank: int | None = None

    def set_rank(self, offer_side: bool, rank: int | None) -> None:
        if offer_side:
            self.offer_rank = rank
        else:
            self.need_rank = rank


def _ranks(values: Any) -> Array:
    return np.asarray([-1 if r is None else r for r in values], dtype=np.int64)


@dataclass
class Desired:
    """The desired pairs as columns sorted by key (offer_id << 32 | need_id); rank -1 = not ranked."""

    key: Array
    offer_id: Array
    need_id: Array
    score: Array
    km: Array
    offer_rank: Array
    need_rank: Array

    @classmethod
    def from_columns(cls, o: Any, n: Any, score: Any, km: Any, o_rank: Any, n_rank: Any) -> Desired:
        """Merge entries of the same pair: the last one's score and distance, the highest ranks."""
        o, n = np.asarray(o, dtype=np.int64), np.asarray(n, dtype=np.int64)
        key = (o << 32) | n
        order = np.argsort(key, kind="stable")
        key = key[order]
        if key.size == 0:
            empty_i, empty_f = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
            return cls(empty_i, empty_i, empty_i, empty_f, empty_f, empty_i, empty_i)
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        last = np.r_[starts[1:], key.size] - 1
        take = order[last]
        return cls(
            key=key[starts],
            offer_id=o[take],
            need_id=n[take],
            score=np.asarray(score, dtype=np.float64)[take],
            km=np.asarray(km, dtype=np.float64)[take],
            offer_rank=np.maximum.reduceat(np.asarray(o_rank, dtype=np.int64)[order], starts),
            need_rank=np.maximum.reduceat(np.asarray(n_rank, dtype=np.int64)[order], starts),
        )

    @classmethod
    def from_tops(cls, tops: list[tuple[TopK, bool]]) -> Desired:
        """From top-k lists, each with whether its queries are offers."""
        cols: list[list[Array]] = [[] for _ in range(6)]
        for top, offer_queries in tops:
            rows, ranks = np.nonzero(top.ids >= 0)
            q, t = top.query_ids[rows], top.ids[rows, ranks]
            none = np.full(ranks.shape, -1, dtype=np.int64)
            o, n = (q, t) if offer_queries else (t, q)
            o_rank, n_rank = (ranks, none) if offer_queries else (none, ranks)
            values = (o, n, top.scores[rows, ranks], top.distances[rows, ranks], o_rank, n_rank)
            for col, value in zip(cols, values, strict=True):
                col.append(value)
        return cls.from_columns(*(np.concatenate(c) if c else np.empty(0) for c in cols))

    @classmethod
    def from_pairs(cls, desired: dict[tuple[int, int], Pair]) -> Desired:
        keys, values = list(desired), list(desired.values())
        return cls.from_columns(
            [k[0] for k in keys],
            [k[1] for k in keys],
            [v.score for v in values],
            [v.km for v in values],
            _ranks(v.offer_rank for v in values),
            _ranks(v.need_rank for v in values),
        )

    def lookup(self, key: Array) -> tuple[Array, Array]:
        """(position, found) of each key in this sorted table."""
        if not self.key.size:
            return np.zeros(key.size, dtype=np.int64), np.zeros(key.size, dtype=bool)
        pos = np.minimum(np.searchsorted(self.key, key), self.key.size - 1)
        return pos, self.key[pos] == key


@dataclass
class UpdateRow:
    """A stored suggestion to rewrite; `breakdown` None keeps the stored one."""

    id: int
    score: float
    distance_km: float
    offer_rank: int | None
    need_rank: int | None
    status: str
    offer_fingerprint: str
    need_fingerprint: str
    breakdown: str | None = None
    clear_dismissal: bool = False

    def values(self) -> tuple[Any, ...]:
        """In `UPDATE_COLUMNS` order."""
        return tuple(getattr(self, name) for name in UPDATE_COLUMNS)


UPDATE_COLUMNS = tuple(UpdateRow.__dataclass_fields__)


class InsertRow(NamedTuple):
    offer_id: int
    need_id: int
    score: float
    distance_km: float
    offer_rank: int | None
    need_rank: int | None
    breakdown: str
    status: str
    offer_fingerprint: str
    need_fingerprint: str


INSERT_COLUMNS = InsertRow._fields


class Explained(NamedTuple):
    """An updated row whose breakdown is to be computed, for its pair at `km`."""

    row: UpdateRow
    offer_id: int
    need_id: int
    km: float


@dataclass
class NewPairs:
    """Rows to insert as columns, in (offer_id, need_id) order; breakdowns are added later."""

    offer_id: list[int]
    need_id: list[int]
    score: list[float]
    km: list[float]
    offer_rank: list[int | None]
    need_rank: list[int | None]
    offer_fingerprint: list[str]
    need_fingerprint: list[str]

    def rows(self, breakdowns: list[str]) -> list[InsertRow]:
        columns = (self.offer_id, self.need_id, self.score, self.km, self.offer_rank, self.need_rank)
        fps = (self.offer_fingerprint, self.need_fingerprint)
        return [
            InsertRow(o, n, s, d, orank, nrank, bd, "active", ofp, nfp)
            for (o, n, s, d, orank, nrank), bd, ofp, nfp in zip(
                zip(*columns, strict=True), breakdowns, *fps, strict=True
            )
        ]


class Rows(Protocol):
    """Rows to insert: a list, or rows computed as they are read (`explainer.ExplainedRows`)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[InsertRow]: ...


@dataclass
class Changes:
    """What to write: ids to delete, rows to update, rows to insert (read once, by the writer)."""

    deletes: list[int] = field(default_factory=list)
    updates: list[UpdateRow] = field(default_factory=list)
    inserts: Rows = field(default_factory=list)
    explain: list[Explained] = field(default_factory=list)
    new: NewPairs | None = None

    @property
    def size(self) -> int:
        return len(self.deletes) + len(self.updates) + len(self.inserts)


def _rank(value: int) -> int | None:
    return None if value < 0 else value


@dataclass
class _Stored:
    """The stored rows as columns, with their listings' current fingerprints."""

    sid: Array
    offer_id: Array
    need_id: Array
    score: Array
    km: Array
    offer_rank: Array
    need_rank: Array
    status: Array
    old_fps: tuple[tuple[str, ...], tuple[str, ...]]
    new_fps: tuple[list[str | None], list[str | None]]
    changed: Array  # a listing changed materially (or left): its fingerprint differs
    known: Array  # both listings are published and located

    @classmethod
    def of(cls, existing: Sequence[tuple[Any, ...]], fingerprints: Fingerprints) -> _Stored:
        cols: dict[str, tuple[Any, ...]] = dict(
            zip(SuggestionRow._fields, zip(*existing, strict=True), strict=True)
        )
        # Hash each listing once, then look fingerprints up at C speed.
        fp = {i: fingerprints.get(i) for i in {*cols["offer_id"], *cols["need_id"]}}.get
        new = ([fp(x) for x in cols["offer_id"]], [fp(x) for x in cols["need_id"]])
        old = (cols["offer_fingerprint"], cols["need_fingerprint"])
        n = len(existing)
        pairs = list(zip(new[0], old[0], new[1], old[1], strict=True))
        code = {name: i for i, name in enumerate(STATUSES)}
        return cls(
            sid=np.asarray(cols["id"], dtype=np.int64),
            offer_id=np.asarray(cols["offer_id"], dtype=np.int64),
            need_id=np.asarray(cols["need_id"], dtype=np.int64),
            score=np.asarray(cols["score"], dtype=np.float64),
            km=np.asarray(cols["distance_km"], dtype=np.float64),
            offer_rank=_ranks(cols["offer_rank"]),
            need_rank=_ranks(cols["need_rank"]),
            status=np.asarray([code[x] for x in cols["status"]], dtype=np.int8),
            old_fps=old,
            new_fps=new,
            changed=np.fromiter((a != b or c != d for a, b, c, d in pairs), dtype=bool, count=n),
            known=np.fromiter(
                (a is not None and c is not None for a, _b, c, _d in pairs), dtype=bool, count=n
            ),
        )

    @property
    def key(self) -> Array:
        return (self.offer_id << 32) | self.need_id


def _unranked_updates(stored: _Stored, keep: Array) -> list[UpdateRow]:
    """Rows kept without ranks: decisions to remember; an accepted one becomes stale."""
    out = []
    for i in np.flatnonzero(keep).tolist():
        status = int(stored.status[i])
        new = STATUSES[_STALE if status == _ACCEPTED else status]
        o_fp, n_fp = stored.old_fps[0][i], stored.old_fps[1][i]
        out.append(
            UpdateRow(
                int(stored.sid[i]), float(stored.score[i]), float(stored.km[i]), None, None, new, o_fp, n_fp
            )
        )
    return out


def _existing_changes(stored: _Stored, desired: Desired, changes: Changes) -> None:
    pos, found = desired.lookup(stored.key)
    w_or = np.where(found, desired.offer_rank[pos] if desired.key.size else -1, -1)
    w_nr = np.where(found, desired.need_rank[pos] if desired.key.size else -1, -1)
    # A pair with a listing no longer published (or located) is never ranked, whatever ranks the
    # desired state still carries for it: a counterpart that left in the same transaction keeps
    # its stored ranks until its own update, and a ranked row must have both fingerprints.
    ranked = ((w_or >= 0) | (w_nr >= 0)) & stored.known
    status = stored.status
    dismissed_changed = (status == _DISMISSED) & stored.changed
    gone = ~ranked & ((status == _ACTIVE) | dismissed_changed)
    keep_unranked = (
        ~ranked & ~gone & ((status == _ACCEPTED) | (stored.offer_rank >= 0) | (stored.need_rank >= 0))
    )
    new_status = np.where(dismissed_changed, _ACTIVE, np.where(status == _STALE, _ACCEPTED, status))
    w_score = desired.score[pos] if desired.key.size else np.zeros(pos.size)
    w_km = desired.km[pos] if desired.key.size else np.zeros(pos.size)
    moved = (
        stored.changed
        | (np.abs(stored.score - w_score) > _SCORE_TOLERANCE)
        | (np.abs(stored.km - w_km) > _SCORE_TOLERANCE)
    )
    rewrite = ranked & (
        moved | (new_status != status) | (stored.offer_rank != w_or) | (stored.need_rank != w_nr)
    )
    changes.deletes = stored.sid[gone].tolist()
    changes.updates = _unranked_updates(stored, keep_unranked)
    for i in np.flatnonzero(rewrite).tolist():
        fps, score, km = stored.old_fps, float(stored.score[i]), float(stored.km[i])
        if moved[i]:
            fps, score, km = stored.new_fps, float(w_score[i]), float(w_km[i])  # type: ignore[assignment]
        ranks = (_rank(int(w_or[i])), _rank(int(w_nr[i])))
        update = UpdateRow(
            int(stored.sid[i]),
            score,
            km,
            *ranks,
            STATUSES[new_status[i]],
            fps[0][i],
            fps[1][i],
            None,
            bool(dismissed_changed[i]),
        )
        changes.updates.append(update)
        if moved[i]:
            changes.explain.append(Explained(update, int(stored.offer_id[i]), int(stored.need_id[i]), km))


def _new_pairs(stored_keys: Array, desired: Desired, fingerprints: Fingerprints) -> NewPairs:
    """The desired ranked pairs not stored yet, both listings being published."""
    at = np.minimum(np.searchsorted(stored_keys, desired.key), max(stored_keys.size - 1, 0))
    present = stored_keys[at] == desired.key if stored_keys.size else np.zeros(desired.key.size, dtype=bool)
    pairs = zip(desired.offer_id.tolist(), desired.need_id.tolist(), strict=True)
    listed = np.fromiter(
        (o in fingerprints and n in fingerprints for o, n in pairs), dtype=bool, count=desired.key.size
    )
    new = np.flatnonzero(~present & listed & ((desired.offer_rank >= 0) | (desired.need_rank >= 0)))
    o_new, n_new = desired.offer_id[new].tolist(), desired.need_id[new].tolist()
    fp_of = {i: fingerprints[i] for i in {*o_new, *n_new}}
    return NewPairs(
        offer_id=o_new,
        need_id=n_new,
        score=desired.score[new].tolist(),
        km=desired.km[new].tolist(),
        offer_rank=[_rank(r) for r in desired.offer_rank[new].tolist()],
        need_rank=[_rank(r) for r in desired.need_rank[new].tolist()],
        offer_fingerprint=[fp_of[i] for i in o_new],
        need_fingerprint=[fp_of[i] for i in n_new],
    )


def diff(
    existing: Sequence[tuple[Any, ...]], desired: Desired, fingerprints: Fingerprints, counts: Counts
) -> Changes:
    """Compare stored rows with the desired pairs on score, distance, ranks and fingerprints only.

    `existing` holds stored rows in `SuggestionRow` field order (`SuggestionRow`s or the driver's
    tuples). Rows of `existing` absent from `desired`, or there without any rank, are no longer suggested.
    The new rows come back in `changes.new` (breakdowns still to compute), already in
    (offer_id, need_id) order since `desired` is sorted by key.
    """
    changes = Changes()
    stored_keys = np.empty(0, dtype=np.int64)
    if existing:
        stored = _Stored.of(existing, fingerprints)
        _existing_changes(stored, desired, changes)
        counts.unchanged += len(existing) - len(changes.deletes) - len(changes.updates)
        stored_keys = np.sort(stored.key)
    changes.new = _new_pairs(stored_keys, desired, fingerprints)
    counts.new_pairs.extend(zip(changes.new.offer_id, changes.new.need_id, changes.new.score, strict=True))
    return changes
