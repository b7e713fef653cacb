"""The matching engine on the database: the public entry points, gathered from their rooms.

- `recompute.full_recompute`: every suggestion, in one transaction, writing only the differences;
- `incremental.update_for_listing`: after one listing changed, only the rows it affects;
- `follow.follow_listing_change` and `follow.attach_flush_listener`: how the app wires matching
  to listing changes (declared in `matching/domain.py`);
- underneath: `reading` (listings and suggestions as named rows), `diff` (pure comparison),
  `explainer` (breakdowns in bulk), `writers` (SQLite and PostgreSQL bulk writes), `snapshots`
  (per-process category caches and their data versions), `notify` (new-suggestion notices).
"""

from __future__ import annotations

from .arrays import LISTING_FIELDS
from .diff import Counts
from .follow import attach_flush_listener, follow_listing_change
from .incremental import update_for_listing
from .notify import NOTIFY_KIND
from .reading import categories, cooperations, load_category
from .recompute import full_recompute
from .rows import arrays_from_rows, fingerprint

__all__ = [
    "LISTING_FIELDS",
    "NOTIFY_KIND",
    "Counts",
    "arrays_from_rows",
    "attach_flush_listener",
    "categories",
    "cooperations",
    "fingerprint",
    "follow_listing_change",
    "full_recompute",
    "load_category",
    "update_for_listing",
]
