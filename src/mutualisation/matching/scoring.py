"""Pure matching rules: configuration, listing columns, hard filters and the soft score.

Nothing here knows about Flask or the database: listings arrive as numpy columns
(`ListingArrays`), built by the DB layer from plain row tuples.

Hard filters (a pair failing any of them is never suggested):
- opposite kinds (the engine always pairs an offer with a need) and the same category;
- compatible subcategory: equal codes, close codes (sharing a closeness group of the taxonomy,
  `MatchingConfig.subcategory_groups`), or one side has none / "other" (code `NO_SUBCATEGORY`);
- overlapping availability windows, an open end (NaN) reaching infinitely far;
- a quantity that can be met: offer quantity >= need quantity, unless the offer is inexhaustible
  or either quantity is unspecified (NaN);
- distance: each listing imposes its own maximum distance (its `max_distance_km`, or the
  default radius of its category, `default_radius_km`, when NaN), EXCEPT a listing marked
  remote-possible, which imposes none.
  A pair passes when its distance is within the minimum of the limits its two sides impose.
  So the distance filter disappears only when BOTH sides accept remote work; when only one side
  does, the other side's radius still applies (it never agreed to remote work). A pair where both
  sides accept remote work is a *remote pair* and decays with `remote_decay_km`;
- not the same owner, and both listings have coordinates (NaN latitude or longitude ⇒ never matched).

Soft score in [0, 1] (the weights sum to at most 1 and every factor lies in [0, 1]):
  weight_subcategory  * (1 for the same subcategory, `subcategory_close_factor` for a close one,
                         `subcategory_wildcard_factor` otherwise)
+ weight_distance     * exp(-distance / decay_km[category])   (remote pairs: remote_decay_km)
+ weight_window       * share of the need's window covered by the offer's
+ weight_quantity     * need quantity / offer quantity (1 if inexhaustible, a factor if unspecified)
+ weight_cooperation  * (1 if the two territories already cooperated successfully)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..geo import great_circle_from_parts
from .arrays import (
    LISTING_FIELDS,
    NEED,
    NO_SUBCATEGORY,
    OFFER,
    Array,
    Listing,
    ListingArrays,
    effective_radius_km,
)
from .config import DEFAULT_DECAY_KM, MatchingConfig

__all__ = [
    "DEFAULT_DECAY_KM",
    "LISTING_FIELDS",
    "NEED",
    "NO_SUBCATEGORY",
    "OFFER",
    "Components",
    "FilterMasks",
    "Listing",
    "ListingArrays",
    "MatchingConfig",
    "coop_territories",
    "cooperated",
    "cooperation_keys",
    "effective_radius_km",
    "filter_masks",
    "pair_components",
    "pair_distance_km",
    "pair_scores",
    "subcategory_factor",
]


# ---------------------------------------------------------------------------------------------
# Cooperation between territories


def cooperation_keys(pairs: Iterable[tuple[int, int]]) -> Array:
    """Sorted int64 keys of unordered territory pairs that already cooperated successfully."""
    keys = {_pair_key(int(a), int(b)) for a, b in pairs}
    return np.asarray(sorted(keys), dtype=np.int64)


def _pair_key(a: Any, b: Any) -> Any:
    # Territory ids fit in 31 bits, so (low, high) packs into one int64 without collision.
    low, high = np.minimum(a, b), np.maximum(a, b)
    return (np.asarray(low, dtype=np.int64) << 32) | np.asarray(high, dtype=np.int64)


def cooperated(terr_a: Any, terr_b: Any, keys: Array | None) -> Array:
    """Vectorised membership of territory pairs in `cooperation_keys`."""
    terr_a = np.asarray(terr_a, dtype=np.int64)
    if keys is None or keys.shape[0] == 0:
        return np.zeros(np.broadcast(terr_a, np.asarray(terr_b)).shape, dtype=bool)
    key = _pair_key(terr_a, np.asarray(terr_b, dtype=np.int64))
    pos = np.minimum(np.searchsorted(keys, key), keys.shape[0] - 1)
    found: Array = keys[pos] == key
    return found


def coop_territories(keys: Array) -> Array:
    """The territories appearing in `cooperation_keys`, sorted."""
    return np.unique(np.concatenate([keys >> 32, keys & 0xFFFFFFFF])) if keys.size else keys


# ---------------------------------------------------------------------------------------------
# The score's components: computed once, summed by `pair_scores`, named by the breakdown


def pair_distance_km(a: ListingArrays, ia: Array, b: ListingArrays, ib: Array) -> Array:
    """Great-circle km between a[ia] and b[ib], from per-listing trigonometry computed once."""
    pa, pb = a.derived, b.derived
    return great_circle_from_parts(
        pa.sin_lat[ia], pa.cos_lat[ia], pa.lon_rad[ia], pb.sin_lat[ib], pb.cos_lat[ib], pb.lon_rad[ib]
    )


def subcategory_factor(same: Array, close: Array, cfg: MatchingConfig) -> Array:
    """The subcategory's share of its weight: 1 for the same, the close factor, else the wildcard's."""
    factor: Array = np.where(
        same, 1.0, np.where(close, cfg.subcategory_close_factor, cfg.subcategory_wildcard_factor)
    )
    return factor


@dataclass(frozen=True)
class Components:
    """Each pair's factors (every one in [0, 1]) and the facts the breakdown names.

    The one place where the score's formula lives: `pair_scores` sums `weighted` and the
    breakdown (`breakdown.compact_json`, `breakdown.explain`) shows the same values.
    """

    same_subcategory: Array  # bool: equal codes, neither being the wildcard
    close_subcategory: Array  # bool: different codes sharing a closeness group
    remote: Array  # bool: both sides accept remote work (the slow remote decay applies)
    distance: Array  # exp(-km / decay)
    window: Array  # share of the need's window the offer covers
    inexhaustible: Array  # bool: the offer never runs out
    quantity_unspecified: Array  # bool: either quantity is unknown
    quantity: Array  # need quantity / offer quantity, or the factor / 1 above
    cooperated: Array  # bool: the two territories already cooperated successfully

    def weighted(self, cfg: MatchingConfig) -> tuple[Array, Array, Array, Array, Array]:
        """(subcategory, distance, window, quantity, cooperation) contributions to the score."""
        return (
            cfg.weight_subcategory * subcategory_factor(self.same_subcategory, self.close_subcategory, cfg),
            cfg.weight_distance * self.distance,
            cfg.weight_window * self.window,
            cfg.weight_quantity * self.quantity,
            cfg.weight_cooperation * self.cooperated,
        )

    def score(self, cfg: MatchingConfig) -> Array:
        subcategory, distance, window, quantity, cooperation = self.weighted(cfg)
        return subcategory + distance + window + quantity + cooperation


def _decay_scale(
    offers: ListingArrays, oi: Array, remote: Array, cfg: MatchingConfig, decay_km: float | None
) -> Any:
    if decay_km is None:
        names, code = np.unique(offers.category[oi], return_inverse=True)
        scale: Any = np.asarray([cfg.decay_for(str(c)) for c in names], dtype=np.float64)[code.ravel()]
    else:
        scale = np.float64(decay_km)
    return np.where(remote, cfg.remote_decay_km, scale)


def _window_share(
    offers: ListingArrays, oi: Array, needs: ListingArrays, ni: Array, cfg: MatchingConfig
) -> Array:
    po, pn = offers.derived, needs.derived
    o_lo, o_hi, n_lo, n_hi = po.window_lo[oi], po.window_hi[oi], pn.window_lo[ni], pn.window_hi[ni]
    lo, hi = np.fmax(o_lo, n_lo), np.fmin(o_hi, n_hi)
    covers = (o_lo <= n_lo) & (o_hi >= n_hi)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        share = (hi - lo + 1.0) / (n_hi - n_lo + 1.0)
        return np.where(covers, 1.0, np.where(pn.window_bounded[ni], share, cfg.window_open_partial_factor))


def pair_components(
    offers: ListingArrays,
    oi: Array,
    needs: ListingArrays,
    ni: Array,
    distance_km: Array,
    cfg: MatchingConfig,
    coop_keys: Array | None = None,
    decay_km: float | None = None,
) -> Components:
    """The components of the pairs (offers[oi[j]], needs[ni[j]]) at `distance_km[j]`.

    The pairs are taken as passing the hard filters. `decay_km` states that every pair shares
    one category; otherwise each pair's decay is looked up from the offer's category.
    """
    remote = offers.remote_possible[oi] & needs.remote_possible[ni]
    scale = _decay_scale(offers, oi, remote, cfg, decay_km)
    o_qty, n_qty = offers.quantity[oi], needs.quantity[ni]
    inexhaustible = offers.inexhaustible[oi]
    unspecified = offers.derived.quantity_unspecified[oi] | needs.derived.quantity_unspecified[ni]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(o_qty > 0, n_qty / o_qty, 1.0)
    o_sub, n_sub = offers.subcategory[oi], needs.subcategory[ni]
    return Components(
        same_subcategory=(o_sub == n_sub) & (o_sub != NO_SUBCATEGORY),
        close_subcategory=cfg.close(o_sub, n_sub),
        remote=remote,
        distance=np.exp(-np.asarray(distance_km, dtype=np.float64) / scale),
        window=_window_share(offers, oi, needs, ni, cfg),
        inexhaustible=inexhaustible,
        quantity_unspecified=unspecified,
        quantity=np.where(inexhaustible, 1.0, np.where(unspecified, cfg.quantity_unspecified_factor, ratio)),
        cooperated=cooperated(offers.territory[oi], needs.territory[ni], coop_keys),
    )


# ---------------------------------------------------------------------------------------------
# Vectorised hard filters and score


@dataclass(frozen=True)
class FilterMasks:
    """Which pairs pass each hard filter other than the category (the absence explainer counts them)."""

    owner: Array  # not the same owner
    subcategory: Array  # equal, close or wildcard subcategory
    window: Array  # overlapping availability windows
    quantity: Array  # a quantity that can be met
    distance: Array  # within the radius both sides impose (NaN coordinates fail)

    def all(self) -> Array:
        passed: Array = self.subcategory & self.window & self.quantity & self.distance & self.owner
        return passed


def subcategories_compatible(sub_a: Array, sub_b: Array, cfg: MatchingConfig) -> Array:
    """The subcategory filter, pair by pair (symmetric): the same, close, or either a wildcard.

    Two listings filed under "other" are merely compatible, not the same subcategory."""
    return (  # type: ignore[no-any-return]
        (sub_a == sub_b) | (sub_a == NO_SUBCATEGORY) | (sub_b == NO_SUBCATEGORY) | cfg.close(sub_a, sub_b)
    )


def filter_masks(
    offers: ListingArrays, oi: Array, needs: ListingArrays, ni: Array, distance_km: Array, cfg: MatchingConfig
) -> FilterMasks:
    """Each hard filter other than the category, pair by pair (see the module's doc)."""
    po, pn = offers.derived, needs.derived
    sub_ok = subcategories_compatible(offers.subcategory[oi], needs.subcategory[ni], cfg)
    overlap = np.fmax(po.window_lo[oi], pn.window_lo[ni]) <= np.fmin(po.window_hi[oi], pn.window_hi[ni])
    qty_unspecified = po.quantity_unspecified[oi] | pn.quantity_unspecified[ni]
    with np.errstate(invalid="ignore"):
        qty_ok = offers.inexhaustible[oi] | qty_unspecified | (offers.quantity[oi] >= needs.quantity[ni])
    # NaN coordinates give a NaN distance, which fails `d <= radius`.
    radius = np.minimum(offers.radius_km(cfg)[oi], needs.radius_km(cfg)[ni])
    d = np.asarray(distance_km, dtype=np.float64)
    return FilterMasks(
        owner=offers.owner[oi] != needs.owner[ni],
        subcategory=sub_ok,
        window=overlap,
        quantity=qty_ok,
        distance=d <= radius,
    )


def hard_filters(
    offers: ListingArrays, oi: Array, needs: ListingArrays, ni: Array, distance_km: Array, cfg: MatchingConfig
) -> Array:
    """Whether each pair passes the hard filters other than the category (see the module's doc)."""
    return filter_masks(offers, oi, needs, ni, distance_km, cfg).all()


def pair_scores(
    offers: ListingArrays,
    oi: Array,
    needs: ListingArrays,
    ni: Array,
    distance_km: Array,
    cfg: MatchingConfig,
    coop_keys: Array | None = None,
    decay_km: float | None = None,
) -> tuple[Array, Array]:
    """Scores and hard-filter mask for the pairs (offers[oi[j]], needs[ni[j]]) at `distance_km[j]`.

    Returns `(score, valid)`; `score` is NaN where `valid` is False. Passing `decay_km`
    states that every pair shares one category (the engine groups by category), which skips the
    category comparison; otherwise categories are compared and decays looked up per pair.
    Kinds are not checked here: callers pass offers and needs separately.
    """
    d = np.asarray(distance_km, dtype=np.float64)
    valid = hard_filters(offers, oi, needs, ni, d, cfg)
    if decay_km is None:
        valid &= offers.category[oi] == needs.category[ni]
    # Score only the pairs that passed: hard filters usually drop most fetched neighbours.
    v = np.flatnonzero(valid)
    parts = pair_components(offers, oi[v], needs, ni[v], d[v], cfg, coop_keys, decay_km)
    score = np.full(valid.shape, np.nan)
    score[v] = parts.score(cfg)
    return score, valid
