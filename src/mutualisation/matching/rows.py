"""The engine's rows, named (pure): a listing as the engine reads it, a stored suggestion, fingerprints.

Rows are read from the database as plain tuples (never ORM objects: a full recompute reads
hundreds of thousands) and carried as these NamedTuples, so that no code reads a field by position.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import operator
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np

from .arrays import NEED, OFFER, ListingArrays
from .closeness import default_codes


class ListingRow(NamedTuple):
    """A listing's matching columns, in `arrays.LISTING_FIELDS` order (the database's names)."""

    id: int
    kind: str | int
    category: str
    subcategory: Any  # a code (str or None) as read, a small int once `Subcategories` coded it
    owner_id: int
    territory_id: int
    latitude: float | None
    longitude: float | None
    available_from: dt.date | None
    available_until: dt.date | None
    quantity: float | None
    inexhaustible: bool
    remote_possible: bool
    max_distance_km: float | None

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class SuggestionRow(NamedTuple):
    """A stored suggestion's columns the engine compares and rewrites."""

    id: int
    offer_id: int
    need_id: int
    score: float
    distance_km: float
    offer_rank: int | None
    need_rank: int | None
    status: str
    offer_fingerprint: str
    need_fingerprint: str
    agreement_id: int | None


_MATERIAL = operator.attrgetter(*ListingRow._fields[1:])  # everything but the id, at C speed


def fingerprint(row: ListingRow) -> str:
    """Hash of what matters for matching: a change here lifts a dismissal."""
    material = "|".join("" if v is None else repr(v) for v in _MATERIAL(row))
    return hashlib.blake2b(material.encode(), digest_size=12).hexdigest()


class Fingerprints:
    """Fingerprints of published listings, hashed only when asked (an update touches few rows)."""

    def __init__(self, rows: Iterable[ListingRow]) -> None:
        self.rows = {r.id: r for r in rows}
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

    def __contains__(self, listing_id: object) -> bool:
        return listing_id in self.rows

    def owner(self, listing_id: int) -> int | None:
        row = self.rows.get(listing_id)
        return None if row is None else row.owner_id

    def set_row(self, row: ListingRow) -> None:
        self.rows[row.id] = row
        self.cache.pop(row.id, None)

    def drop(self, listing_id: int) -> None:
        self.rows.pop(listing_id, None)
        self.cache.pop(listing_id, None)


class Subcategories:
    """Subcategory codes → small ints shared by both sides; none or "other" is the wildcard 0."""

    def __init__(self, seed: Mapping[str, int] | None = None) -> None:
        # Seeded with the taxonomy's fixed codes, which the closeness groups of the config use.
        self.codes: dict[str, int] = dict(default_codes() if seed is None else seed)

    def __call__(self, code: str | None) -> int:
        if code is None or code == "" or code == "other":
            return 0
        found = self.codes.get(code)
        if found is None:  # unknown to the taxonomy (renamed since): a fresh int after the known ones
            found = self.codes[code] = max(self.codes.values(), default=0) + 1
        return found

    def column(self, codes: tuple[Any, ...]) -> np.ndarray[Any, Any]:
        """The codes of a column, coded in order of first appearance (as row by row)."""
        coded = {code: self(code) for code in dict.fromkeys(codes)}
        return np.fromiter(map(coded.__getitem__, codes), dtype=np.int64, count=len(codes))

    def coded(self, rows: list[ListingRow]) -> list[ListingRow]:
        """The rows with their subcategory coded, as the core reads them."""
        return [r._replace(subcategory=self(r.subcategory)) for r in rows]


def _floats(values: Iterable[Any]) -> np.ndarray[Any, Any]:
    return np.asarray([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _days(values: Iterable[Any]) -> np.ndarray[Any, Any]:
    return np.asarray([math.nan if v is None else float(v.toordinal()) for v in values], dtype=np.float64)


def arrays_from_rows(rows: list[ListingRow], subs: Subcategories | None = None) -> ListingArrays:
    """`ListingArrays.from_rows` for coded rows, column by column (several times faster).

    With `subs`, the rows are as read and their subcategories are coded on the way, column-wise.
    """
    if not rows:
        return ListingArrays.from_rows([])
    cols: dict[str, tuple[Any, ...]] = dict(zip(ListingRow._fields, zip(*rows, strict=True), strict=True))
    sub = cols["subcategory"]
    return ListingArrays(
        id=np.asarray(cols["id"], dtype=np.int64),
        kind=np.asarray([OFFER if k in ("offer", OFFER) else NEED for k in cols["kind"]], dtype=np.int8),
        category=np.asarray(cols["category"], dtype=str),
        subcategory=np.asarray(sub, dtype=np.int64) if subs is None else subs.column(sub),
        owner=np.asarray(cols["owner_id"], dtype=np.int64),
        territory=np.asarray(cols["territory_id"], dtype=np.int64),
        lat=_floats(cols["latitude"]),
        lon=_floats(cols["longitude"]),
        available_from=_days(cols["available_from"]),
        available_until=_days(cols["available_until"]),
        quantity=_floats(cols["quantity"]),
        inexhaustible=np.asarray([bool(v) for v in cols["inexhaustible"]], dtype=bool),
        remote_possible=np.asarray([bool(v) for v in cols["remote_possible"]], dtype=bool),
        max_distance_km=_floats(cols["max_distance_km"]),
    )
