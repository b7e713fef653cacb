"""Saved searches (alerts): which filters a search keeps, and whether a listing meets them. Pure.

The browse page's filters are the contract: a search saves `kind`, `category`, `subcategory`,
`q`, `near` (an INSEE code) and `radius_km`, and a new listing is announced when the browse page
would show it for those filters. The structured filters are checked here, without a database;
the text filter is the full-text search's, asked of the database by the alerts service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..search_words import query_words

FILTER_KEYS = ("kind", "category", "subcategory", "q", "near", "radius_km")
# Around a commune without a radius: the browse page and the saved searches alike (radius_of).
DEFAULT_RADIUS_KM = 50.0
MAX_ALERTS = 20
MAX_LABEL = 200
MAX_QUERY = 200


@dataclass(frozen=True)
class ListingFacts:
    """What the structured filters read of a listing; `distance_km` from the search's territory."""

    kind: str
    category: str
    subcategory: str | None
    distance_km: float | None = None


def kept_filters(data: Mapping[str, Any]) -> dict[str, Any]:
    """The filters a search saves: the known keys, blanks dropped, texts trimmed, codes upper-cased.

    A text with no word to look for ("de la") is dropped as a blank: it filters nothing, so saved
    alone it would announce every new listing."""
    kept: dict[str, Any] = {}
    for key in FILTER_KEYS:
        value = data.get(key)
        if isinstance(value, str):
            value = value.strip()
            if key == "near":
                value = value.upper()
        if value is None or value == "" or (key == "q" and not query_words(value)):
            continue
        kept[key] = float(value) if key == "radius_km" else value
    return kept


def same_search(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two saved filters look for the same listings: equal, the text compared as its words
    (case, accents and spacing aside), the radius as what it is when left to its default."""

    def key(filters: Mapping[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in filters.items() if k not in ("q", "radius_km")}
        return kept | {"q": query_words(filters.get("q")), "radius_km": radius_of(filters)}

    return key(a) == key(b)


def radius_of(filters: Mapping[str, Any]) -> float | None:
    """The radius a search with a territory looks within; None without a territory (the browse
    page's rule too: a saved search is announced what the browse page would show)."""
    if not filters.get("near"):
        return None
    radius = filters.get("radius_km")
    return DEFAULT_RADIUS_KM if radius is None else float(radius)


def meets_structured_filters(filters: Mapping[str, Any], listing: ListingFacts) -> bool:
    """True when the listing meets every filter but the text (checked by the database)."""
    for key in ("kind", "category", "subcategory"):
        wanted = filters.get(key)
        if wanted and getattr(listing, key) != wanted:
            return False
    radius = radius_of(filters)
    if radius is None:
        return True
    return listing.distance_km is not None and listing.distance_km <= radius


def default_label(filters: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A label from the filters' own words, e.g. "« nacelle » · Équipements · Malaunay (150 km)".

    `names` gives the display names of the kind, category, subcategory and territory codes.
    """
    parts = []
    if filters.get("q"):
        parts.append(f"«\u00a0{filters['q']}\u00a0»")
    for key in ("kind", "category", "subcategory"):
        if filters.get(key):
            parts.append(names.get(filters[key], filters[key]))
    radius = radius_of(filters)
    if radius is not None:
        place = names.get(filters["near"], filters["near"])
        parts.append(f"{place} ({radius:g} km)")
    return " · ".join(parts)[:MAX_LABEL]
