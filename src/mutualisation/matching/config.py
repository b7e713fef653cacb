"""Tuning of the matching engine (pure): weights, factors, distances, top-k and thresholds.

The `[matching]` table of `config/default.toml` holds the defaults (read through `defaults.py`);
`MatchingConfig.from_mapping` reads a configured table and refuses unknown keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from ..defaults import default_section
from . import closeness

# The defaults are those of `[matching]` in config/default.toml: written once, there.
_DEFAULTS = default_section("matching")
DEFAULT_DECAY_KM: Mapping[str, float] = MappingProxyType(dict(_DEFAULTS["decay_km"]))
DEFAULT_RADIUS_KM: Mapping[str, float] = MappingProxyType(dict(_DEFAULTS["default_radius_km"]))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class MatchingConfig:
    """Tuning of the matching engine; its defaults are `[matching]` in `config/default.toml`."""

    weight_subcategory: float = _DEFAULTS["weight_subcategory"]
    weight_distance: float = _DEFAULTS["weight_distance"]
    weight_window: float = _DEFAULTS["weight_window"]
    weight_quantity: float = _DEFAULTS["weight_quantity"]
    weight_cooperation: float = _DEFAULTS["weight_cooperation"]
    # A listing without a precise subcategory is a weaker match than an exact one.
    subcategory_wildcard_factor: float = _DEFAULTS["subcategory_wildcard_factor"]
    # An unspecified quantity might or might not fit: halfway between "no fit" and "perfect".
    quantity_unspecified_factor: float = _DEFAULTS["quantity_unspecified_factor"]
    # Share credited when an open-ended need window is only partly covered by a bounded offer.
    window_open_partial_factor: float = _DEFAULTS["window_open_partial_factor"]
    decay_km: Mapping[str, float] = field(default_factory=lambda: DEFAULT_DECAY_KM)
    # Remote pairs hardly care about distance, but a nearby partner still wins a tie.
    remote_decay_km: float = _DEFAULTS["remote_decay_km"]
    default_max_distance_km: float = _DEFAULTS["default_max_distance_km"]
    # Radius of a listing that gives none, per category (equipment travels less than know-how);
    # a category missing here falls back on `default_max_distance_km`.
    default_radius_km: Mapping[str, float] = field(default_factory=lambda: DEFAULT_RADIUS_KM)
    # Closeness groups (see `closeness`): subcategory int → bitmask of its groups, by default the
    # taxonomy's, coded like `rows.Subcategories`; a close pair earns `subcategory_close_factor`.
    subcategory_groups: Mapping[int, int] = field(default_factory=closeness.default_groups)
    subcategory_close_factor: float = field(default_factory=closeness.default_close_factor)
    top_k: int = _DEFAULTS["top_k"]
    min_score: float = _DEFAULTS["min_score"]
    notify_score: float = _DEFAULTS["notify_score"]

    _WEIGHTS: ClassVar[tuple[str, ...]] = (
        "weight_subcategory",
        "weight_distance",
        "weight_window",
        "weight_quantity",
        "weight_cooperation",
    )
    _FACTORS: ClassVar[tuple[str, ...]] = (
        "subcategory_wildcard_factor",
        "quantity_unspecified_factor",
        "window_open_partial_factor",
        "subcategory_close_factor",
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "decay_km", MappingProxyType(dict(self.decay_km)))
        object.__setattr__(self, "default_radius_km", MappingProxyType(dict(self.default_radius_km)))
        groups = {int(k): int(v) for k, v in self.subcategory_groups.items()}
        object.__setattr__(self, "subcategory_groups", MappingProxyType(groups))
        table = np.zeros(max(groups, default=0) + 1, dtype=np.int64)
        table[list(groups)] = list(groups.values())
        object.__setattr__(self, "_group_table", table)
        errors = [*self._share_errors(), *self._distance_errors()]
        if not isinstance(self.top_k, int) or isinstance(self.top_k, bool) or self.top_k < 1:
            errors.append(f"top_k must be a positive integer, got {self.top_k!r}")
        if errors:
            raise ValueError("invalid matching configuration: " + "; ".join(errors))

    def _share_errors(self) -> list[str]:
        errors = []
        for name in (*self._WEIGHTS, *self._FACTORS, "min_score", "notify_score"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                errors.append(f"{name} must be a number between 0 and 1, got {value!r}")
        if not errors and sum(getattr(self, n) for n in self._WEIGHTS) > 1.0 + 1e-9:
            errors.append("the weights must sum to at most 1 so that scores stay within [0, 1]")
        return errors

    def _distance_errors(self) -> list[str]:
        errors = []
        for name in ("remote_decay_km", "default_max_distance_km"):
            value = getattr(self, name)
            if not _is_number(value) or not value > 0:
                errors.append(f"{name} must be a positive number of km, got {value!r}")
        if not self.decay_km:
            errors.append("decay_km must list at least one category")
        for table in ("decay_km", "default_radius_km"):
            for category, km in getattr(self, table).items():
                if not _is_number(km) or not km > 0:
                    errors.append(f"{table}.{category} must be a positive number of km, got {km!r}")
        return errors

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
        kwargs: dict[str, Any] = dict(values)
        for name, defaults in (("decay_km", DEFAULT_DECAY_KM), ("default_radius_km", DEFAULT_RADIUS_KM)):
            if name in kwargs:
                table = kwargs[name]
                if not isinstance(table, Mapping):
                    raise ValueError(f"{name} must be a table of category = km")
                kwargs[name] = {**defaults, **table}
        return cls(**kwargs)

    def radius_for(self, category: str) -> float:
        """The radius of a listing of `category` that gives no maximum distance."""
        return float(self.default_radius_km.get(category, self.default_max_distance_km))

    def groups_of(self, subcategory: Any) -> Any:
        """Vectorised closeness bitmasks of subcategory ints (0 for a code in no group)."""
        table: np.ndarray[Any, Any] = self._group_table  # type: ignore[attr-defined]
        sub = np.asarray(subcategory, dtype=np.int64)
        inside = (sub >= 0) & (sub < table.shape[0])
        return np.where(inside, table[np.where(inside, sub, 0)], 0)

    def close(self, sub_a: Any, sub_b: Any) -> Any:
        """Whether subcategories are close: different, and sharing a closeness group."""
        a, b = np.asarray(sub_a, dtype=np.int64), np.asarray(sub_b, dtype=np.int64)
        return (a != b) & ((self.groups_of(a) & self.groups_of(b)) != 0)

    def close_to(self, sub: int) -> list[int]:
        """The subcategory ints close to `sub`, ascending."""
        mine = int(self.groups_of(sub))
        return sorted(c for c, m in self.subcategory_groups.items() if c != sub and m & mine)

    def decay_for(self, category: str) -> float:
        try:
            return float(self.decay_km[category])
        except KeyError:
            raise ValueError(f"no distance decay configured for category {category!r}") from None
