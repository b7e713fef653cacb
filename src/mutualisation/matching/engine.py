"""The matching engine on the database: full recompute and incremental update of suggestions.

Listings are read as column tuples (never ORM objects), one query per category, turned into
`ListingArrays` and handed to the pure core (`candidates`). The result is compared in memory with
the stored suggestions and only the differences are written, in bulk:
- a pair in either side's top-k is a suggestion (`offer_rank` / `need_rank` say which side);
- unchanged rows keep their id, status and breakdown; nothing is written for them;
- an active pair that leaves every top-k is deleted; a dismissed one is kept (so it stays
  dismissed if it comes back) until either listing changes materially; an accepted one becomes
  `stale` (history of the decision);
- a dismissed pair whose listings changed materially (fingerprint) becomes active again.
Each recompute is one transaction: a failure leaves the previous suggestions intact.

The comparison is vectorised (numpy, keyed by offer_id << 32 | need_id) and looks at score,
distance, ranks and fingerprints only. Rows store a compact breakdown (`breakdown.compact_json`),
rendered into sentences when displayed. Writes go through COPY and temporary tables on PostgreSQL,
through the driver's executemany elsewhere (`_PostgresWriter`, `_DBAPIWriter`).
The incremental update works on per-process snapshots of a category (see `_category_snapshot`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
from sqlalchemy import (
    column,
    event,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, attributes

from ..db import transaction, utcnow
from ..listings.models import Listing
from .breakdown import compact_json
from .candidates import TopK, _better, reach, top_k_for_needs, top_k_for_offers
from .models import MatchingState, Suggestion
from .scoring import (
    LISTING_FIELDS,
    NEED,
    OFFER,
    ListingArrays,
    MatchingConfig,
    cooperation_keys,
    pair_distance_km,
    pair_scores,
)

NOTIFY_KIND = "matching.new_suggestion"
_SCORE_TOLERANCE = 1e-9
_CHUNK = 5000
_COPY_FROM_ROWS = 500
_ANALYZE_FROM_ROWS = 50_000
_SQLITE_WRITE_CACHE_KIB = -512_000  # negative: KiB, i.e. up to 500 MB of pages

# The listing columns the engine reads, in `scoring.LISTING_FIELDS` order, then the material extras.
_COLUMNS = (
    Listing.id,
    Listing.kind,
    Listing.category,
    Listing.subcategory,
    Listing.owner_id,
    Listing.territory_id,
    Listing.latitude,
    Listing.longitude,
    Listing.available_from,
    Listing.available_until,
    Listing.quantity,
    Listing.inexhaustible,
    Listing.remote_possible,
    Listing.max_distance_km,
)
_SUGGESTION_COLUMNS = (
    Suggestion.id,
    Suggestion.offer_id,
    Suggestion.need_id,
    Suggestion.score,
    Suggestion.distance_km,
    Suggestion.offer_rank,
    Suggestion.need_rank,
    Suggestion.status,
    Suggestion.offer_fingerprint,
    Suggestion.need_fingerprint,
    Suggestion.agreement_id,
)


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


# ---------------------------------------------------------------------------------------------
# Reading


def fingerprint(row: tuple) -> str:
    """Hash of what matters for matching: a change here lifts a dismissal."""
    material = "|".join("" if v is None else repr(v) for v in row[1:])
    return hashlib.blake2b(material.encode(), digest_size=12).hexdigest()


class _Fingerprints:
    """Fingerprints of published listings, hashed only when asked (an update touches few rows)."""

    def __init__(self, rows: Iterable[tuple]) -> None:
        self.rows = {r[0]: r for r in rows}
        self.cache: dict[int, str] = {}

    def get(self, listing_id: int) -> str | None:
        if listing_id not in self.rows:
            return None
        if listing_id not in self.cache:
            self.cache[listing_id] = fingerprint(self.rows[listing_id])
        return self.cache[listing_id]

    def __getitem__(self, listing_id: int) -> str:
        value = self.get(listing_id)
        if value is None:
            raise KeyError(listing_id)
        return value

    def __contains__(self, listing_id: int) -> bool:
        return listing_id in self.rows

    def set_row(self, row: tuple) -> None:
        self.rows[row[0]] = row
        self.cache.pop(row[0], None)

    def drop(self, listing_id: int) -> None:
        self.rows.pop(listing_id, None)
        self.cache.pop(listing_id, None)


def arrays_from_rows(rows: list[tuple]) -> ListingArrays:
    """`ListingArrays.from_rows` for plain tuples, column by column (several times faster)."""
    if not rows:
        return ListingArrays.from_rows([])
    cols = list(zip(*rows, strict=True))

    def floats(values) -> np.ndarray:
        return np.asarray([math.nan if v is None else float(v) for v in values], dtype=np.float64)

    def days(values) -> np.ndarray:
        return np.asarray([math.nan if v is None else float(v.toordinal()) for v in values], dtype=np.float64)

    return ListingArrays(
        id=np.asarray(cols[0], dtype=np.int64),
        kind=np.asarray([OFFER if k in ("offer", OFFER) else NEED for k in cols[1]], dtype=np.int8),
        category=np.asarray(cols[2], dtype=str),
        subcategory=np.asarray(cols[3], dtype=np.int64),
        owner=np.asarray(cols[4], dtype=np.int64),
        territory=np.asarray(cols[5], dtype=np.int64),
        lat=floats(cols[6]),
        lon=floats(cols[7]),
        available_from=days(cols[8]),
        available_until=days(cols[9]),
        quantity=floats(cols[10]),
        inexhaustible=np.asarray([bool(v) for v in cols[11]], dtype=bool),
        remote_possible=np.asarray([bool(v) for v in cols[12]], dtype=bool),
        max_distance_km=floats(cols[13]),
    )


class _Subcategories:
    """Subcategory codes → small ints shared by both sides; none or "other" is the wildcard 0."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def __call__(self, code: str | None) -> int:
        if code is None or code == "" or code == "other":
            return 0
        return self.codes.setdefault(code, len(self.codes) + 1)


def _core_rows(rows: list[tuple], subs: _Subcategories) -> list[tuple]:
    return [(*r[:3], subs(r[3]), *r[4:]) for r in rows]


def _stored_suggestions(session: Session) -> list[tuple]:
    """Every suggestion's diff columns as plain tuples, through the driver (no Row objects)."""
    columns = ", ".join(c.name for c in _SUGGESTION_COLUMNS)
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(f"SELECT {columns} FROM suggestions")  # noqa: S608 (constant column names)
        return cursor.fetchall()
    finally:
        cursor.close()


