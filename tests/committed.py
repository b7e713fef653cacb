"""Cleaning up after the tests that must really commit (concurrency on PostgreSQL): they cannot use
the rolled-back transaction of the other tests, so they delete what they wrote, in dependency order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from mutualisation.accounts.models import User
from mutualisation.agreements.models import Agreement
from mutualisation.audit.models import AuditEvent
from mutualisation.conversations.models import Conversation
from mutualisation.listings.models import Listing, ListingEvent
from mutualisation.matching import engine as matching
from mutualisation.matching import snapshots
from mutualisation.matching.models import Suggestion
from mutualisation.notifications.models import Notification
from mutualisation.territories.models import Territory


def remove_committed(engine, territories_before: set[str]) -> None:
    """Delete the test users (tests/builders.py writes them on example.org), all they made, and the
    territories that did not exist before the test."""
    with Session(engine) as session:
        user_ids = list(session.scalars(select(User.id).where(User.email.like("%@example.org"))))
        listing_ids = list(session.scalars(select(Listing.id).where(Listing.owner_id.in_(user_ids))))
        for statement in (
            delete(Notification).where(Notification.recipient_id.in_(user_ids)),
            delete(AuditEvent).where(AuditEvent.actor_id.in_(user_ids)),
            delete(AuditEvent).where(AuditEvent.object_type == "agreement"),
            delete(Conversation).where(Conversation.listing_id.in_(listing_ids)),
            delete(Agreement).where(Agreement.created_by_id.in_(user_ids)),
            delete(Suggestion).where(Suggestion.offer_id.in_(listing_ids)),
            delete(ListingEvent).where(ListingEvent.listing_id.in_(listing_ids)),
            delete(Listing).where(Listing.id.in_(listing_ids)),
            delete(User).where(User.id.in_(user_ids)),
            delete(Territory).where(Territory.code.not_in(territories_before)),
        ):
            session.execute(statement)
        session.commit()


@contextmanager
def committing(engine, bind=None) -> Iterator[sessionmaker]:
    """Sessions on `bind` (default: `engine`) that really commit, with matching's flush listener;
    afterwards, what they wrote is deleted (`remove_committed`) with the matching states and logs
    of categories that did not exist before, and this process's snapshots are forgotten."""
    with Session(engine) as session:
        territories = set(session.scalars(select(Territory.code)))
        categories = set(session.scalars(text("SELECT category FROM matching_state")))
    made = sessionmaker(bind=bind or engine, expire_on_commit=False)
    matching.attach_flush_listener(made)
    try:
        yield made
    finally:
        snapshots.forget_snapshots()
        remove_committed(engine, territories)
        with engine.begin() as conn:
            for category in set(conn.scalars(text("SELECT category FROM matching_state"))) - categories:
                conn.execute(text("DELETE FROM matching_state WHERE category = :c"), {"c": category})
                conn.execute(text("DELETE FROM matching_changes WHERE category = :c"), {"c": category})
                conn.execute(text("DELETE FROM matching_pending WHERE category = :c"), {"c": category})
