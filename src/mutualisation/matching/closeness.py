"""Closeness groups of subcategories, coded as the matching core reads them (pure).

The taxonomy (`config/taxonomy.toml`) puts subcategories in closeness groups: a need for a podium
and an offer of a mobile stage share the group "events". The core compares subcategories as small
ints, so the codes are fixed here once for every process: the taxonomy's subcategory codes, sorted,
numbered from 1 (0 is the wildcard, none or "other"). `rows.Subcategories` starts from these codes,
and `MatchingConfig.subcategory_groups` maps each code to the bitmask of its groups: two different
subcategories are close when their masks share a bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from ..listings.categories import taxonomy
from ..listings.taxonomy import Taxonomy

WILDCARD_CODES = ("", "other")
_MAX_GROUPS = 62  # bits of an int64 mask, the sign bit left alone


def subcategory_codes(tax: Taxonomy) -> dict[str, int]:
    """Each subcategory code of the taxonomy → its int, 1.. in sorted order (codes are unique)."""
    codes = sorted({s.code for c in tax.categories for s in c.subcategories} - set(WILDCARD_CODES))
    return {code: i for i, code in enumerate(codes, start=1)}


def group_masks(tax: Taxonomy, codes: Mapping[str, int]) -> dict[int, int]:
    """Each coded subcategory that belongs to a closeness group → the bitmask of its groups."""
    names = sorted({g for c in tax.categories for s in c.subcategories for g in s.closeness})
    if len(names) > _MAX_GROUPS:
        raise ValueError(f"at most {_MAX_GROUPS} closeness groups are supported, got {len(names)}")
    bit = {name: 1 << i for i, name in enumerate(names)}
    masks: dict[int, int] = {}
    for category in tax.categories:
        for sub in category.subcategories:
            if sub.code in codes and sub.closeness:
                masks[codes[sub.code]] = masks.get(codes[sub.code], 0) | sum(bit[g] for g in sub.closeness)
    return masks


@cache
def default_codes() -> Mapping[str, int]:
    """The codes of the network's taxonomy, fixed for the whole process."""
    return subcategory_codes(taxonomy())


@cache
def default_groups() -> Mapping[int, int]:
    return group_masks(taxonomy(), default_codes())


def default_close_factor() -> float:
    """The taxonomy's `[closeness] same_group`: what a close subcategory earns of the subcategory weight."""
    return taxonomy().same_group_closeness
