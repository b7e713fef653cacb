"""Pure matching rules: configuration, listing columns, hard filters and the soft score.

Nothing here knows about Flask or the database: listings arrive as numpy columns
(`ListingArrays`), built by the DB layer from plain row tuples.

Hard filters (a pair failing any of them is never suggested):
- opposite kinds (the engine always pairs an offer with a need) and the same category;
- compatible subcategory: equal codes, or one side has none / "other" (code `NO_SUBCATEGORY`);
- overlapping availability windows, an open end (NaN) reaching infinitely far;
- a quantity that can be met: offer quantity >= need quantity, unless the offer is inexhaustible
  or either quantity is unspecified (NaN);
- distance: each listing imposes its own maximum distance (its `max_distance_km`, or the
  configured default when NaN), EXCEPT a listing marked remote-possible, which imposes none.
  A pair passes when its distance is within the minimum of the limits its two sides impose.
  So the distance filter disappears only when BOTH sides accept remote work; when only one side
  does, the other side's radius still applies (it never agreed to remote work). A pair where both
  sides accept remote work is a *remote pair* and decays with `remote_decay_km`;
- not the same owner, and both listings have coordinates (NaN latitude or longitude ⇒ never matched).

Soft score in [0, 1] (the weights sum to at most 1 and every factor lies in [0, 1]):
  weight_subcategory  * (1 for the same subcategory, `subcategory_wildcard_factor` otherwise)
+ weight_distance     * exp(-distance / decay_km[category])   (remote pairs: remote_decay_km)
+ weight_window       * share of the need's window covered by the offer's
+ weight_quantity     * need quantity / offer quantity (1 if inexhaustible, a factor if unspecified)
+ weight_cooperation  * (1 if the two territories already cooperated successfully)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .geo import great_circle_from_parts, trig_parts

OFFER = 0
NEED = 1
NO_SUBCATEGORY = 0  # none or "other": compatible with every subcategory of the category

DEFAULT_DECAY_KM = MappingProxyType({"equipment": 50.0, "service": 100.0, "skill": 300.0, "know_how": 1500.0})


@dataclass(frozen=True)
class MatchingConfig:
    """Tuning of the matching engine; `config/matching.toml` carries the same keys and defaults."""

    weight_subcategory: float = 0.35
    weight_distance: float = 0.35
    weight_window: float = 0.15
    weight_quantity: float = 0.10
    weight_cooperation: float = 0.05
    # A listing without a precise subcategory is a weaker match than an exact one.
    subcategory_wildcard_factor: float = 0.5
    # An unspecified quantity might or might not fit: halfway between "no fit" and "perfect".
    quantity_unspecified_factor: float = 0.5
    # Share credited when an open-ended need window is only partly covered by a bounded offer.
    window_open_partial_factor: float = 0.5
    decay_km: Mapping[str, float] = field(default_factory=lambda: DEFAULT_DECAY_KM)
    # Remote pairs hardly care about distance, but a nearby partner still wins a tie.
    remote_decay_km: float = 5000.0
    default_max_distance_km: float = 100.0
    top_k: int = 10
    min_score: float = 0.2
    notify_score: float = 0.6

    _WEIGHTS = (
        "weight_subcategory",
        "weight_distance",
        "weight_window",
        "weight_quantity",
        "weight_cooperation",
    )
    _FACTORS = ("subcategory_wildcard_factor", "quantity_unspecified_factor", "window_open_partial_factor")

    def __post_init__(self) -> None:
        object.__setattr__(self, "decay_km", MappingProxyType(dict(self.decay_km)))
        errors = []
        for name in (*self._WEIGHTS, *self._FACTORS, "min_score", "notify_score"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
                errors.append(f"{name} must be a number between 0 and 1, got {value!r}")
        if not errors and sum(getattr(self, n) for n in self._WEIGHTS) > 1.0 + 1e-9:
            errors.append("the weights must sum to at most 1 so that scores stay within [0, 1]")
        for name in ("remote_decay_km", "default_max_distance_km"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
                errors.append(f"{name} must be a positive number of km, got {value!r}")
        if not self.decay_km:
            errors.append("decay_km must list at least one category")
        for category, km in self.decay_km.items():
            if not isinstance(km, int | float) or isinstance(km, bool) or not km > 0:
                errors.append(f"decay_km.{category} must be a positive number of km, got {km!r}")
        if not isinstance(self.top_k, int) or isinstance(self.top_k, bool) or self.top_k < 1:
            errors.append(f"top_k must be a positive integer, got {self.top_k!r}")
        if errors:
            raise ValueError("invalid matching configuration: " + "; ".join(errors))

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> MatchingConfig:
        """Build from a settings mapping (the `[matching]` table); unknown keys are refused."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown matching setting(s): {', '.join(unknown)}; "
                f"known settings are: {', '.join(sorted(known))}"
            )
        kwargs = dict(values)
        if "decay_km" in kwargs:
            decay = kwargs["decay_km"]
            if not isinstance(decay, Mapping):
                raise ValueError("decay_km must be a table of category = km")
            kwargs["decay_km"] = {**DEFAULT_DECAY_KM, **decay}
        return cls(**kwargs)

    def decay_for(self, category: str) -> float:
        try:
            return float(self.decay_km[category])
        except KeyError:
            raise ValueError(f"no distance decay configured for category {category!r}") from None


