"""Writing a `diff.Changes` in bulk: on PostgreSQL COPY and temporary tables, or for a small change
set one statement over an array of ids and JSON rows; executemany elsewhere.

Per-row SQLAlchemy parameter processing would dominate a full recompute (a million rows and
more), and every value written is a plain int, float, str or None. The rows to insert arrive as
chunks of columns (`diff.Inserts`), never as a million Python rows: SQLite takes them many rows
per INSERT, PostgreSQL as COPY text (around which a large insert drops the foreign keys and the
secondary index: `bulk_keys`). Everything runs in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Generator, Iterable
from functools import cache
from itertools import chain, repeat
from typing import Any

from sqlalchemy.orm import Session

from ..db import utcnow
from . import bulk_keys
from .diff import INSERT_COLUMNS, UPDATE_COLUMNS, Changes, Inserts
from .models import Suggestion
from .pipeline import prefetched

CHUNK = 5000
# COPY pays a few statements of setup: small change sets (incremental updates) use executemany.
COPY_FROM_ROWS = 500
_ANALYZE_FROM_ROWS = 50_000
VACUUM_FROM_ROWS = 100_000
# Negative: KiB, i.e. up to 16 MB of pages. Enough since a large write drops the secondary indexes,
# checks no foreign key (recompute) and appends in the unique index's order: 64 MB was no faster
# at national scale, and a bigger cache only grows the peak memory of a full run.
_SQLITE_WRITE_CACHE_KIB = -16_384

# Rows per INSERT statement on SQLite: 10 values each, well under its limit of 32,766 parameters
# (999 before SQLite 3.32: 99 rows).
_SQLITE_ROWS_PER_INSERT = 200 if sqlite3.sqlite_version_info >= (3, 32) else 99

# Above this many inserted rows, the next chunk is built in a thread while the current one is stored.
_PREFETCH_FROM_ROWS = 5000

# From this many inserted rows, SQLite's secondary indexes are dropped and rebuilt around the write.
_REINDEX_FROM_ROWS = 100_000

AfterDeletes = Callable[[], None] | None


def _drop_secondary_indexes(cursor: Any) -> list[str]:
    """Drop the suggestions' droppable indexes (in the caller's transaction) and return their DDL.

    The unique (offer_id, need_id) index belongs to the table and stays; rows arrive in its order.
    """
    found = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'suggestions' "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _sql in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def write(session: Session, changes: Changes, after_deletes: AfterDeletes = None) -> None:
    """Write `changes` (inserts carry their breakdowns) with the writer that suits their size."""
    postgresql = session.connection().dialect.name == "postgresql"
    big = changes.size >= COPY_FROM_ROWS
    writer = (PostgresWriter if big else JsonRowsWriter) if postgresql else DBAPIWriter
    writer(session, utcnow()).write(changes, after_deletes)


def vacuum_after_bulk(session: Session) -> None:
    """PostgreSQL, after a committed bulk write: VACUUM the suggestions, outside any transaction.

    Rows just copied carry no hint bits and their pages are not in the visibility map, so the
    incremental updates after a national recompute each paid for visiting them (bench_matching.py:
    p50 11.8 → 9.8 ms). Autovacuum gets there eventually; this does it at once,
    while the recompute is running anyway. It blocks no reader nor writer.
    """
    bind: Any = session.get_bind()
    engine = getattr(bind, "engine", bind)
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) suggestions")


class DBAPIWriter:
    """Bulk writes through the driver's executemany with one prepared statement per kind of write.

    Rows are written sorted by (offer_id, need_id) or id, the order of the indexes, which keeps
    their pages hot.
    """

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.connection = session.connection()
        dialect = self.connection.dialect
        stamp_type: Any = Suggestion.__table__.c.created_at.type.dialect_impl(dialect)
        processor = stamp_type.bind_processor(dialect)
        stamp = stamp_type.process_bind_param(now, dialect)
        self.stamp = processor(stamp) if processor else stamp
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.json_mark = self.mark if dialect.name != "postgresql" else f"{self.mark}::json"

    def _executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cursor = self.connection.connection.cursor()
        try:
            for start in range(0, len(rows), CHUNK * 20):
                cursor.executemany(sql, rows[start : start + CHUNK * 20])
        finally:
            cursor.close()

    def write(self, changes: Changes, after_deletes: AfterDeletes) -> None:
        if changes.size <= COPY_FROM_ROWS or self.connection.dialect.name != "sqlite":
            self._write(changes, after_deletes)
            return
        # SQLite's default page cache (2 MB) thrashes on the indexes of a large write.
        cursor = self.connection.connection.cursor()
        try:
            previous = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {_SQLITE_WRITE_CACHE_KIB}")
            indexes = _drop_secondary_indexes(cursor) if len(changes.inserts) >= _REINDEX_FROM_ROWS else []
            self._write(changes, after_deletes)
            for sql in indexes:  # one sort per index instead of a random insert per row
                cursor.execute(sql)
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
            cursor.close()

    def _update_sql(self) -> str:
        m = self.mark
        # Only constant column names and placeholders are interpolated: no value reaches the SQL text.
        return (
            f"UPDATE suggestions SET score = {m}, distance_km = {m}, offer_rank = {m}, need_rank = {m}, "  # noqa: S608
            f"status = {m}, offer_fingerprint = {m}, need_fingerprint = {m}, "
            f"breakdown = COALESCE({self.json_mark}, breakdown), "
            f"dismiss_reason = CASE WHEN {m} THEN NULL ELSE dismiss_reason END, "
            f"dismiss_text = CASE WHEN {m} THEN NULL ELSE dismiss_text END, updated_at = {m} WHERE id = {m}"
        )

    def _write(self, changes: Changes, after_deletes: AfterDeletes) -> None:
        m = self.mark
        self._executemany(f"DELETE FROM suggestions WHERE id = {m}", [(i,) for i in changes.deletes])  # noqa: S608
        if after_deletes is not None:
            after_deletes()
        updates = sorted(changes.updates, key=lambda u: u.id)
        rows = [(*u.values()[1:], u.clear_dismissal, self.stamp, u.id) for u in updates]
        self._executemany(self._update_sql(), rows)
        if len(changes.inserts):
            self._insert(changes.inserts)

    def _insert(self, inserts: Inserts) -> None:
        m = self.mark
        marks = [self.json_mark if c == "breakdown" else m for c in INSERT_COLUMNS]
        cursor: Any = self.connection.connection.cursor()  # the driver's: it takes any iterable
        # The next chunk's breakdowns are built while the driver stores this one; closed whatever
        # happens, so that no producer outlives a failed write. Not for an incremental update's
        # few rows: starting and joining the thread cost it about a millisecond, for nothing to overlap.
        chunks = inserts.chunks()
        if len(inserts) > _PREFETCH_FROM_ROWS:
            chunks = prefetched(chunks)
        try:
            for columns in chunks:
                if self.connection.dialect.name == "sqlite":
                    _insert_sqlite(cursor, columns, self.stamp)
                    continue
                # Zipped into rows at C speed as the driver reads them.
                rows = zip(*columns, repeat(self.stamp), repeat(self.stamp))
                cursor.executemany(_insert_sql([(*marks, m, m)]), rows)
        finally:
            if isinstance(chunks, Generator):  # stops the producer (the chunks are generators)
                chunks.close()
            cursor.close()


def _update_from(source: str) -> str:
    """PostgreSQL's UPDATE of the suggestions from the rows `c` of `source` (`UPDATE_COLUMNS`): a
    NULL breakdown keeps the stored one, `clear_dismissal` clears the dismissal. One text for the
    COPY writer's temporary table and the JSON rows writer's (`_json_rows`)."""
    return (
        "UPDATE suggestions s SET score = c.score, distance_km = c.distance_km, "  # noqa: S608 (constant names)
        "offer_rank = c.offer_rank, need_rank = c.need_rank, status = c.status, "
        "offer_fingerprint = c.offer_fingerprint, need_fingerprint = c.need_fingerprint, "
        "breakdown = COALESCE(c.breakdown::json, s.breakdown), "
        "dismiss_reason = CASE WHEN c.clear_dismissal THEN NULL ELSE s.dismiss_reason END, "
        "dismiss_text = CASE WHEN c.clear_dismissal THEN NULL ELSE s.dismiss_text END, "
        f"updated_at = %s FROM {source} WHERE s.id = c.id"
    )


# Each written column's SQL type: of the rows an incremental update sends as JSON, and of the
# temporary table a large update is copied into. The breakdown travels as text, cast to json where
# it is written (`_update_from`).
_SQL_TYPES = {
    **dict.fromkeys(("id", "offer_id", "need_id"), "bigint"),
    **dict.fromkeys(("score", "distance_km"), "float8"),
    **dict.fromkeys(("offer_rank", "need_rank"), "int"),
    **dict.fromkeys(("status", "offer_fingerprint", "need_fingerprint", "breakdown"), "text"),
    "clear_dismissal": "bool",
}


def _json_rows(columns: tuple[str, ...]) -> str:
    """The rows of one JSON parameter (an array of arrays, in `columns` order) as a table `c`.

    One text for any number of rows, which psycopg prepares once. Through `json`, not `jsonb`:
    `->>` gives each number's text as Python's `repr` wrote it, which float8 reads back as the
    very same float."""
    fields = ", ".join(f"(r->>{at})::{_SQL_TYPES[name]} AS {name}" for at, name in enumerate(columns))
    return f"(SELECT {fields} FROM json_array_elements(CAST(%s AS json)) AS r) AS c"  # noqa: S608 (constant names)


def _as_json(rows: Iterable[tuple[Any, ...]]) -> str:
    """Rows of plain ints, floats, strings, booleans and None as one JSON array of arrays.

    The json module encodes them at C speed, where psycopg dumps a list parameter element by
    element in Python: for the 40 rows of a dense update, 0.21 ms a statement instead of 0.72 ms
    (round trip included). A NaN or an infinity would not be JSON: it fails here, loudly."""
    return json.dumps(list(rows), allow_nan=False, separators=(",", ":"))


_ROWS_DELETE = "DELETE FROM suggestions WHERE id = ANY(%s::bigint[])"
_ROWS_UPDATE = _update_from(_json_rows(UPDATE_COLUMNS))
_ROWS_INSERT = (
    f"INSERT INTO suggestions ({', '.join((*INSERT_COLUMNS, 'created_at', 'updated_at'))}) "  # noqa: S608
    "SELECT offer_id, need_id, score, distance_km, offer_rank, need_rank, breakdown::json, status, "
    f"offer_fingerprint, need_fingerprint, %s, %s FROM {_json_rows(INSERT_COLUMNS)}"
)


# The three in one statement, one round trip: deletes, updates and inserts touch different rows
# (a pair is deleted or updated only when stored, inserted only when not).
_ROWS_WRITE = f"WITH gone AS ({_ROWS_DELETE}), changed AS ({_ROWS_UPDATE}) {_ROWS_INSERT}"


class JsonRowsWriter(DBAPIWriter):
    """PostgreSQL, below COPY's size (an incremental update): the deletes, updates and inserts are
    one statement, over an array of ids and two JSON parameters of rows (`_json_rows`), where
    executemany ran one statement per row: for the hundred rows of a dense update, a hundred plans
    and executions on the server. Separate statements when `after_deletes` must run between the
    deletes and the rest (tests)."""

    def _write(self, changes: Changes, after_deletes: AfterDeletes) -> None:
        if not changes.size and after_deletes is None:
            return  # an update that changed no stored row: no round trip
        deletes = (list(changes.deletes),)
        updates = (self.stamp, _as_json(u.values() for u in sorted(changes.updates, key=lambda u: u.id)))
        inserts = [
            (self.stamp, self.stamp, _as_json(zip(*columns, strict=True)))
            for columns in changes.inserts.chunks()
        ]
        inserts = inserts or [(self.stamp, self.stamp, "[]")]
        cursor = self.connection.connection.cursor()
        try:
            if after_deletes is None:
                cursor.execute(_ROWS_WRITE, (*deletes, *updates, *inserts[0]))
            else:
                cursor.execute(_ROWS_DELETE, deletes)
                after_deletes()
                cursor.execute(_ROWS_UPDATE, updates)
                cursor.execute(_ROWS_INSERT, inserts[0])
            for more in inserts[1:]:
                cursor.execute(_ROWS_INSERT, more)
        finally:
            cursor.close()


def _insert_sql(rows: list[tuple[str, ...]]) -> str:
    """INSERT of the rows with these placeholders (`INSERT_COLUMNS`, then the two stamps)."""
    columns = ", ".join((*INSERT_COLUMNS, "created_at", "updated_at"))
    values = ", ".join(f"({', '.join(marks)})" for marks in rows)
    return f"INSERT INTO suggestions ({columns}) VALUES {values}"  # noqa: S608 (placeholders only)


@cache
def _sqlite_insert_sql(rows: int) -> str:
    """`rows` rows per statement, numbered placeholders: ?1 … for the rows, then the stamp once."""
    width = len(INSERT_COLUMNS)
    stamp = f"?{rows * width + 1}"
    marks = [(*(f"?{r * width + c + 1}" for c in range(width)), stamp, stamp) for r in range(rows)]
    return _insert_sql(marks)


def _insert_sqlite(cursor: Any, columns: tuple[list[Any], ...], stamp: Any) -> None:
    """Many rows per INSERT: SQLite then keeps its cursors on the table and its unique index
    from one row to the next instead of seeking them for each statement (half the time)."""
    width = len(INSERT_COLUMNS)
    values = list(chain.from_iterable(zip(*columns, strict=True)))
    rows = len(values) // width
    step = _SQLITE_ROWS_PER_INSERT * width
    full = rows // _SQLITE_ROWS_PER_INSERT * step
    if full:
        statements = ([*values[at : at + step], stamp] for at in range(0, full, step))
        cursor.executemany(_sqlite_insert_sql(_SQLITE_ROWS_PER_INSERT), statements)
    if full < len(values):  # the rest, one row per statement: one SQL text whatever their number
        rest = ((*values[at : at + width], stamp) for at in range(full, len(values), width))
        cursor.executemany(_sqlite_insert_sql(1), rest)


def _copy_text(value: object) -> str:
    """One value in COPY's text format. Values are numbers, None, booleans, hex fingerprints,
    status words and compact breakdowns (digits and letters): none holds a tab, newline or backslash."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