def categories(session: Session) -> list[str]:
    stmt = select(Listing.category).where(Listing.status == "published").distinct()
    return sorted(session.scalars(stmt))


def load_category(session: Session, category: str) -> tuple[list[tuple], list[tuple]]:
    """Published, located offers and needs of one category, as column tuples (one query)."""
    stmt = select(*_COLUMNS).where(
        Listing.status == "published",
        Listing.category == category,
        Listing.latitude.is_not(None),
        Listing.longitude.is_not(None),
    )
    offers, needs = [], []
    for row in session.execute(stmt):
        (offers if row[1] == "offer" else needs).append(tuple(row))
    return offers, needs


_COOPERATION_COLUMNS: dict[str, tuple[str, str] | None] = {}


def _cooperation_columns(session: Session) -> tuple[str, str] | None:
    """The agreements' territory columns, inspected once per database and process (the
    inspection costs several catalogue queries, more than an incremental update itself)."""
    url = str(session.connection().engine.url)
    if url not in _COOPERATION_COLUMNS:
        inspector = inspect(session.connection())
        found = None
        if inspector.has_table("agreements"):
            columns = {c["name"] for c in inspector.get_columns("agreements")}
            pairs = [
                ("provider_territory_id", "beneficiary_territory_id"),
                ("provider_territory", "beneficiary_territory"),
            ]
            found = next(((a, b) for a, b in pairs if {a, b, "status"} <= columns), None)
        if found is None:
            return None  # not cached: the table may appear with a migration
        _COOPERATION_COLUMNS[url] = found
    return _COOPERATION_COLUMNS[url]


def cooperations(session: Session) -> list[tuple[int, int]]:
    """Territory pairs with a completed or evaluated agreement; [] while that table does not exist."""
    found = _cooperation_columns(session)
    if found is None:
        return []
    a, b = found
    t = table("agreements", column(a), column(b), column("status"))
    stmt = select(t.c[a], t.c[b]).where(t.c.status.in_(("completed", "evaluated")))
    return [(int(x), int(y)) for x, y in session.execute(stmt) if x is not None and y is not None]


# ---------------------------------------------------------------------------------------------
# Desired state


def _pairs_from_top(top: TopK, query_kind: int) -> Iterable[tuple[int, int, float, float, int]]:
    """(offer_id, need_id, score, km, rank) of every entry of a TopK."""
    rows, ranks = np.nonzero(top.ids >= 0)
    q = top.query_ids[rows].tolist()
    t = top.ids[rows, ranks].tolist()
    s = top.scores[rows, ranks].tolist()
    d = top.distances[rows, ranks].tolist()
    r = ranks.tolist()
    if query_kind == NEED:
        return zip(t, q, s, d, r, strict=True)
    return zip(q, t, s, d, r, strict=True)


def _overlay(desired: dict, top: TopK, query_kind: int) -> None:
    """Set the query side's rank of each pair of `top` in `desired` ([score, km, offer_rank, need_rank])."""
    slot = 3 if query_kind == NEED else 2
    for o, n, s, d, r in _pairs_from_top(top, query_kind):
        entry = desired.get((o, n))
        if entry is None:
            entry = desired[(o, n)] = [s, d, None, None]
        else:
            entry[0], entry[1] = s, d
        entry[slot] = r


# ---------------------------------------------------------------------------------------------
# Writing the difference


class _Explainer:
    """Breakdowns of the pairs being written, computed in bulk (`breakdown.compact_json`)."""

    def __init__(self, cfg: MatchingConfig, coop: list[tuple[int, int]]) -> None:
        self.cfg = cfg
        self.keys = cooperation_keys(coop)
        self.parts: list[ListingArrays] = []

    def add(self, arrays: ListingArrays) -> None:
        if len(arrays):
            self.parts.append(arrays)

    def many(self, pairs: list[tuple[int, int, float]]) -> list[str | None]:
        """Compact JSON breakdown of each (offer_id, need_id, km); None when a listing is unknown here."""
        o = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        n = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        km = np.fromiter((p[2] for p in pairs), dtype=np.float64, count=len(pairs))
        return self.many_arrays(o, n, km)

    def many_arrays(self, o: np.ndarray, n: np.ndarray, km: np.ndarray) -> list[str | None]:
        if not o.size or not self.parts:
            return [None] * int(o.size)
        arrays = ListingArrays.concat(self.parts) if len(self.parts) > 1 else self.parts[0]
        order = np.argsort(arrays.id, kind="stable")
        sorted_ids = arrays.id[order]
        po = np.minimum(np.searchsorted(sorted_ids, o), len(sorted_ids) - 1)
        pn = np.minimum(np.searchsorted(sorted_ids, n), len(sorted_ids) - 1)
        known = (sorted_ids[po] == o) & (sorted_ids[pn] == n)
        out: list[str | None] = [None] * int(o.size)
        idx = np.flatnonzero(known)
        texts = compact_json(arrays, order[po[idx]], arrays, order[pn[idx]], km[idx], self.cfg, self.keys)
        for i, text_ in zip(idx.tolist(), texts, strict=True):
            out[i] = text_
        return out


_STATUSES = ("active", "accepted", "dismissed", "stale")
_ACTIVE, _ACCEPTED, _DISMISSED, _STALE = range(4)


@dataclass
class _Desired:
    """The desired pairs as columns sorted by key (offer_id << 32 | need_id); rank -1 = not ranked."""

    key: np.ndarray
    offer_id: np.ndarray
    need_id: np.ndarray
    score: np.ndarray
    km: np.ndarray
    offer_rank: np.ndarray
    need_rank: np.ndarray

    @classmethod
    def from_columns(cls, o, n, score, km, o_rank, n_rank) -> _Desired:
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
    def from_tops(cls, tops: list[tuple[TopK, int]]) -> _Desired:
        cols: list[list[np.ndarray]] = [[] for _ in range(6)]
        for top, query_kind in tops:
            rows, ranks = np.nonzero(top.ids >= 0)
            q, t = top.query_ids[rows], top.ids[rows, ranks]
            none = np.full(ranks.shape, -1, dtype=np.int64)
            o, n = (t, q) if query_kind == NEED else (q, t)
            o_rank, n_rank = (none, ranks) if query_kind == NEED else (ranks, none)
            values = (o, n, top.scores[rows, ranks], top.distances[rows, ranks], o_rank, n_rank)
            for col, value in zip(cols, values, strict=True):
                col.append(value)
        return cls.from_columns(*(np.concatenate(c) if c else np.empty(0) for c in cols))

    @classmethod
    def from_dict(cls, desired: dict) -> _Desired:
        """From {(offer_id, need_id): [score, km, offer_rank, need_rank]} (ranks None when unranked)."""
        keys, values = list(desired), list(desired.values())
        return cls.from_columns(
            [k[0] for k in keys],
            [k[1] for k in keys],
            [v[0] for v in values],
            [v[1] for v in values],
            [-1 if v[2] is None else v[2] for v in values],
            [-1 if v[3] is None else v[3] for v in values],
        )