# ---------------------------------------------------------------------------------------------
# Listings as columns


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
_KINDS = {"offer": OFFER, "need": NEED, OFFER: OFFER, NEED: NEED}


def _number(value) -> float:
    """None, NaN, a date or a number → float (NaN means open / unspecified)."""
    if value is None:
        return math.nan
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float(value.toordinal())
    return float(value)


@dataclass(frozen=True)
class _Derived:
    window_lo: np.ndarray  # available_from, open = -inf
    window_hi: np.ndarray  # available_until, open = +inf
    window_bounded: np.ndarray
    quantity_unspecified: np.ndarray
    sin_lat: np.ndarray
    cos_lat: np.ndarray
    lon_rad: np.ndarray


@dataclass(frozen=True, eq=False)
class ListingArrays:
    """Listings as numpy columns, one row per listing.

    Dates are day ordinals (`date.toordinal()`), NaN meaning an open end; quantity NaN means
    unspecified; max_distance_km NaN means the configured default; lat/lon NaN means no
    coordinates (such a listing is never matched).
    """

    id: np.ndarray  # int64
    kind: np.ndarray  # int8: OFFER or NEED
    category: np.ndarray  # str
    subcategory: np.ndarray  # int64, NO_SUBCATEGORY for none / "other"
    owner: np.ndarray  # int64: same owner ⇒ never matched
    territory: np.ndarray  # int64
    lat: np.ndarray  # float64 degrees
    lon: np.ndarray  # float64 degrees
    available_from: np.ndarray  # float64 day ordinal
    available_until: np.ndarray  # float64 day ordinal
    quantity: np.ndarray  # float64
    inexhaustible: np.ndarray  # bool
    remote_possible: np.ndarray  # bool
    max_distance_km: np.ndarray  # float64

    def __len__(self) -> int:
        return int(self.id.shape[0])

    @functools.cached_property
    def derived(self) -> _Derived:
        """Per-listing columns the scorer needs, computed once rather than once per pair."""
        sin_lat, cos_lat, lon_rad = trig_parts(self.lat, self.lon)
        return _Derived(
            window_lo=np.where(np.isnan(self.available_from), -np.inf, self.available_from),
            window_hi=np.where(np.isnan(self.available_until), np.inf, self.available_until),
            window_bounded=~(np.isnan(self.available_from) | np.isnan(self.available_until)),
            quantity_unspecified=np.isnan(self.quantity),
            sin_lat=sin_lat,
            cos_lat=cos_lat,
            lon_rad=lon_rad,
        )

    def radius_km(self, cfg: MatchingConfig) -> np.ndarray:
        """`effective_radius_km`, cached per default radius."""
        cache = self.__dict__.setdefault("_radius_cache", {})
        key = cfg.default_max_distance_km
        if key not in cache:
            cache[key] = effective_radius_km(self, cfg)
        return cache[key]

    @classmethod
    def from_rows(cls, rows: Iterable[Listing | Mapping | tuple]) -> ListingArrays:
        """Build from `Listing`s, dicts keyed like `Listing`, or tuples in `LISTING_FIELDS` order."""
        listings = [_as_listing(row) for row in rows]
        columns = {name: [getattr(item, name) for item in listings] for name in LISTING_FIELDS}
        return cls(
            id=np.asarray(columns["id"], dtype=np.int64),
            kind=np.asarray([_KINDS[k] for k in columns["kind"]], dtype=np.int8),
            category=np.asarray(columns["category"], dtype=str) if listings else np.empty(0, dtype=str),
            subcategory=np.asarray(
                [NO_SUBCATEGORY if s is None else int(s) for s in columns["subcategory"]], dtype=np.int64
            ),
            owner=np.asarray(columns["owner"], dtype=np.int64),
            territory=np.asarray(columns["territory"], dtype=np.int64),
            **{
                name: np.asarray([_number(v) for v in columns[name]], dtype=np.float64)
                for name in ("lat", "lon", "available_from", "available_until", "quantity", "max_distance_km")
            },
            inexhaustible=np.asarray([bool(v) for v in columns["inexhaustible"]], dtype=bool),
            remote_possible=np.asarray([bool(v) for v in columns["remote_possible"]], dtype=bool),
        )

    def take(self, index) -> ListingArrays:
        """The rows at `index` (an integer array or a boolean mask), as a new ListingArrays."""
        return ListingArrays(**{name: getattr(self, name)[index] for name in LISTING_FIELDS})

    def row(self, i: int) -> Listing:
        values = {name: getattr(self, name)[i] for name in LISTING_FIELDS}
        return Listing(
            **{
                **{k: float(v) for k, v in values.items() if k != "category"},
                "id": int(values["id"]),
                "kind": int(values["kind"]),
                "category": str(values["category"]),
                "subcategory": int(values["subcategory"]),
                "owner": int(values["owner"]),
                "territory": int(values["territory"]),
                "inexhaustible": bool(values["inexhaustible"]),
                "remote_possible": bool(values["remote_possible"]),
            }
        )

    @staticmethod
    def concat(parts: Iterable[ListingArrays]) -> ListingArrays:
        parts = list(parts)
        return ListingArrays(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in LISTING_FIELDS})


