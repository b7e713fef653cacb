"""Listings as numpy columns, the shape in which the pure matching core reads them.

Nothing here knows about Flask or the database. `ListingArrays` keeps a private cache of the
per-listing columns the scorer derives (trigonometry, window bounds, radii); `take`, `concat` and
`set_row` keep that cache in step, so that callers never reach into an instance's attributes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..geo import trig_parts, unit_vectors
from .config import MatchingConfig
from .nearby import cos_limit

OFFER = 0
NEED = 1
NO_SUBCATEGORY = 0  # none or "other": compatible with every subcategory of the category

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Listing:
    """One listing as the matching core sees it; also the field order of row tuples."""

    id: int
    kind: int
    category: str
    subcategory: int
    owner: int
    territory: int
    lat: float
    lon: float
    available_from: float = math.nan
    available_until: float = math.nan
    quantity: float = math.nan
    inexhaustible: bool = False
    remote_possible: bool = False
    max_distance_km: float = math.nan


LISTING_FIELDS = tuple(f.name for f in dataclasses.fields(Listing))
_KINDS: dict[str | int, int] = {"offer": OFFER, "need": NEED, OFFER: OFFER, NEED: NEED}
_FLOAT_FIELDS = ("lat", "lon", "available_from", "available_until", "quantity", "max_distance_km")


def to_number(value: object) -> float:
    """None, NaN, a date or a number → float (NaN means open / unspecified)."""
    if value is None:
        return math.nan
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float(value.toordinal())
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Derived:
    """Per-listing columns the scorer needs, computed once rather than once per pair."""

    window_lo: Array  # available_from, open = -inf
    window_hi: Array  # available_until, open = +inf
    window_bounded: Array
    quantity_unspecified: Array
    sin_lat: Array
    cos_lat: Array
    lon_rad: Array

    @classmethod
    def of(cls, arrays: ListingArrays) -> Derived:
        sin_lat, cos_lat, lon_rad = trig_parts(arrays.lat, arrays.lon)
        return cls(
            window_lo=np.where(np.isnan(arrays.available_from), -np.inf, arrays.available_from),
            window_hi=np.where(np.isnan(arrays.available_until), np.inf, arrays.available_until),
            window_bounded=~(np.isnan(arrays.available_from) | np.isnan(arrays.available_until)),
            quantity_unspecified=np.isnan(arrays.quantity),
            sin_lat=sin_lat,
            cos_lat=cos_lat,
            lon_rad=lon_rad,
        )

    def take(self, index: Array) -> Derived:
        return Derived(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})

    @staticmethod
    def concat(parts: list[Derived]) -> Derived:
        names = [f.name for f in dataclasses.fields(Derived)]
        return Derived(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})

    def set_row(self, i: int, other: Derived, j: int = 0) -> None:
        for f in dataclasses.fields(self):
            getattr(self, f.name)[i] = getattr(other, f.name)[j]


@dataclass(frozen=True, eq=False)
class ListingArrays:
    """Listings as numpy columns, one row per listing.

    Dates are day ordinals (`date.toordinal()`), NaN meaning an open end; quantity NaN means
    unspecified; max_distance_km NaN means the configured default; lat/lon NaN means no
    coordinates (such a listing is never matched).
    """

    id: Array  # int64
    kind: Array  # int8: OFFER or NEED
    category: Array  # str
    subcategory: Array  # int64, NO_SUBCATEGORY for none / "other"
    owner: Array  # int64: same owner ⇒ never matched
    territory: Array  # int64
    lat: Array  # float64 degrees
    lon: Array  # float64 degrees
    available_from: Array  # float64 day ordinal
    available_until: Array  # float64 day ordinal
    quantity: Array  # float64
    inexhaustible: Array  # bool
    remote_possible: Array  # bool
    max_distance_km: Array  # float64
    # Derived columns and radii per default radius, computed on demand and carried by take/concat.
    _cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.id.shape[0])

    @property
    def derived(self) -> Derived:
        found = self._cache.get("derived")
        if found is None:
            found = self._cache["derived"] = Derived.of(self)
        return found

    def unit_points(self) -> Array:
        """(n, 3) unit vectors of the positions (`geo.unit_vectors`; NaN without coordinates),
        cached: the incremental update compares a few counterparts with a whole side."""
        found = self._cache.get("points")
        if found is None:
            found = self._cache["points"] = unit_vectors(self.lat, self.lon)
        return found

    def radius_km(self, cfg: MatchingConfig) -> Array:
        """`effective_radius_km`, cached per default radius."""
        return self._radius_entry(cfg)[1]

    def reach_cos(self, cfg: MatchingConfig) -> Array:
        """`nearby.cos_limit` of `radius_km`, cached with it (0.5–0.9 ms for a side of 40,000,
        which every incremental update compared with)."""
        return self._radius_entry(cfg)[2]

    def _radius_entry(self, cfg: MatchingConfig) -> tuple[MatchingConfig, Array, Array]:
        key = ("radius", cfg.default_max_distance_km, tuple(sorted(cfg.default_radius_km.items())))
        if key not in self._cache:
            radius = effective_radius_km(self, cfg)
            self._cache[key] = (cfg, radius, cos_limit(radius))
        return self._cache[key]  # type: ignore[no-any-return]

    @classmethod
    def from_rows(cls, rows: Iterable[Listing | Mapping[str, Any] | tuple[Any, ...]]) -> ListingArrays:
        """Build from `Listing`s, dicts keyed like `Listing`, or tuples in `LISTING_FIELDS` order."""
        listings = [_as_listing(row) for row in rows]
        columns = {name: [getattr(item, name) for item in listings] for name in LISTING_FIELDS}
        floats = {
            name: np.asarray([to_number(v) for v in columns[name]], dtype=np.float64)
            for name in _FLOAT_FIELDS
        }
        return cls(
            id=np.asarray(columns["id"], dtype=np.int64),
            kind=np.asarray([_KINDS[k] for k in columns["kind"]], dtype=np.int8),
            category=np.asarray(columns["category"], dtype=str) if listings else np.empty(0, dtype=str),
            subcategory=np.asarray(
                [NO_SUBCATEGORY if s is None else int(s) for s in columns["subcategory"]], dtype=np.int64
            ),
            owner=np.asarray(columns["owner"], dtype=np.int64),
            territory=np.asarray(columns["territory"], dtype=np.int64),
            inexhaustible=np.asarray([bool(v) for v in columns["inexhaustible"]], dtype=bool),
            remote_possible=np.asarray([bool(v) for v in columns["remote_possible"]], dtype=bool),
            **floats,
        )

    def take(self, index: Array) -> ListingArrays:
        """The rows at `index` (an integer array or a boolean mask), derived columns included."""
        out = ListingArrays(**{name: getattr(self, name)[index] for name in LISTING_FIELDS})
        if "derived" in self._cache:
            out._cache["derived"] = self.derived.take(index)
        if "points" in self._cache:
            out._cache["points"] = self._cache["points"][index]
        return out

    def row(self, i: int) -> Listing:
        return Listing(
            id=int(self.id[i]),
            kind=int(self.kind[i]),
            category=str(self.category[i]),
            subcategory=int(self.subcategory[i]),
            owner=int(self.owner[i]),
            territory=int(self.territory[i]),
            inexhaustible=bool(self.inexhaustible[i]),
            remote_possible=bool(self.remote_possible[i]),
            **{name: float(getattr(self, name)[i]) for name in _FLOAT_FIELDS},
        )

    @staticmethod
    def concat(parts: Iterable[ListingArrays]) -> ListingArrays:
        """The parts one after the other; derived columns are carried when a part has them already."""
        parts = list(parts)
        out = ListingArrays(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in LISTING_FIELDS})
        if any("derived" in p._cache for p in parts if len(p)):
            out._cache["derived"] = Derived.concat([p.derived for p in parts if len(p)])
        if any("points" in p._cache for p in parts if len(p)):
            out._cache["points"] = np.concatenate([p.unit_points() for p in parts if len(p)])
        return out

    def set_row(self, i: int, other: ListingArrays, j: int = 0) -> None:
        """Overwrite row i in place with row j of `other`, keeping the derived columns in step."""
        for name in LISTING_FIELDS:
            getattr(self, name)[i] = getattr(other, name)[j]
        for key, cached in self._cache.items():
            if key == "derived":
                cached.set_row(i, other.derived, j)
            elif key == "points":
                cached[i] = unit_vectors(other.lat[j : j + 1], other.lon[j : j + 1])[0]
            else:  # a radius per configuration: that row's alone (the incremental update patches
                cfg, radius, cos = cached  # one row per update, a whole recompute costs milliseconds)
                radius[i] = effective_radius_km(other.take(np.asarray([j])), cfg)[0]
                cos[i] = cos_limit(radius[i : i + 1])[0]


def _as_listing(row: Listing | Mapping[str, Any] | tuple[Any, ...]) -> Listing:
    if isinstance(row, Listing):
        return row
    if isinstance(row, Mapping):
        return Listing(**dict(row))
    return Listing(*row)


def effective_radius_km(arrays: ListingArrays, cfg: MatchingConfig) -> Array:
    """The distance limit each listing imposes: inf when remote is possible, else its own or the
    default radius of its category."""
    names, code = np.unique(arrays.category, return_inverse=True)
    defaults = np.asarray([cfg.radius_for(str(c)) for c in names], dtype=np.float64)[code.ravel()]
    radius = np.where(np.isnan(arrays.max_distance_km), defaults, arrays.max_distance_km)
    return np.where(arrays.remote_possible, np.inf, radius)