@dataclass
class _Changes:
    """What to write: ids to delete, full rows to update, rows to insert (plain tuples).

    An update row is (id, score, distance_km, offer_rank, need_rank, status, offer_fingerprint,
    need_fingerprint, breakdown or None to keep the stored one, clear_dismissal).
    An insert row follows `_INSERT_COLUMNS`. `explain` lists the rows whose breakdown is to be
    computed: (row, index of its breakdown, offer_id, need_id, km).
    """

    deletes: list[int] = field(default_factory=list)
    updates: list[list] = field(default_factory=list)
    inserts: list[tuple] = field(default_factory=list)
    explain: list[tuple[list, int, int, int, float]] = field(default_factory=list)
    new_columns: tuple | None = None


def _rank(value: int) -> int | None:
    return None if value < 0 else value


def _diff(existing: list[tuple], desired: _Desired, fingerprints: _Fingerprints, counts: Counts) -> _Changes:
    """Compare stored rows with the desired pairs on score, distance, ranks and fingerprints only.

    Vectorised: a full recompute compares over a million rows, which a Python loop would take
    seconds to walk. Rows of `existing` absent from `desired`, or there without any rank, are
    no longer suggested.
    """
    changes = _Changes()
    if existing:
        cols = list(zip(*existing, strict=True))
        # Hash each listing once, then look fingerprints up at C speed.
        fp = {i: fingerprints.get(i) for i in {*cols[1], *cols[2]}}.get
        sid = np.asarray(cols[0], dtype=np.int64)
        o, n = np.asarray(cols[1], dtype=np.int64), np.asarray(cols[2], dtype=np.int64)
        score, km = np.asarray(cols[3], dtype=np.float64), np.asarray(cols[4], dtype=np.float64)
        o_rank = np.asarray([-1 if r is None else r for r in cols[5]], dtype=np.int64)
        n_rank = np.asarray([-1 if r is None else r for r in cols[6]], dtype=np.int64)
        code = {name: i for i, name in enumerate(_STATUSES)}
        status = np.asarray([code[x] for x in cols[7]], dtype=np.int8)
        o_fp_old, n_fp_old = cols[8], cols[9]
        o_fp_new, n_fp_new = [fp(x) for x in cols[1]], [fp(x) for x in cols[2]]
        changed = np.fromiter(
            (a != b or c != d for a, b, c, d in zip(o_fp_new, o_fp_old, n_fp_new, n_fp_old, strict=True)),
            dtype=bool,
            count=len(existing),
        )
        key = (o << 32) | n
        pos = np.minimum(np.searchsorted(desired.key, key), max(desired.key.size - 1, 0))
        found = desired.key[pos] == key if desired.key.size else np.zeros(key.size, dtype=bool)
        w_or = np.where(found, desired.offer_rank[pos] if desired.key.size else -1, -1)
        w_nr = np.where(found, desired.need_rank[pos] if desired.key.size else -1, -1)
        # A pair with a listing no longer published (or located) is never ranked, whatever ranks the
        # desired state still carries for it: a counterpart that left in the same transaction keeps
        # its stored ranks until its own update, and a ranked row must have both fingerprints.
        known = np.fromiter(
            (a is not None and b is not None for a, b in zip(o_fp_new, n_fp_new, strict=True)),
            dtype=bool,
            count=len(existing),
        )
        ranked = ((w_or >= 0) | (w_nr >= 0)) & known
        dismissed_changed = (status == _DISMISSED) & changed

        gone = ~ranked & ((status == _ACTIVE) | dismissed_changed)
        keep_unranked = ~ranked & ~gone & ((status == _ACCEPTED) | (o_rank >= 0) | (n_rank >= 0))
        new_status = np.where(dismissed_changed, _ACTIVE, np.where(status == _STALE, _ACCEPTED, status))
        if desired.key.size:
            w_score, w_km = desired.score[pos], desired.km[pos]
        else:
            w_score = w_km = np.zeros(key.size)
        moved = (
            changed | (np.abs(score - w_score) > _SCORE_TOLERANCE) | (np.abs(km - w_km) > _SCORE_TOLERANCE)
        )
        rewrite = ranked & (moved | (new_status != status) | (o_rank != w_or) | (n_rank != w_nr))

        changes.deletes = sid[gone].tolist()
        for i in np.flatnonzero(keep_unranked).tolist():
            new = _STATUSES[_STALE if status[i] == _ACCEPTED else status[i]]
            row = [
                int(sid[i]),
                float(score[i]),
                float(km[i]),
                None,
                None,
                new,
                o_fp_old[i],
                n_fp_old[i],
                None,
            ]
            changes.updates.append([*row, False])
        for i in np.flatnonzero(rewrite).tolist():
            row = [int(sid[i]), float(score[i]), float(km[i]), _rank(int(w_or[i])), _rank(int(w_nr[i]))]
            fps = [o_fp_old[i], n_fp_old[i]]
            if moved[i]:
                row[1], row[2], fps = float(w_score[i]), float(w_km[i]), [o_fp_new[i], n_fp_new[i]]
            update = [*row, _STATUSES[new_status[i]], *fps, None, bool(dismissed_changed[i])]
            changes.updates.append(update)
            if moved[i]:
                changes.explain.append((update, _UPDATE_BREAKDOWN, int(o[i]), int(n[i]), row[2]))
        counts.unchanged += len(existing) - len(changes.deletes) - len(changes.updates)
        stored = np.sort(key)
    else:
        stored = np.empty(0, dtype=np.int64)

    at = np.minimum(np.searchsorted(stored, desired.key), max(stored.size - 1, 0))
    present = stored[at] == desired.key if stored.size else np.zeros(desired.key.size, dtype=bool)
    listed = np.fromiter(
        (
            o in fingerprints and n in fingerprints
            for o, n in zip(desired.offer_id.tolist(), desired.need_id.tolist(), strict=True)
        ),
        dtype=bool,
        count=desired.key.size,
    )
    new = np.flatnonzero(~present & listed & ((desired.offer_rank >= 0) | (desired.need_rank >= 0)))
    # New rows as columns; `_explain_changes` adds their breakdowns and zips them into tuples,
    # already in (offer_id, need_id) order since `desired` is sorted by key.
    o_new, n_new = desired.offer_id[new].tolist(), desired.need_id[new].tolist()
    fp_of = {i: fingerprints[i] for i in {*o_new, *n_new}}
    changes.new_columns = (
        o_new,
        n_new,
        desired.score[new].tolist(),
        desired.km[new].tolist(),
        [None if r < 0 else r for r in desired.offer_rank[new].tolist()],
        [None if r < 0 else r for r in desired.need_rank[new].tolist()],
        [fp_of[i] for i in o_new],
        [fp_of[i] for i in n_new],
    )
    counts.new_pairs.extend(zip(o_new, n_new, changes.new_columns[2], strict=True))
    return changes


