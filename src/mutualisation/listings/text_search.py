"""The listings' text search: the text a listing is found by, and the browse filter on it.

The search itself is the shared full-text module (mutualisation/fulltext.py), the same one the
experience sheets use. `search_text` is stored on each listing; the database keeps its own
index in step (an FTS5 table kept by triggers on SQLite, a GIN index on PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..fulltext import TextIndex, TextQuery, text_query
from ..territories.search import normalize
from .categories import taxonomy
from .models import Listing

LISTING_INDEX = TextIndex(
    "listings", Listing.__table__.c.id, Listing.__table__.c.search_text, fts_column="search_text"
)


def search_text(listing: Listing) -> str:
    """The normalised text a listing is found by: title, subcategory label and description."""
    try:
        label = taxonomy().label(listing.subcategory or "", "fr", category=listing.category)
    except ValueError:
        label = ""
    return normalize(f"{listing.title} {label} {listing.description or ''}")


def refresh_search_text(listing: Listing) -> None:
    """Recompute the listing's search text (the database re-indexes it when it changed)."""
    text = search_text(listing)
    if text != listing.search_text:
        listing.search_text = text


def listing_text(session: Session, q: str | None) -> TextQuery | None:
    """The browse text filter's words (typos corrected): None without a searchable word."""
    return text_query(session, LISTING_INDEX, q)
