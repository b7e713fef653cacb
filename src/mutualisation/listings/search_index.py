"""The listings' word index: which terms a text gives, keeping the index in step, and text search.

A substring test on every row cannot stay fast at 100,000 listings; looking words up by
prefix in `listing_terms` can, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from ..territories.search import normalize
from .categories import taxonomy
from .fetching import fetch_column
from .models import Listing, ListingTerm

# Too common to help a search; never indexed, and skipped in queries for the same reason.
STOPWORDS = frozenset(
    [
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "de",
        "des",
        "du",
        "en",
        "et",
        "la",
        "le",
        "les",
        "leur",
        "mais",
        "ou",
        "par",
        "pas",
        "pour",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "un",
        "une",
        "a",
        "an",
        "and",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    ]
)
MIN_TERM = 2
MAX_TERM = 60


def terms_of(normalised: str) -> set[str]:
    """The index terms of an already normalised text."""
    return {w[:MAX_TERM] for w in normalised.split() if len(w) >= MIN_TERM and w not in STOPWORDS}


def index_terms(session: Session, listing: Listing, previous_text: str | None = None) -> None:
    """Bring the listing's word index in step with its search text (inside the caller's transaction).

    Old terms are removed by their full key, computed from the previous text, so the table
    needs no second index on listing_id.
    """
    old = terms_of(previous_text or "")
    new = terms_of(listing.search_text)
    stale = sorted(old - new)
    if stale:
        session.execute(
            delete(ListingTerm).where(ListingTerm.listing_id == listing.id, ListingTerm.term.in_(stale))
        )
    added = sorted(new - old)
    if added:
        session.execute(insert(ListingTerm), [{"term": t, "listing_id": listing.id} for t in added])


def search_text(listing: Listing) -> str:
    """The normalised text a listing is found by: title, subcategory label and description."""
    try:
        label = taxonomy().label(listing.subcategory or "", "fr", category=listing.category)
    except ValueError:
        label = ""
    return normalize(f"{listing.title} {label} {listing.description or ''}")


def refresh_index(session: Session, listing: Listing) -> None:
    """Recompute the listing's search text and re-index it when it changed."""
    text = search_text(listing)
    if text != listing.search_text:
        previous, listing.search_text = listing.search_text, text
        index_terms(session, listing, previous)


def _prefix_bounds(word: str) -> tuple[str, str]:
    # A prefix range uses the primary key index on both databases ("broy" finds "broyeur").
    return word, word[:-1] + chr(ord(word[-1]) + 1)


def _term_range(word: str) -> Any:
    lower, upper = _prefix_bounds(word)
    return select(ListingTerm.listing_id).where(ListingTerm.term >= lower, ListingTerm.term < upper)


def text_conditions(session: Session, q: str | None) -> list[ColumnElement[bool]]:
    """Conditions for the text filter, looked up in the word index.

    SQLite walks the index through a sub-query. PostgreSQL's planner prefers a hash join
    over the whole table for that shape, so it gets the ids found in the index as one
    array parameter instead, which keeps it on the primary key.
    """
    words = sorted(terms_of(normalize(q or "")))
    if session.get_bind().dialect.name != "postgresql":
        return [Listing.id.in_(_term_range(word)) for word in words]
    found: set[int] | None = None
    for word in words:
        ids = set(fetch_column(session, _term_range(word)))
        found = ids if found is None else found & ids
    if found is None:
        return []
    return [Listing.id == any_(bindparam("text_ids", sorted(found), type_=ARRAY(Integer)))]