def _as_listing(row) -> Listing:
    if isinstance(row, Listing):
        return row
    if isinstance(row, Mapping):
        return Listing(**row)
    return Listing(*row)


def effective_radius_km(arrays: ListingArrays, cfg: MatchingConfig) -> np.ndarray:
    """The distance limit each listing imposes: inf when remote is possible, else its own or the default."""
    radius = np.where(np.isnan(arrays.max_distance_km), cfg.default_max_distance_km, arrays.max_distance_km)
    return np.where(arrays.remote_possible, np.inf, radius)


# ---------------------------------------------------------------------------------------------
# Cooperation between territories


def cooperation_keys(pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """Sorted int64 keys of unordered territory pairs that already cooperated successfully."""
    keys = {_pair_key(int(a), int(b)) for a, b in pairs}
    return np.asarray(sorted(keys), dtype=np.int64)


def _pair_key(a, b):
    # Territory ids fit in 31 bits, so (low, high) packs into one int64 without collision.
    low, high = np.minimum(a, b), np.maximum(a, b)
    return (np.asarray(low, dtype=np.int64) << 32) | np.asarray(high, dtype=np.int64)


def cooperated(terr_a, terr_b, keys: np.ndarray | None) -> np.ndarray:
    """Vectorised membership of territory pairs in `cooperation_keys`."""
    terr_a = np.asarray(terr_a, dtype=np.int64)
    if keys is None or keys.shape[0] == 0:
        return np.zeros(np.broadcast(terr_a, np.asarray(terr_b)).shape, dtype=bool)
    key = _pair_key(terr_a, np.asarray(terr_b, dtype=np.int64))
    pos = np.minimum(np.searchsorted(keys, key), keys.shape[0] - 1)
    return keys[pos] == key


# ---------------------------------------------------------------------------------------------
# Vectorised hard filters and score


def pair_distance_km(a: ListingArrays, ia: np.ndarray, b: ListingArrays, ib: np.ndarray) -> np.ndarray:
    """Great-circle km between a[ia] and b[ib], from per-listing trigonometry computed once."""
    pa, pb = a.derived, b.derived
    return great_circle_from_parts(
        pa.sin_lat[ia], pa.cos_lat[ia], pa.lon_rad[ia], pb.sin_lat[ib], pb.cos_lat[ib], pb.lon_rad[ib]
    )


def pair_scores(
    offers: ListingArrays,
    oi: np.ndarray,
    needs: ListingArrays,
    ni: np.ndarray,
    distance_km: np.ndarray,
    cfg: MatchingConfig,
    coop_keys: np.ndarray | None = None,
    decay_km: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and hard-filter mask for the pairs (offers[oi[j]], needs[ni[j]]) at `distance_km[j]`.

    Returns `(score, valid)`; `score` is NaN where `valid` is False. Passing `decay_km`
    states that every pair shares one category (the engine groups by category), which skips the
    category comparison; otherwise categories are compared and decays looked up per pair.
    Kinds are not checked here: callers pass offers and needs separately.
    """
    po, pn = offers.derived, needs.derived
    o_sub, n_sub = offers.subcategory[oi], needs.subcategory[ni]
    o_remote, n_remote = offers.remote_possible[oi], needs.remote_possible[ni]
    o_lo, o_hi = po.window_lo[oi], po.window_hi[oi]
    n_lo, n_hi = pn.window_lo[ni], pn.window_hi[ni]
    o_qty, n_qty = offers.quantity[oi], needs.quantity[ni]
    o_inex = offers.inexhaustible[oi]
    d = np.asarray(distance_km, dtype=np.float64)

    same_sub = (o_sub == n_sub) & (o_sub != NO_SUBCATEGORY)
    # Two listings filed under "other" are merely compatible, not the same subcategory.
    sub_ok = (o_sub == n_sub) | (o_sub == NO_SUBCATEGORY) | (n_sub == NO_SUBCATEGORY)
    lo, hi = np.fmax(o_lo, n_lo), np.fmin(o_hi, n_hi)
    qty_unspecified = po.quantity_unspecified[oi] | pn.quantity_unspecified[ni]
    with np.errstate(invalid="ignore"):
        qty_ok = o_inex | qty_unspecified | (o_qty >= n_qty)
    # NaN coordinates give a NaN distance, which fails `d <= radius`.
    radius = np.minimum(offers.radius_km(cfg)[oi], needs.radius_km(cfg)[ni])
    valid = sub_ok & (lo <= hi) & qty_ok & (d <= radius) & (offers.owner[oi] != needs.owner[ni])
    if decay_km is None:
        o_cat = offers.category[oi]
        valid &= o_cat == needs.category[ni]

    # Score only the pairs that passed: hard filters usually drop most fetched neighbours.
    v = np.flatnonzero(valid)
    oi_v, ni_v = oi[v], ni[v]
    o_lo, o_hi, n_lo, n_hi, lo, hi = o_lo[v], o_hi[v], n_lo[v], n_hi[v], lo[v], hi[v]
    o_inex, o_qty, n_qty, qty_unspecified = o_inex[v], o_qty[v], n_qty[v], qty_unspecified[v]
    if decay_km is None:
        names, code = np.unique(o_cat[v], return_inverse=True)
        scale = np.asarray([cfg.decay_for(str(c)) for c in names], dtype=np.float64)[code.ravel()]
    else:
        scale = np.float64(decay_km)
    scale = np.where(o_remote[v] & n_remote[v], cfg.remote_decay_km, scale)

    covers = (o_lo <= n_lo) & (o_hi >= n_hi)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        share = (hi - lo + 1.0) / (n_hi - n_lo + 1.0)
        window = np.where(
            covers, 1.0, np.where(pn.window_bounded[ni_v], share, cfg.window_open_partial_factor)
        )
        ratio = np.where(o_qty > 0, n_qty / o_qty, 1.0)
    quantity = np.where(o_inex, 1.0, np.where(qty_unspecified, cfg.quantity_unspecified_factor, ratio))
    subcat = np.where(same_sub[v], 1.0, cfg.subcategory_wildcard_factor)
    coop = cooperated(offers.territory[oi_v], needs.territory[ni_v], coop_keys)

    score = np.full(valid.shape, np.nan)
    score[v] = (
        cfg.weight_subcategory * subcat
        + cfg.weight_distance * np.exp(-d[v] / scale)
        + cfg.weight_window * window
        + cfg.weight_quantity * quantity
        + cfg.weight_cooperation * coop
    )
    return score, valid


# ---------------------------------------------------------------------------------------------
# Explanation of one pair


@dataclass(frozen=True)
class Contribution:
    criterion: str
    value: float
    message_fr: str
    message_en: str


def _fmt_en(value: float) -> str:
    return f"{value:+.2f}"


def _fmt_fr(value: float) -> str:
    return _fmt_en(value).replace(".", ",").replace("-", "−")


def explain(
    offer_row: Listing | Mapping,
    need_row: Listing | Mapping,
    distance_km: float,
    cfg: MatchingConfig,
    cooperated: bool = False,
) -> list[Contribution]:
    """Breakdown of one pair's score; the values sum to the score of `pair_scores` (to 1e-12).

    Written with scalar arithmetic on purpose, so that tests can cross-check the vectorised scorer.
    The pair is assumed to pass the hard filters.
    """
    o, n = _as_listing(offer_row), _as_listing(need_row)
    parts: list[Contribution] = []

    if o.subcategory == n.subcategory != NO_SUBCATEGORY:
        v = cfg.weight_subcategory
        fr, en = "même sous-catégorie", "same subcategory"
    else:
        v = cfg.weight_subcategory * cfg.subcategory_wildcard_factor
        fr, en = "sous-catégorie compatible", "compatible subcategory"
    parts.append(Contribution("subcategory", v, f"{fr} {_fmt_fr(v)}", f"{en} {_fmt_en(v)}"))

    remote = o.remote_possible and n.remote_possible
    scale = cfg.remote_decay_km if remote else cfg.decay_for(o.category)
    v = cfg.weight_distance * math.exp(-float(distance_km) / scale)
    km = f"{distance_km:.0f} km" if distance_km >= 1 else "< 1 km"
    parts.append(
        Contribution(
            "distance",
            v,
            f"{km}{' (à distance)' if remote else ''} {_fmt_fr(v)}",
            f"{km}{' (remote)' if remote else ''} {_fmt_en(v)}",
        )
    )

    inf = math.inf
    of = -inf if math.isnan(_number(o.available_from)) else _number(o.available_from)
    ou = inf if math.isnan(_number(o.available_until)) else _number(o.available_until)
    nf = -inf if math.isnan(_number(n.available_from)) else _number(n.available_from)
    nu = inf if math.isnan(_number(n.available_until)) else _number(n.available_until)
    if of <= nf and ou >= nu:
        share = 1.0
    elif math.isfinite(nf) and math.isfinite(nu):
        share = (min(ou, nu) - max(of, nf) + 1.0) / (nu - nf + 1.0)
    else:
        share = cfg.window_open_partial_factor
    v = cfg.weight_window * share
    pct = f"{share * 100:.0f}"
    parts.append(
        Contribution(
            "window",
            v,
            f"disponibilité couverte à {pct} % {_fmt_fr(v)}",
            f"availability {pct}% covered {_fmt_en(v)}",
        )
    )

    oq, nq = _number(o.quantity), _number(n.quantity)
    if o.inexhaustible:
        fit, fr, en = 1.0, "ressource inépuisable", "inexhaustible resource"
    elif math.isnan(oq) or math.isnan(nq):
        fit, fr, en = cfg.quantity_unspecified_factor, "quantité non précisée", "quantity not specified"
    else:
        fit = nq / oq if oq > 0 else 1.0
        fr, en = f"quantité ajustée à {fit * 100:.0f} %", f"quantity fit {fit * 100:.0f}%"
    v = cfg.weight_quantity * fit
    parts.append(Contribution("quantity", v, f"{fr} {_fmt_fr(v)}", f"{en} {_fmt_en(v)}"))

    if cooperated:
        v = cfg.weight_cooperation
        parts.append(
            Contribution(
                "cooperation",
                v,
                f"territoires ayant déjà coopéré {_fmt_fr(v)}",
                f"territories already cooperated {_fmt_en(v)}",
            )
        )
    return parts
