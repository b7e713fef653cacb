"""The listing use cases under their historical names, for callers outside the package.

The code lives in rooms by concern: `editing` (create, edit, duplicate), `transitions`
(publish, withdraw, renew; reserve, release, fulfil, expire), `browse`, `permissions`
(who sees and manages what, and the loaders), `placement`, `text_search` and `categories`.
New code imports from those modules.
"""

from __future__ import annotations

from .browse import (
    BrowseResult,
    BrowseRows,
    Filters,
    browse,
    browse_rows,
    map_points,
    my_listings,
    status_counts,
)
from .categories import category_tree, taxonomy
from .editing import create, create_published, duplicate, history, update
from .permissions import can_read_listing, get_for_management, get_visible_listing
from .placement import bounding_box, distances_km
from .transitions import expire, fulfil, publish, release, renew, reserve, withdraw
from .vocabulary import CONTENT_FIELDS

# The loader's former name.
get_listing = get_visible_listing

__all__ = [
    "CONTENT_FIELDS",
    "BrowseResult",
    "BrowseRows",
    "Filters",
    "bounding_box",
    "browse",
    "browse_rows",
    "can_read_listing",
    "category_tree",
    "create",
    "create_published",
    "distances_km",
    "duplicate",
    "expire",
    "fulfil",
    "get_for_management",
    "get_listing",
    "get_visible_listing",
    "history",
    "map_points",
    "my_listings",
    "publish",
    "release",
    "renew",
    "reserve",
    "status_counts",
    "taxonomy",
    "update",
    "withdraw",
]
