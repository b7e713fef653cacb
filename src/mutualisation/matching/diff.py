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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from .arrays import Array
from .rows import Fingerprints, SuggestionRow
from .topk import TopK

_SCORE_TOLERANCE = 1e-9
STATUSES = ("active", "accepted", "dismissed", "stale")
_ACTIVE, _ACCEPTED, _DISMISSED, _STALE = range(4)


def _no_ids() -> Array:
    return np.empty(0, dtype=np.int64)


@dataclass
class PairScores:
    """New pairs as columns (offer_id, need_id, score): the notices read them (`notify`)."""

    offer_id: Array = field(default_factory=_no_ids)
    need_id: Array = field(default_factory=_no_ids)
    score: Array = field(default_factory=lambda: np.empty(0, dtype=np.float64))

    def __len__(self) -> int:
        return int(self.offer_id.size)

    def extend(self, offer_id: Array, need_id: Array, score: Array) -> None:
        if not len(self):  # the usual case: one diff per run, its columns shared, not copied
            self.offer_id, self.need_id, self.score = offer_id, need_id, score
            return
        self.offer_id = np.concatenate([self.offer_id, offer_id])
        self.need_id = np.concatenate([self.need_id, need_id])
        self.score = np.concatenate([self.score, score])


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    new_pairs: PairScores = field(default_factory=PairScores)

    def add_writes(self, other: Counts) -> None:
        """Add the rows `other` inserted, updated and deleted (another pass of the same update)."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.deleted += other.deleted

    def as_dict(self) -> dict[str, object]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "timings": dict(self.timings),
        }


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
        key = (np.asarray(o, dtype=np.int64) << 32) | np.asarray(n, dtype=np.int64)
        return cls._merged(key, score, km, o_rank, n_rank)

    @classmethod
    def _merged(cls, key: Array, score: Any, km: Any, o_rank: Any, n_rank: Any) -> Desired:
        # numpy's default argsort is several times faster than the stable one on millions of keys
        # (vectorised); the entries of a pair may then come in any order, so the last one is
        # found as the largest original position of its group rather than as the group's end.
        order = np.argsort(key)
        key = key[order]
        if key.size == 0:
            empty_i, empty_f = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
            return cls(empty_i, empty_i, empty_i, empty_f, empty_f, empty_i, empty_i)
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        take = np.maximum.reduceat(order, starts)
        key = key[starts]
        return cls(
            key=key,
            offer_id=key >> 32,
            need_id=key & 0xFFFFFFFF,
            score=np.asarray(score, dtype=np.float64)[take],
            km=np.asarray(km, dtype=np.float64)[take],
            offer_rank=np.maximum.reduceat(np.asarray(o_rank)[order], starts).astype(np.int64),
            need_rank=np.maximum.reduceat(np.asarray(n_rank)[order], starts).astype(np.int64),
        )

    @classmethod
    def from_tops(cls, tops: list[tuple[TopK, bool]]) -> Desired:
        """From top-k lists, each with whether its queries are offers."""
        entries = TopEntries()
        for top, offer_queries in tops:
            entries.add(top, offer_queries)
        return entries.desired()

    def lookup(self, key: Array) -> tuple[Array, Array]:
        """(position, found) of each key in this sorted table."""
        if not self.key.size:
            return np.zeros(key.size, dtype=np.int64), np.zeros(key.size, dtype=bool)
        pos = np.minimum(np.searchsorted(self.key, key), self.key.size - 1)
        return pos, self.key[pos] == key


class TopEntries:
    """The entries of top-k lists, keyed as each list comes: the lists can go before `Desired`.

    A full recompute has millions of entries and this is the peak of its memory: entries are
    ranked in int32, and each column's parts are freed as soon as they are joined.
    """

    def __init__(self) -> None:
        self.columns: list[list[Array]] = [[] for _ in range(5)]  # key, score, km, ranks

    def add_pairs(
        self, rows: Sequence[tuple[Any, ...]], clear: Callable[[Array, Array, Array, Array], None]
    ) -> None:
        """Stored rows (`SuggestionRow` field order), their ranks first cleared in place by
        `clear(offer_id, need_id, offer_rank, need_rank)`; entries added later override them."""
        if not rows:
            return
        cols: dict[str, tuple[Any, ...]] = dict(
            zip(SuggestionRow._fields, zip(*rows, strict=True), strict=True)
        )
        o = np.asarray(cols["offer_id"], dtype=np.int64)
        n = np.asarray(cols["need_id"], dtype=np.int64)
        o_rank, n_rank = _ranks(cols["offer_rank"]), _ranks(cols["need_rank"])
        clear(o, n, o_rank, n_rank)
        score = np.asarray(cols["score"], dtype=np.float64)
        km = np.asarray(cols["distance_km"], dtype=np.float64)
        for parts, value in zip(self.columns, ((o << 32) | n, score, km, o_rank, n_rank), strict=True):
            parts.append(value)

    def add(self, top: TopK, offer_queries: bool) -> None:
        rows, ranks = np.nonzero(top.ids >= 0)
        q, t = top.query_ids[rows], top.ids[rows, ranks]
        key = (q << 32) | t if offer_queries else (t << 32) | q
        rank = ranks.astype(np.int32)
        none = np.full(rank.shape, -1, dtype=np.int32)
        o_rank, n_rank = (rank, none) if offer_queries else (none, rank)
        values = (key, top.scores[rows, ranks], top.distances[rows, ranks], o_rank, n_rank)
        for parts, value in zip(self.columns, values, strict=True):
            parts.append(value)

    def desired(self) -> Desired:
        """Merged as `Desired.from_columns` merges (the last entry's score, the highest ranks)."""
        if not self.columns[0]:
            return Desired.from_columns(*(np.empty(0) for _ in range(6)))
        merged = []
        for parts in self.columns:
            merged.append(np.concatenate(parts))
            parts.clear()
        return Desired._merged(*merged)


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


# The columns of an inserted row, in the order of `NewPairs.columns`; the writers add the stamps.
INSERT_COLUMNS = (
    "offer_id",
    "need_id",
    "score",
    "distance_km",
    "offer_rank",
    "need_rank",
    "breakdown",
    "status",
    "offer_fingerprint",
    "need_fingerprint",
)


class Explained(NamedTuple):
    """An updated row whose breakdown is to be computed, for its pair at `km`."""

    row: UpdateRow
    offer_id: int
    need_id: int
    km: float


def _optional(ranks: Array) -> list[int | None]:
    """Ranks as Python values, None where not ranked (-1), without a loop in Python."""
    out = ranks.astype(object)
    out[ranks < 0] = None
    return out.tolist()  # type: ignore[no-any-return]


@dataclass
class NewPairs:
    """Rows to insert as numpy columns, in (offer_id, need_id) order; breakdowns are added later.

    A full recompute inserts over a million rows: as Python objects they would take hundreds of
    megabytes and seconds to build, so they only become Python values a chunk at a time
    (`columns`), as the writer reads them. Ranks are -1 where not ranked. Each listing's
    fingerprint is kept once: `listing_ids` (sorted) and `fingerprints` (object array, aligned).
    """

    offer_id: Array
    need_id: Array
    score: Array
    km: Array
    offer_rank: Array
    need_rank: Array
    listing_ids: Array
    fingerprints: Array

    def __len__(self) -> int:
        return int(self.offer_id.size)

    def part(self, start: int, stop: int) -> NewPairs:
        """Rows start:stop (views of the columns), with the same fingerprints."""
        cut = slice(start, stop)
        return NewPairs(
            self.offer_id[cut],
            self.need_id[cut],
            self.score[cut],
            self.km[cut],
            self.offer_rank[cut],
            self.need_rank[cut],
            self.listing_ids,
            self.fingerprints,
        )

    def fingerprints_of(self, listing_ids: Array) -> list[str]:
        return self.fingerprints[np.searchsorted(self.listing_ids, listing_ids)].tolist()  # type: ignore[no-any-return]

    def columns(self, breakdowns: list[str]) -> tuple[list[Any], ...]:
        """The rows as Python columns in `INSERT_COLUMNS` order."""
        return (
            self.offer_id.tolist(),
            self.need_id.tolist(),
            self.score.tolist(),
            self.km.tolist(),
            _optional(self.offer_rank),
            _optional(self.need_rank),
            breakdowns,
            ["active"] * len(self),
            self.fingerprints_of(self.offer_id),
            self.fingerprints_of(self.need_id),
        )


class Inserts(Protocol):
    """Rows to insert, read once by the writer as chunks of columns (`NewPairs.columns`)."""

    def __len__(self) -> int: ...

    def chunks(self) -> Iterator[tuple[list[Any], ...]]: ...


@dataclass
class InsertColumns:
    """Rows to insert already as columns in `INSERT_COLUMNS` order (none by default)."""

    columns: tuple[list[Any], ...] = ()

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def chunks(self) -> Iterator[tuple[list[Any], ...]]:
        if len(self):
            yield self.columns


@dataclass
class Changes:
    """What to write: ids to delete, rows to update, rows to insert (read once, by the writer)."""

    deletes: list[int] = field(default_factory=list)
    updates: list[UpdateRow] = field(default_factory=list)
    inserts: Inserts = field(default_factory=InsertColumns)
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


def _published(offer_id: Array, need_id: Array, fingerprints: Fingerprints) -> Array:
    """Whether both listings of each pair are published (have a fingerprint)."""
    rows = fingerprints.rows
    if offer_id.size * 16 < len(rows):
        # An incremental update's few pairs: looked up one by one, where listing every published
        # id of the category as an array cost 2 ms an update.
        pairs = zip(offer_id.tolist(), need_id.tolist(), strict=True)
        return np.fromiter((o in rows and n in rows for o, n in pairs), dtype=bool, count=offer_id.size)
    listed = np.fromiter(rows, dtype=np.int64, count=len(rows))
    return np.isin(offer_id, listed) & np.isin(need_id, listed)


def _new_pairs(stored_keys: Array, desired: Desired, fingerprints: Fingerprints) -> NewPairs:
    """The desired ranked pairs not stored yet, both listings being published."""
    at = np.minimum(np.searchsorted(stored_keys, desired.key), max(stored_keys.size - 1, 0))
    present = stored_keys[at] == desired.key if stored_keys.size else np.zeros(desired.key.size, dtype=bool)
    new = ~present & ((desired.offer_rank >= 0) | (desired.need_rank >= 0))
    new[new] = _published(desired.offer_id[new], desired.need_id[new], fingerprints)
    o, n, score, km, o_rank, n_rank = (
        desired.offer_id,
        desired.need_id,
        desired.score,
        desired.km,
        desired.offer_rank,
        desired.need_rank,
    )
    if not new.all():  # else (a first run) the desired columns themselves, not a copy
        o, n, score, km, o_rank, n_rank = (c[new] for c in (o, n, score, km, o_rank, n_rank))
    ids = np.unique(np.concatenate([o, n]))
    fps = np.asarray([fingerprints[i] for i in ids.tolist()], dtype=object)
    return NewPairs(o, n, score, km, o_rank, n_rank, listing_ids=ids, fingerprints=fps)


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
    counts.new_pairs.extend(changes.new.offer_id, changes.new.need_id, changes.new.score)
    return changes