_UPDATE_FROM_COPY = _update_from("_suggestions_changed c")
_CHANGED_TABLE = ", ".join(f"{name} {_SQL_TYPES[name]}" for name in UPDATE_COLUMNS)


class PostgresWriter:
    """PostgreSQL: COPY the rows (psycopg's `cursor.copy`), then set-based statements.

    Inserts are copied straight into `suggestions`; updates and deletes are copied into temporary
    tables (dropped at commit) and applied with one UPDATE … FROM and one DELETE … USING.
    """

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.connection = session.connection()
        self.stamp = now.isoformat()

    @staticmethod
    def _temp(cursor: Any, name: str, columns: str) -> None:
        # A transaction may write twice (a savepoint, a recompute after an update): reuse the table.
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {name}")

    def _copy(self, cursor: Any, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        self._copy_lines(cursor, sql, ("\t".join(map(_copy_text, row)) for row in rows))

    @staticmethod
    def _copy_lines(cursor: Any, sql: str, lines: Iterable[str]) -> None:
        with cursor.copy(sql) as copy:
            buffer: list[str] = []
            for line in lines:
                buffer.append(line)
                if len(buffer) >= CHUNK * 4:
                    copy.write("\n".join(buffer) + "\n")
                    buffer.clear()
            if buffer:
                copy.write("\n".join(buffer) + "\n")

    def write(self, changes: Changes, after_deletes: AfterDeletes) -> None:
        cursor = self.connection.connection.cursor()
        try:
            if changes.deletes:
                self._temp(cursor, "_suggestions_gone", "id bigint")
                self._copy(cursor, "COPY _suggestions_gone (id) FROM STDIN", ((i,) for i in changes.deletes))
                cursor.execute("DELETE FROM suggestions s USING _suggestions_gone g WHERE s.id = g.id")
            if after_deletes is not None:
                after_deletes()
            if changes.updates:
                self._temp(cursor, "_suggestions_changed", _CHANGED_TABLE)
                rows = (u.values() for u in sorted(changes.updates, key=lambda u: u.id))
                self._copy(
                    cursor, f"COPY _suggestions_changed ({', '.join(UPDATE_COLUMNS)}) FROM STDIN", rows
                )
                cursor.execute(_UPDATE_FROM_COPY, (self.stamp,))
            if len(changes.inserts):
                self._insert(cursor, changes)
            if len(changes.inserts) + len(changes.deletes) >= _ANALYZE_FROM_ROWS:
                # Fresh statistics after a bulk change: with stale ones the planner may scan the
                # whole table for the incremental updates' lookups by listing and rank.
                cursor.execute("ANALYZE suggestions")
        finally:
            cursor.close()

    def _insert(self, cursor: Any, changes: Changes) -> None:
        large = len(changes.inserts) >= bulk_keys.UNCHECKED_FROM_ROWS
        rebuild = bulk_keys.drop_for_bulk(cursor) if large else []
        columns = ", ".join((*INSERT_COLUMNS, "created_at", "updated_at"))
        with cursor.copy(f"COPY suggestions ({columns}) FROM STDIN") as copy:
            for chunk in changes.inserts.chunks():
                copy.write(_copy_chunk(chunk, self.stamp))
        for sql in rebuild:
            cursor.execute(sql)


def _copy_chunk(columns: tuple[list[Any], ...], stamp: str) -> str:
    """Rows given as columns in `INSERT_COLUMNS` order, in COPY's text format, stamped.

    Only the ranks may be None; ids and ranks are ints, score and distance floats (their repr
    reads back as the same float8), the rest is text with no tab, newline or backslash.
    """
    o, n, score, km, o_rank, n_rank, *texts = columns
    null = "\\N"
    ranks = ([null if r is None else str(r) for r in rank] for rank in (o_rank, n_rank))
    numbers = (list(map(str, o)), list(map(str, n)), list(map(repr, score)), list(map(repr, km)), *ranks)
    rows = zip(*numbers, *texts, repeat(stamp), repeat(stamp))
    return "\n".join(map("\t".join, rows)) + "\n"