def _explain_changes(changes: _Changes, explainer: _Explainer) -> None:
    """Fill the breakdown of inserted rows and of updated rows whose score or distance moved."""
    texts = explainer.many([(o, n, km) for _row, _slot, o, n, km in changes.explain])
    for (row, slot, *_pair), text_ in zip(changes.explain, texts, strict=True):
        row[slot] = text_
    if changes.new_columns:
        o, n, score, km, o_rank, n_rank, o_fp, n_fp = changes.new_columns
        breakdowns = explainer.many_arrays(
            np.asarray(o, dtype=np.int64), np.asarray(n, dtype=np.int64), np.asarray(km, dtype=np.float64)
        )
        breakdowns = ["[]" if b is None else b for b in breakdowns]
        status = ["active"] * len(o)
        changes.inserts = list(
            zip(o, n, score, km, o_rank, n_rank, breakdowns, status, o_fp, n_fp, strict=True)
        )


def _apply(
    session: Session,
    existing: Iterable[tuple],
    desired: _Desired,
    fingerprints: _Fingerprints,
    explainer: _Explainer,
    counts: Counts,
    after_deletes: Callable[[], None] | None = None,
) -> None:
    """Write the difference between `existing` suggestion rows and the `desired` pairs."""
    changes = _diff(existing, desired, fingerprints, counts)
    _explain_changes(changes, explainer)
    size = len(changes.deletes) + len(changes.updates) + len(changes.inserts)
    # COPY pays a few statements of setup: small change sets (incremental updates) use executemany.
    big = size >= _COPY_FROM_ROWS and session.connection().dialect.name == "postgresql"
    writer = _PostgresWriter if big else _DBAPIWriter
    writer(session, utcnow()).write(changes, after_deletes)
    counts.deleted += len(changes.deletes)
    counts.updated += len(changes.updates)
    counts.inserted += len(changes.inserts)


