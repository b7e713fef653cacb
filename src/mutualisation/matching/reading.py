"""Reading what the engine matches: published listings by category, stored suggestions, cooperations.

Listings are read as column tuples (never ORM objects), one query per category, and carried as
`rows.ListingRow`; suggestions as `rows.SuggestionRow`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from sys import intern
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, aliased

from ..listings.models import Listing
from .models import Suggestion
from .rows import ListingRow, SuggestionRow

# The listing columns the engine reads, in `ListingRow` order.
LISTING_COLUMNS = (
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
# The suggestion columns the engine compares, in `SuggestionRow` order.
SUGGESTION_COLUMNS = tuple(getattr(Suggestion, name) for name in SuggestionRow._fields)


def driver_rows(connection: Any, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """`sql`, with :name parameters, through the driver's cursor in `connection`'s transaction: its
    rows as the driver's tuples, or [] for a statement that returns none.

    For the engine's hot statements, whose values are plain ints, floats, strings and None:
    SQLAlchemy's statement building and result processing cost more than running them (0.2 to
    0.5 ms each, several per incremental update; seconds for millions of rows). Only constant
    names reach the SQL text, never a value.
    """
    if params is not None and connection.dialect.paramstyle not in ("qmark", "named"):
        sql = _pyformat(sql)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql) if params is None else cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


@lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    """`sql`'s :name parameters as psycopg's %(name)s, rewritten once per text (the hot
    statements are few, and the rewriting cost more than some of them)."""
    return re.sub(r":(\w+)", r"%(\1)s", sql)


def stored_suggestions(session: Session) -> list[tuple[Any, ...]]:
    """Every suggestion's diff columns in `SuggestionRow` field order, as the driver's tuples.

    There may be millions: making each a `SuggestionRow` would cost about a second, and `diff`
    reads them as columns named by `SuggestionRow._fields` anyway.
    """
    columns = ", ".join(SuggestionRow._fields)
    return driver_rows(session.connection(), f"SELECT {columns} FROM suggestions")  # noqa: S608 (constant names)


def suggestion_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Suggestion)) or 0)


def suggestions_outside(session: Session, skipped: list[str]) -> list[tuple[Any, ...]]:
    """Like `stored_suggestions`, less the pairs whose two listings are both in `skipped` categories."""
    offer, need = aliased(Listing), aliased(Listing)
    stmt = (
        select(*SUGGESTION_COLUMNS)
        .select_from(Suggestion)
        .join(offer, offer.id == Suggestion.offer_id)
        .join(need, need.id == Suggestion.need_id)
        .where(~(offer.category.in_(skipped) & need.category.in_(skipped)))
    )
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[arg-type]


def listing_rows(session: Session, listing_ids: list[int]) -> list[ListingRow]:
    """The published, located listings among `listing_ids` (in chunks of a few thousand ids)."""
    out: list[ListingRow] = []
    for start in range(0, len(listing_ids), 5000):
        stmt = select(*LISTING_COLUMNS).where(
            Listing.id.in_(listing_ids[start : start + 5000]),
            Listing.status == "published",
            Listing.latitude.is_not(None),
            Listing.longitude.is_not(None),
        )
        out += [ListingRow._make(r) for r in session.execute(stmt)]
    return out


def _one_of(
    connection: Any, column: str, listing_ids: list[int], name: str = "ids"
) -> tuple[str, dict[str, Any]]:
    """A condition that `column` is one of `listing_ids`, and its parameters (named after `name`,
    so that two conditions can share a statement), for `driver_rows`."""
    if connection.dialect.name == "postgresql":
        # One array parameter: one text whatever the number of ids, which psycopg prepares once.
        return f"{column} = ANY(CAST(:{name} AS bigint[]))", {name: listing_ids}
    params = {f"{name}{i}": listing_id for i, listing_id in enumerate(listing_ids)}
    return f"{column} IN ({', '.join(f':{key}' for key in params)})", params


def suggestions_of(session: Session, column: str, listing_ids: list[int]) -> list[SuggestionRow]:
    """The stored rows whose `column` ("offer_id" or "need_id") is one of `listing_ids` (a few
    thousand at most), through `driver_rows`: an incremental update makes two such reads."""
    if column not in ("offer_id", "need_id"):
        raise ValueError(f"not a listing column of suggestions: {column!r}")
    if not listing_ids:
        return []
    connection = session.connection()
    condition, params = _one_of(connection, column, listing_ids)
    sql = f"SELECT {', '.join(SuggestionRow._fields)} FROM suggestions WHERE {condition}"  # noqa: S608 (constant names, placeholders)
    return [SuggestionRow._make(r) for r in driver_rows(connection, sql, params)]


def _side_columns(offer_side: bool) -> tuple[str, str, str]:
    """(the listing's column, its counterpart's, the listing's rank) in suggestions, for one side."""
    return ("offer_id", "need_id", "offer_rank") if offer_side else ("need_id", "offer_id", "need_rank")


def _ranked_sql(offer_side: bool, condition: str) -> str:
    """The SELECT of (listing id, its rank, counterpart id, score, km) of every ranked place, under
    `:k`, in the top-k lists of the listings of one side that `condition` selects (on the
    suggestions aliased `s`). Only constant names reach the text."""
    me, other, rank = _side_columns(offer_side)
    return (
        f"SELECT s.{me}, s.{rank}, s.{other}, s.score, s.distance_km FROM suggestions s "  # noqa: S608 (constant names, placeholders)
        f"WHERE {condition} AND s.{rank} IS NOT NULL AND s.{rank} < :k"
    )


def ranked(session: Session, category: str, offer_side: bool, k: int) -> list[tuple[Any, ...]]:
    """(listing id, its rank, counterpart id, score, km) of every ranked place in the top-k lists
    of `category`'s offers (or needs): the stored lists of one side, in one query.

    A quarter of a million rows per side for a large category at national scale, read by a
    worker's first update of the category: through `driver_rows`, SQLAlchemy's processing of
    each row no longer adds 0.13 to 0.15 s per side to that update."""
    me = _side_columns(offer_side)[0]
    in_category = f"s.{me} IN (SELECT id FROM listings WHERE category = :category)"  # noqa: S608 (constant names)
    sql = _ranked_sql(offer_side, in_category)
    return driver_rows(session.connection(), sql, {"category": category, "k": k})


def ranked_of(session: Session, offer_ids: list[int], need_ids: list[int], k: int) -> list[tuple[Any, ...]]:
    """Like `ranked`, for the stored top-k lists of the offers `offer_ids` and the needs
    `need_ids` only, in one statement through `driver_rows` (an update re-reads the stale lists of
    its copy it is about to read, `snapshots.refresh_tops`). Listing ids are unique across kinds,
    so each row's first column tells its side."""
    connection = session.connection()
    out: list[tuple[Any, ...]] = []
    for start in range(0, max(len(offer_ids), len(need_ids)), 5000):
        parts, params = [], {"k": k}
        for offer_side, ids, name in ((True, offer_ids, "offers"), (False, need_ids, "needs")):
            chunk = ids[start : start + 5000]
            if chunk:
                me = _side_columns(offer_side)[0]
                condition, found = _one_of(connection, f"s.{me}", chunk, name)
                parts.append(_ranked_sql(offer_side, condition))
                params.update(found)
        out += driver_rows(connection, " UNION ALL ".join(parts), params)
    return out


def categories(session: Session) -> list[str]:
    stmt = select(Listing.category).where(Listing.status == "published").distinct()
    return sorted(session.scalars(stmt))


def load_category(session: Session, category: str) -> tuple[list[ListingRow], list[ListingRow]]:
    """Published, located offers and needs of one category (one query)."""
    stmt = select(*LISTING_COLUMNS).where(
        Listing.status == "published",
        Listing.category == category,
        Listing.latitude.is_not(None),
        Listing.longitude.is_not(None),
    )
    offers: list[ListingRow] = []
    needs: list[ListingRow] = []
    for row in session.execute(stmt):
        # The driver makes a new string per value: shared, the words that repeat from row to row
        # save a sixth of the rows' memory (a full recompute keeps every published listing).
        i, kind, cat, sub, *rest = row
        listing = ListingRow(i, intern(kind), intern(cat), sub if sub is None else intern(sub), *rest)
        (offers if listing.kind == "offer" else needs).append(listing)
    return offers, needs


_LISTING_ROW_COLUMNS = tuple(attribute.expression for attribute in (*LISTING_COLUMNS, Listing.status))
_LISTING_ROW = (
    f"SELECT {', '.join(c.name for c in _LISTING_ROW_COLUMNS)} FROM listings WHERE id = :listing_id"  # noqa: S608 (constant names)
)
_CONVERTERS: dict[str, list[tuple[int, Callable[[Any], Any]]]] = {}


def _converters(dialect: Any) -> list[tuple[int, Callable[[Any], Any]]]:
    """SQLAlchemy's own result conversions of `_LISTING_ROW`'s columns, by position, where the
    driver's values differ from what `session.execute` gives (which the fingerprints hash): SQLite
    hands dates back as text and booleans as integers. psycopg returns these columns' types itself
    (tests/integration/test_matching_reading.py compares them on both databases)."""
    if dialect.name not in _CONVERTERS:
        found: list[tuple[int, Callable[[Any], Any]]] = []
        for at, column in enumerate(_LISTING_ROW_COLUMNS if dialect.name == "sqlite" else ()):
            convert: Any = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if convert is not None:
                found.append((at, convert))
        _CONVERTERS[dialect.name] = found
    return _CONVERTERS[dialect.name]


def _as_read(dialect: Any, values: list[Any]) -> list[Any]:
    """The driver's values of `_LISTING_ROW`'s columns (all, or the leading ones), converted in
    place as `session.execute` would give them (`_converters`)."""
    for at, convert in _converters(dialect):
        if at < len(values):
            values[at] = convert(values[at])
    return values


def listing_row(session: Session, listing_id: int) -> tuple[ListingRow, str] | None:
    """One listing's row and status, whatever its status; None when it does not exist.

    Through the driver (`driver_rows`), as every incremental update reads it first: SQLAlchemy's
    execution of the prepared statement cost 0.3 ms more than the statement itself on PostgreSQL."""
    connection = session.connection()
    rows = driver_rows(connection, _LISTING_ROW, {"listing_id": listing_id})
    if not rows:
        return None
    *fields, status = _as_read(connection.dialect, list(rows[0]))
    return ListingRow._make(fields), status


# The listings logged for a category since a version (each once, and whether its row changed), with
# the row of each changed one that is still a published, located listing: one round trip. The join
# looks a listing up only where its row changed: `ON changed = 1 AND l.id = …` fetched every logged
# listing and filtered after (PostgreSQL, the whole statement: 0.39 → 0.29–0.33 ms for 52 logged
# listings, 1.04 → 0.58–0.61 ms for 267).
_LOGGED_LISTINGS = (
    "SELECT c.listing_id, c.row_changed, "  # noqa: S608 (constant names)
    + ", ".join(f"l.{c.name}" for c in _LISTING_ROW_COLUMNS[: len(LISTING_COLUMNS)])
    + " FROM (SELECT listing_id, MAX(CASE WHEN row_changed THEN 1 ELSE 0 END) AS row_changed "
    "FROM matching_changes WHERE category = :category AND version > :version GROUP BY listing_id) c "
    "LEFT JOIN listings l ON l.id = CASE WHEN c.row_changed = 1 THEN c.listing_id END "
    "AND l.status = 'published' AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL ORDER BY c.listing_id"
)


def logged_listings(
    session: Session, category: str, version: int
) -> list[tuple[int, bool, ListingRow | None]]:
    """(listing id, whether its row changed, its row or None) of each listing logged for `category`
    after `version`, in id order; the row only for a changed listing still published and located.

    A worker catching up on another's updates reads the log and the changed rows in this one
    statement. Before, the log was one statement and the rows another, through SQLAlchemy: that
    second read alone took 0.82 ms of a 2.44 ms median catch-up on PostgreSQL, at 100,000 listings."""
    connection = session.connection()
    found = driver_rows(connection, _LOGGED_LISTINGS, {"category": category, "version": version})
    return [
        (
            int(listing_id),
            bool(changed),
            None if values[0] is None else ListingRow._make(_as_read(connection.dialect, values)),
        )
        for listing_id, changed, *values in found
    ]


def listing_categories(session: Session, listing_ids: list[int]) -> set[str]:
    rows = session.scalars(select(Listing.category).where(Listing.id.in_(listing_ids)).distinct())
    return {str(c) for c in rows}


def owners(session: Session, listing_ids: list[int]) -> dict[int, int]:
    rows = session.execute(select(Listing.id, Listing.owner_id).where(Listing.id.in_(listing_ids)))
    return {int(i): int(o) for i, o in rows}


_COOPERATION_COLUMNS: dict[str, tuple[str, str]] = {}


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
    # Through the driver (every incremental update reads them); the column names come from the
    # list above, never from input.
    sql = f"SELECT {a}, {b} FROM agreements WHERE status IN ('completed', 'evaluated')"  # noqa: S608
    rows = driver_rows(session.connection(), sql)
    return [(int(x), int(y)) for x, y in rows if x is not None and y is not None]