_INSERT_COLUMNS = (
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
_INSERT_BREAKDOWN = _INSERT_COLUMNS.index("breakdown")
_UPDATE_COLUMNS = (
    "id",
    "score",
    "distance_km",
    "offer_rank",
    "need_rank",
    "status",
    "offer_fingerprint",
    "need_fingerprint",
    "breakdown",
    "clear_dismissal",
)
_UPDATE_BREAKDOWN = _UPDATE_COLUMNS.index("breakdown")


class _DBAPIWriter:
    """Bulk writes through the driver's executemany with one prepared statement per kind of write.

    Per-row SQLAlchemy parameter processing would dominate a full recompute (a million rows and
    more), and every value here is a plain int, float, str or None. Rows are written sorted by
    (offer_id, need_id), the order of the unique index, which keeps its pages hot.
    """

    def __init__(self, session: Session, now) -> None:
        self.connection = session.connection()
        dialect = self.connection.dialect
        stamp_type = Suggestion.__table__.c.created_at.type.dialect_impl(dialect)
        processor = stamp_type.bind_processor(dialect)
        stamp = stamp_type.process_bind_param(now, dialect)
        self.stamp = processor(stamp) if processor else stamp
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.json_mark = self.mark if dialect.name != "postgresql" else f"{self.mark}::json"

    def _executemany(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        cursor = self.connection.connection.cursor()
        try:
            for start in range(0, len(rows), _CHUNK * 20):
                cursor.executemany(sql, rows[start : start + _CHUNK * 20])
        finally:
            cursor.close()

    def write(self, changes: _Changes, after_deletes: Callable[[], None] | None) -> None:
        big = len(changes.inserts) + len(changes.updates) + len(changes.deletes) > _COPY_FROM_ROWS
        if not big or self.connection.dialect.name != "sqlite":
            self._write(changes, after_deletes)
            return
        # SQLite's default page cache (2 MB) thrashes on the indexes of a large write.
        cursor = self.connection.connection.cursor()
        try:
            previous = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {_SQLITE_WRITE_CACHE_KIB}")
            self._write(changes, after_deletes)
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
            cursor.close()

    def _write(self, changes: _Changes, after_deletes: Callable[[], None] | None) -> None:
        m = self.mark
        # Only constant column names and placeholders are interpolated: no value reaches the SQL text.
        self._executemany(f"DELETE FROM suggestions WHERE id = {m}", [(i,) for i in changes.deletes])  # noqa: S608
        if after_deletes is not None:
            after_deletes()
        update_sql = (
            f"UPDATE suggestions SET score = {m}, distance_km = {m}, offer_rank = {m}, need_rank = {m}, "  # noqa: S608
            f"status = {m}, offer_fingerprint = {m}, need_fingerprint = {m}, "
            f"breakdown = COALESCE({self.json_mark}, breakdown), "
            f"dismiss_reason = CASE WHEN {m} THEN NULL ELSE dismiss_reason END, "
            f"dismiss_text = CASE WHEN {m} THEN NULL ELSE dismiss_text END, updated_at = {m} WHERE id = {m}"
        )
        self._executemany(update_sql, [(*u[1:10], u[9], self.stamp, u[0]) for u in sorted(changes.updates)])
        marks = [self.json_mark if c == "breakdown" else m for c in _INSERT_COLUMNS]
        columns = ", ".join((*_INSERT_COLUMNS, "created_at", "updated_at"))
        placeholders = ", ".join((*marks, m, m))
        insert_sql = f"INSERT INTO suggestions ({columns}) VALUES ({placeholders})"  # noqa: S608
        self._executemany(insert_sql, [(*r, self.stamp, self.stamp) for r in changes.inserts])


def _copy_text(value) -> str:
    """One value in COPY's text format. Values are numbers, None, booleans, hex fingerprints,
    status words and compact breakdowns (digits and letters): none holds a tab, newline or backslash."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


class _PostgresWriter:
    """PostgreSQL: COPY the rows (psycopg's `cursor.copy`), then set-based statements.

    Inserts are copied straight into `suggestions`; updates and deletes are copied into temporary
    tables (dropped at commit) and applied with one UPDATE … FROM and one DELETE … USING. All of
    it runs in the caller's transaction.
    """

    def __init__(self, session: Session, now) -> None:
        self.connection = session.connection()
        self.stamp = now.isoformat()

    @staticmethod
    def _temp(cursor, name: str, columns: str) -> None:
        # A transaction may write twice (a savepoint, a recompute after an update): reuse the table.
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {name}")

    def _copy(self, cursor, sql: str, rows: Iterable[tuple]) -> None:
        self._copy_lines(cursor, sql, ("\t".join(map(_copy_text, row)) for row in rows))

    @staticmethod
    def _copy_lines(cursor, sql: str, lines: Iterable[str]) -> None:
        with cursor.copy(sql) as copy:
            buffer: list[str] = []
            for line in lines:
                buffer.append(line)
                if len(buffer) >= _CHUNK * 4:
                    copy.write("\n".join(buffer) + "\n")
                    buffer.clear()
            if buffer:
                copy.write("\n".join(buffer) + "\n")

    def write(self, changes: _Changes, after_deletes: Callable[[], None] | None) -> None:
        cursor = self.connection.connection.cursor()
        try:
            if changes.deletes:
                self._temp(cursor, "_suggestions_gone", "id bigint")
                self._copy(cursor, "COPY _suggestions_gone (id) FROM STDIN", ((i,) for i in changes.deletes))
                cursor.execute("DELETE FROM suggestions s USING _suggestions_gone g WHERE s.id = g.id")
            if after_deletes is not None:
                after_deletes()
            if changes.updates:
                self._temp(
                    cursor,
                    "_suggestions_changed",
                    "id bigint, score float8, distance_km float8, offer_rank int, need_rank int, "
                    "status varchar(20), offer_fingerprint varchar(32), need_fingerprint varchar(32), "
                    "breakdown json, clear_dismissal boolean",
                )
                self._copy(
                    cursor,
                    f"COPY _suggestions_changed ({', '.join(_UPDATE_COLUMNS)}) FROM STDIN",
                    sorted(changes.updates),
                )
                cursor.execute(
                    "UPDATE suggestions s SET score = c.score, distance_km = c.distance_km, "
                    "offer_rank = c.offer_rank, need_rank = c.need_rank, status = c.status, "
                    "offer_fingerprint = c.offer_fingerprint, need_fingerprint = c.need_fingerprint, "
                    "breakdown = COALESCE(c.breakdown, s.breakdown), "
                    "dismiss_reason = CASE WHEN c.clear_dismissal THEN NULL ELSE s.dismiss_reason END, "
                    "dismiss_text = CASE WHEN c.clear_dismissal THEN NULL ELSE s.dismiss_text END, "
                    "updated_at = %s FROM _suggestions_changed c WHERE s.id = c.id",
                    (self.stamp,),
                )
            if changes.inserts:
                columns = ", ".join((*_INSERT_COLUMNS, "created_at", "updated_at"))
                stamp, null = self.stamp, "\\N"
                # Only the ranks may be None in an insert row; the rest is written as is.
                lines = (
                    f"{o}\t{n}\t{sc!r}\t{km!r}\t{null if orank is None else orank}\t"
                    f"{null if nrank is None else nrank}\t{bd}\t{st}\t{ofp}\t{nfp}\t{stamp}\t{stamp}"
                    for o, n, sc, km, orank, nrank, bd, st, ofp, nfp in changes.inserts
                )
                self._copy_lines(cursor, f"COPY suggestions ({columns}) FROM STDIN", lines)
            if len(changes.inserts) + len(changes.deletes) >= _ANALYZE_FROM_ROWS:
                # Fresh statistics after a bulk change: with stale ones the planner may scan the
                # whole table for the incremental updates' lookups by listing and rank.
                cursor.execute("ANALYZE suggestions")
        finally:
            cursor.close()


# ---------------------------------------------------------------------------------------------
# Notifications of new suggestions


def _notify_new(
    session: Session,
    new_pairs: list[tuple[int, int, float]],
    cfg: MatchingConfig,
    snapshot: _Snapshot | None = None,
    fingerprints: _Fingerprints | None = None,
) -> None:
    """One in-app notification per owner and run, for new pairs scoring at least `notify_score`."""
    worthy = [(o, n) for o, n, s in new_pairs if s >= cfg.notify_score]
    if not worthy:
        return
    from ..accounts.models import User
    from ..notifications.services import notify

    listing_ids = {i for pair in worthy for i in pair}
    # Owners are known from the listings already in memory; the database is asked for the rest.
    owners = _owners_in(snapshot, listing_ids) if snapshot is not None else {}
    if fingerprints is not None:
        owners.update({i: fingerprints.rows[i][4] for i in listing_ids if i in fingerprints.rows})
    missing = sorted(listing_ids - set(owners))
    for start in range(0, len(missing), _CHUNK):
        chunk = missing[start : start + _CHUNK]
        owners.update(
            session.execute(select(Listing.id, Listing.owner_id).where(Listing.id.in_(chunk))).all()
        )
    per_owner: dict[int, set[int]] = defaultdict(set)
    for o, n in worthy:
        per_owner[owners[o]].add(o)
        per_owner[owners[n]].add(n)
    owner_ids = sorted(per_owner)
    users = {}
    for start in range(0, len(owner_ids), _CHUNK):
        chunk = owner_ids[start : start + _CHUNK]
        users.update({u.id: u for u in session.scalars(select(User).where(User.id.in_(chunk)))})
    for owner_id, listings in per_owner.items():
        user = users.get(owner_id)
        if user is None:
            continue
        one = next(iter(listings)) if len(listings) == 1 else None
        notify(
            session,
            user,
            NOTIFY_KIND,
            "New matching suggestions",
            "%(count)s of your listings have new suggestions.",
            object_type="listing" if one else None,
            object_id=one,
            link=f"/listings/{one}/suggestions" if one else "/",
            count=len(listings),
        )


# ---------------------------------------------------------------------------------------------
# Full recompute


def full_recompute(
    session: Session,
    cfg: MatchingConfig,
    coop: list[tuple[int, int]] | None = None,
    *,
    notify: bool = True,
    after_deletes: Callable[[], None] | None = None,
) -> Counts:
    """Recompute every suggestion in ONE transaction and write only the differences."""
    counts = Counts()
    with transaction(session):
        t0 = time.perf_counter()
        coop = cooperations(session) if coop is None else coop
        explainer = _Explainer(cfg, coop)
        fingerprints = _Fingerprints(())
        per_category = []
        url = str(session.connection().engine.url)
        for category in categories(session):
            state = _state(session, category)  # read before the listings (see _category_snapshot)
            offers, needs = load_category(session, category)
            for r in offers + needs:
                fingerprints.set_row(r)
            subs = _Subcategories()
            per_category.append(
                (category, state, subs, offers + needs, _core_rows(offers, subs), _core_rows(needs, subs))
            )
        existing = _stored_suggestions(session)
        t1 = time.perf_counter()
        tops: list[tuple[TopK, int]] = []
        snapshots = {}
        for category, (epoch, version, *_rest), subs, raw, offers, needs in per_category:
            o_arr, n_arr = arrays_from_rows(offers), arrays_from_rows(needs)
            if offers and needs:
                explainer.add(o_arr)
                explainer.add(n_arr)
                tops.append((top_k_for_needs(o_arr, n_arr, cfg, cooperations=coop), NEED))
                tops.append((top_k_for_offers(o_arr, n_arr, cfg, cooperations=coop), OFFER))
            # The incremental updates that follow in this process start from these arrays.
            sides = {"offer": _SideArrays.build(o_arr), "need": _SideArrays.build(n_arr)}
            snapshots[(url, category)] = _Snapshot(epoch, version, subs, _Fingerprints(raw), sides)
        desired = _Desired.from_tops(tops)
        t2 = time.perf_counter()
        _apply(session, existing, desired, fingerprints, explainer, counts, after_deletes)
        if notify:
            _notify_new(session, counts.new_pairs, cfg, fingerprints=fingerprints)
        t3 = time.perf_counter()
    with _SNAPSHOT_LOCK:
        _SNAPSHOTS.update(snapshots)
    counts.timings = {"load": t1 - t0, "match": t2 - t1, "write": time.perf_counter() - t2, "apply": t3 - t2}
    return counts


# ---------------------------------------------------------------------------------------------
# Incremental update


class _SidedExplainer(_Explainer):
    """`_Explainer` over a category snapshot: listings are found through its id → position maps."""

    def __init__(self, cfg: MatchingConfig, coop, offers: _SideArrays, needs: _SideArrays) -> None:
        super().__init__(cfg, coop)
        self.offers, self.needs = offers, needs

    def many_arrays(self, o: np.ndarray, n: np.ndarray, km: np.ndarray) -> list[str | None]:
        return self.many(list(zip(o.tolist(), n.tolist(), km.tolist(), strict=True)))

    def many(self, pairs: list[tuple[int, int, float]]) -> list[str | None]:
        out: list[str | None] = [None] * len(pairs)
        o_pos, n_pos = self.offers.pos, self.needs.pos
        known = [
            (j, o_pos[o], n_pos[n], km) for j, (o, n, km) in enumerate(pairs) if o in o_pos and n in n_pos
        ]
        if not known:
            return out
        js, oi, ni, km = (list(c) for c in zip(*known, strict=True))
        texts = compact_json(
            self.offers.arrays,
            np.asarray(oi, dtype=np.int64),
            self.needs.arrays,
            np.asarray(ni, dtype=np.int64),
            np.asarray(km, dtype=np.float64),
            self.cfg,
            self.keys,
        )
        for j, text_ in zip(js, texts, strict=True):
            out[j] = text_
        return out


# ---------------------------------------------------------------------------------------------
# Per-process snapshots of a category, for the incremental update
#
# Re-reading a category (tens of thousands of listings) for each update costs far more than the
# update itself. Each process keeps, per database and category, the listings as ListingArrays
# with an id → position map, labelled with the category's data version (`MatchingState`).
# Every flush that changes listings bumps that version in its own transaction (see `_bump` below),
# so several workers stay correct: a worker reuses its snapshot only when nothing but the listing
# being updated changed since (that listing is re-read and patched in place); otherwise it reloads.


@dataclass
class _SideArrays:
    """One side (offers or needs) of a category: the arrays and each listing id's row."""

    arrays: ListingArrays
    pos: dict[int, int]

    @classmethod
    def build(cls, arrays: ListingArrays) -> _SideArrays:
        return cls(arrays, {int(i): p for p, i in enumerate(arrays.id.tolist())})

    def put(self, row: tuple) -> None:
        """Insert or replace one listing (a core row), keeping the derived columns in step."""
        me = ListingArrays.from_rows([row])
        i = self.pos.get(int(row[0]))
        if i is None:
            self.arrays = _with_derived(ListingArrays.concat([self.arrays, me]), [self.arrays, me])
            self.pos[int(row[0])] = len(self.arrays) - 1
            return
        arrays = self.arrays
        for name in LISTING_FIELDS:
            getattr(arrays, name)[i] = getattr(me, name)[0]
        if "derived" in arrays.__dict__:
            for f in dataclasses.fields(arrays.derived):
                getattr(arrays.derived, f.name)[i] = getattr(me.derived, f.name)[0]
        # Any other cached column (radius per configuration…) is recomputed on demand.
        for name in [k for k in arrays.__dict__ if k not in LISTING_FIELDS and k != "derived"]:
            del arrays.__dict__[name]

    def drop(self, listing_id: int) -> None:
        i = self.pos.get(listing_id)
        if i is None:
            return
        keep = np.ones(len(self.arrays), dtype=bool)
        keep[i] = False
        derived = self.arrays.__dict__.get("derived")
        arrays = self.arrays.take(keep)
        if derived is not None:
            arrays.__dict__["derived"] = type(derived)(
                **{f.name: getattr(derived, f.name)[keep] for f in dataclasses.fields(derived)}
            )
        self.arrays = arrays
        self.pos = {int(x): p for p, x in enumerate(arrays.id.tolist())}


def _with_derived(arrays: ListingArrays, parts: list[ListingArrays]) -> ListingArrays:
    """Concatenate the parts' derived columns rather than recomputing them for every row."""
    derived = [p.derived for p in parts if len(p)]
    if derived:
        arrays.__dict__["derived"] = type(derived[0])(
            **{
                f.name: np.concatenate([getattr(d, f.name) for d in derived])
                for f in dataclasses.fields(derived[0])
            }
        )
    return arrays


@dataclass
class _Snapshot:
    epoch: int
    version: int
    subs: _Subcategories
    fingerprints: _Fingerprints
    sides: dict[str, _SideArrays]


_SNAPSHOTS: dict[tuple[str, str], _Snapshot] = {}
_SNAPSHOT_LOCK = threading.RLock()
_BUMP = text(
    "INSERT INTO matching_state (category, epoch, version, run_start, last_listing_id) "
    "VALUES (:category, :epoch, :step, 0, :listing_id) "
    "ON CONFLICT (category) DO UPDATE SET "
    "run_start = CASE WHEN matching_state.last_listing_id = :listing_id "
    "THEN matching_state.run_start ELSE matching_state.version END, "
    "version = matching_state.version + :step, last_listing_id = :listing_id"
)


def _state(session: Session, category: str) -> tuple[int, int, int, int | None]:
    stmt = select(
        MatchingState.epoch, MatchingState.version, MatchingState.run_start, MatchingState.last_listing_id
    )
    row = session.execute(stmt.where(MatchingState.category == category)).first()
    if row is None:
        _bump(session.connection(), category, None)
        row = session.execute(stmt.where(MatchingState.category == category)).first()
    return tuple(row)


def _bump(connection, category: str, listing_id: int | None) -> None:
    # Random steps: after a rolled-back bump, the next one does not reuse the version number.
    step = secrets.randbelow(1 << 20) + 1
    connection.execute(
        _BUMP,
        {"category": category, "epoch": secrets.randbelow(1 << 62), "step": step, "listing_id": listing_id},
    )


def _category_snapshot(session: Session, category: str, listing: tuple, active: bool) -> _Snapshot:
    """The category's listings with `listing` in its current state (patched, or reloaded)."""
    epoch, version, run_start, last_id = _state(session, category)
    key = (str(session.connection().engine.url), category)
    snap = _SNAPSHOTS.get(key)
    listing_id = listing[0]
    fresh = (
        snap is not None
        and snap.epoch == epoch
        and (snap.version == version or (last_id == listing_id and run_start <= snap.version <= version))
    )
    if not fresh:
        _SNAPSHOTS.pop(key, None)
        offers, needs = load_category(session, category)
        subs = _Subcategories()
        sides = {
            "offer": _SideArrays.build(arrays_from_rows(_core_rows(offers, subs))),
            "need": _SideArrays.build(arrays_from_rows(_core_rows(needs, subs))),
        }
        snap = _Snapshot(epoch, version, subs, _Fingerprints(offers + needs), sides)
    side = snap.sides[listing[1]]
    if active:
        side.put(_core_rows([listing], snap.subs)[0])
        snap.fingerprints.set_row(listing)
    else:
        side.drop(listing_id)
        snap.fingerprints.drop(listing_id)
    snap.version = version
    _SNAPSHOTS[key] = snap
    return snap


def _forget_snapshots() -> None:
    _SNAPSHOTS.clear()


@event.listens_for(Session, "after_flush")
def _bump_changed_categories(session: Session, _flush_context) -> None:
    """Bump the data version of every category whose listings this flush added, changed or deleted."""
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


def _owners_in(snapshot: _Snapshot, listing_ids: set[int]) -> dict[int, int]:
    owners = {}
    for side in snapshot.sides.values():
        for i in listing_ids:
            at = side.pos.get(i)
            if at is not None:
                owners[i] = int(side.arrays.owner[at])
    return owners


def _listing_row(session: Session, listing_id: int) -> tuple | None:
    row = session.execute(select(*_COLUMNS, Listing.status).where(Listing.id == listing_id)).first()
    return None if row is None else tuple(row)


def update_for_listing(
    session: Session,
    listing_id: int,
    cfg: MatchingConfig | None = None,
    coop: list[tuple[int, int]] | None = None,
    *,
    notify: bool = True,
) -> Counts:
    """Bring the suggestions up to date after one listing was published, edited or withdrawn.

    Only the rows of that listing and of the counterparts whose top-k it changes are rewritten
    (`candidates.reach`), with the stored ranks standing for the previous full recompute.
    """
    try:
        # Threads of one process share the snapshots, which an update patches in place.
        with _SNAPSHOT_LOCK:
            return _update_for_listing(session, listing_id, cfg or MatchingConfig(), coop, notify=notify)
    except BaseException:
        # The snapshot may hold a state this failed transaction never committed.
        _forget_snapshots()
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
        row = _listing_row(session, listing_id)
        if row is None:
            return counts
        coop = cooperations(session) if coop is None else coop
        status, category, kind = row[-1], row[2], row[1]
        listing = row[:-1]
        active = status == "published" and listing[6] is not None and listing[7] is not None
        snapshot = _category_snapshot(session, category, listing, active)
        fingerprints, subs = snapshot.fingerprints, snapshot.subs
        me = _core_rows([listing], subs)[0]
        explainer = _SidedExplainer(cfg, coop, snapshot.sides["offer"], snapshot.sides["need"])
        my_slot, other_slot = (2, 3) if kind == "offer" else (3, 2)
        other_col = Suggestion.need_id if kind == "offer" else Suggestion.offer_id
        other_rank = Suggestion.need_rank if kind == "offer" else Suggestion.offer_rank
        my_col = Suggestion.offer_id if kind == "offer" else Suggestion.need_id
        other_side = snapshot.sides["need" if kind == "offer" else "offer"]
        other_arr, own_arr = other_side.arrays, snapshot.sides[kind].arrays
        # The listing's stored rows; those where the counterpart ranks it are the counterparts holding it.
        mine = session.execute(select(*_SUGGESTION_COLUMNS).where(my_col == listing_id)).all()
        other_at, rank_at = (2, 6) if kind == "offer" else (1, 5)
        held = {r[other_at] for r in mine if r[rank_at] is not None}
        candidates = set(held)
        me_arr = ListingArrays.from_rows([me]) if active else None
        if active and len(other_arr):
            n = len(other_arr)
            c_pos, l_pos = np.arange(n), np.zeros(n, dtype=np.int64)
            keys = cooperation_keys(coop)
            if kind == "offer":
                dist = pair_distance_km(me_arr, l_pos, other_arr, c_pos)
                score, valid = pair_scores(me_arr, l_pos, other_arr, c_pos, dist, cfg, keys)
            else:
                dist = pair_distance_km(other_arr, c_pos, me_arr, l_pos)
                score, valid = pair_scores(other_arr, c_pos, me_arr, l_pos, dist, cfg, keys)
            with np.errstate(invalid="ignore"):
                valid &= score >= cfg.min_score
            candidates |= set(other_arr.id[valid].tolist())
        cand_ids = sorted(c for c in candidates if c in fingerprints)
        pos = other_side.pos
        cand_arr = other_arr.take(np.asarray([pos[c] for c in cand_ids], dtype=np.int64))

        k = cfg.top_k
        ids = np.full((len(cand_ids), k), -1, dtype=np.int64)
        scores = np.full((len(cand_ids), k), np.nan)
        dists = np.full((len(cand_ids), k), np.nan)
        row_of = {c: i for i, c in enumerate(cand_ids)}
        relevant = [c for c in cand_ids if c in held]
        if active and cand_ids:
            # Most candidates keep their top-k: the listing does not beat their k-th entry. Read
            # only that entry for all of them, and whole top-k lists only where the listing enters.
            kth = select(other_col, my_col, Suggestion.score, Suggestion.distance_km)
            for start in range(0, len(cand_ids), _CHUNK):
                chunk = cand_ids[start : start + _CHUNK]
                for c, other_id, s_, d_ in session.execute(
                    kth.where(other_col.in_(chunk), other_rank == k - 1)
                ):
                    i = row_of[c]
                    ids[i, k - 1], scores[i, k - 1], dists[i, k - 1] = other_id, s_, d_
            at = np.asarray([pos[c] for c in cand_ids], dtype=np.int64)
            with np.errstate(invalid="ignore"):
                enters = valid[at] & _better(
                    score[at], dist[at], listing_id, scores[:, -1], dists[:, -1], ids[:, -1]
                )
            relevant = sorted({*relevant, *np.asarray(cand_ids, dtype=np.int64)[enters].tolist()})

        # The stored rows this update may touch: all of the listing's, and the relevant candidates'.
        existing = list(mine)
        seen_ids = {r[0] for r in existing}
        for start in range(0, len(relevant), _CHUNK):
            chunk = relevant[start : start + _CHUNK]
            more = session.execute(select(*_SUGGESTION_COLUMNS).where(other_col.in_(chunk))).all()
            existing += [r for r in more if r[0] not in seen_ids]
        t1 = time.perf_counter()

        # The stored top-k of the candidates, as the core's TopK (row-aligned with cand_arr):
        # whole for the relevant ones, the k-th entry alone for the others.
        for r in existing:
            o, n = r[1], r[2]
            c, other_id, rank = (o, n, r[5]) if kind == "need" else (n, o, r[6])
            if c in row_of and rank is not None and rank < k:
                i = row_of[c]
                ids[i, rank], scores[i, rank], dists[i, rank] = other_id, r[3], r[4]
        stored_top = TopK(np.asarray(cand_ids, dtype=np.int64), ids, scores, dists)

        desired: dict = {}
        # Keep every touched row's ranks, clearing what is being recomputed: the listing's pairs
        # entirely, and the candidates' side of their pairs.
        recomputed: set[int] = set()
        if active:
            index = SimpleNamespace(
                cfg=cfg,
                offers=own_arr if kind == "offer" else cand_arr,
                needs=cand_arr if kind == "offer" else own_arr,
                offer_top=stored_top,
                need_top=stored_top,
                coop_keys=cooperation_keys(coop),
                coop_territories=_coop_territories(coop),
            )
            result = reach(me_arr, index)
            updated, own = result.updated, result.own
        else:
            own = None
            redo = np.asarray([row_of[c] for c in cand_ids if c in held], dtype=np.int64)
            queries = cand_arr.take(redo)
            if kind == "offer":
                updated = top_k_for_needs(own_arr, queries, cfg, cooperations=coop)
            else:
                updated = top_k_for_offers(queries, own_arr, cfg, cooperations=coop)
        recomputed = set(updated.query_ids.tolist())
        for r in existing:
            o, n = r[1], r[2]
            entry = [r[3], r[4], r[5], r[6]]
            if listing_id in (o, n):
                entry[my_slot] = None
                if (n if kind == "offer" else o) in recomputed:
                    entry[other_slot] = None
            elif (o if kind == "need" else n) in recomputed:
                entry[other_slot] = None
            desired[(o, n)] = entry
        if own is not None:
            _overlay(desired, own, OFFER if kind == "offer" else NEED)
        _overlay(desired, updated, NEED if kind == "offer" else OFFER)
        t2 = time.perf_counter()
        _apply(session, existing, _Desired.from_dict(desired), fingerprints, explainer, counts)
        if notify:
            _notify_new(session, counts.new_pairs, cfg, snapshot)
    counts.timings = {"load": t1 - t0, "match": t2 - t1, "write": time.perf_counter() - t2}
    return counts


def _coop_territories(coop) -> np.ndarray:
    keys = cooperation_keys(coop)
    return np.unique(np.concatenate([keys >> 32, keys & 0xFFFFFFFF])) if keys.size else keys


# ---------------------------------------------------------------------------------------------
# Hook into the listings' lifecycle (provided in parallel by the listings domain)

_config_for_hooks: list[MatchingConfig] = []


def _on_listing_changed(session: Session, listing_id: int, change: object = None) -> None:
    cfg = _config_for_hooks[0] if _config_for_hooks else _current_config()
    update_for_listing(session, listing_id, cfg)


def _current_config() -> MatchingConfig:
    try:
        from flask import current_app

        return MatchingConfig.from_mapping(current_app.config.get("matching", {}))
    except RuntimeError:  # outside an application context
        return MatchingConfig()


def register_hooks() -> bool:
    """Register the incremental update with the listings' hook registry, when it exists."""
    try:
        from ..listings import hooks  # type: ignore[attr-defined]
    except ImportError:
        return False
    registered = getattr(hooks, "_matching_registered", False)
    if not registered:
        hooks.on_listing_changed(_on_listing_changed)
        hooks._matching_registered = True
    return True


__all__ = [
    "LISTING_FIELDS",
    "Counts",
    "cooperations",
    "full_recompute",
    "register_hooks",
    "update_for_listing",
]
