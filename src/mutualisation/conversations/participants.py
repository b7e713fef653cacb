"""Who takes part in a conversation: the rules of reading, writing and being told, by role and
territory. Services ask here; nothing else decides it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.permissions import ACTOR, TERRITORY_STAFF, allowed, is_admin
from ..agreements import notices as agreement_notices
from ..agreements.models import Agreement
from ..agreements.state import side_of_user
from ..listings.models import Listing
from .models import Conversation


def party_of(user: User) -> tuple[int, int | None]:
    """The party a user speaks for: a local actor for themselves, staff for their territory."""
    return user.territory_id, (user.id if user.role == ACTOR else None)


def listing_topic(listing_id: int, user: User) -> str:
    territory_id, actor_id = party_of(user)
    return f"listing:{listing_id}:{territory_id}:{actor_id or 0}"


def agreement_topic(agreement_id: int) -> str:
    return f"agreement:{agreement_id}"


def on_listing_side(user: User, listing: Listing) -> bool:
    """The listing's owner, or its territory's technicians and officials."""
    if user.id == listing.owner_id:
        return True
    return user.role in TERRITORY_STAFF and user.territory_id == listing.territory_id


def may_ask(user: User, listing: Listing) -> bool:
    """Whether to offer "Ask a question": staff and local actors, about a published listing that
    is not on their side (the service refuses the role and the side whatever the page shows)."""
    return (
        user.role in (*TERRITORY_STAFF, ACTOR)
        and listing.status == "published"
        and not on_listing_side(user, listing)
    )


def on_asker_side(user: User, conversation: Conversation) -> bool:
    if conversation.asker_actor_id is not None:
        return user.id == conversation.asker_actor_id
    return user.role in TERRITORY_STAFF and user.territory_id == conversation.asker_territory_id


def agreement_side(agreement: Agreement, user: User) -> str | None:
    return side_of_user(agreement, user)


def can_read(user: User | None, conversation: Conversation) -> bool:
    if user is None or not user.is_active:
        return False
    if is_admin(user):
        return True
    return can_write(user, conversation)


def can_write(user: User, conversation: Conversation) -> bool:
    """Participants write; an admin reads every conversation but writes in none he is not part of."""
    if conversation.agreement is not None:
        return allowed(user, "agreements:read", conversation.agreement) and (
            agreement_side(conversation.agreement, user) is not None
        )
    listing = conversation.listing
    if listing is None:
        return False
    return on_asker_side(user, conversation) or on_listing_side(user, listing)


def members(session: Session, conversation: Conversation) -> list[User]:
    """Everyone taking part, to be told about a new message (the author is skipped by the caller)."""
    if conversation.agreement is not None:
        return agreement_notices.both_parties(session, conversation.agreement)
    listing = conversation.listing
    assert listing is not None
    people = _staff(session, listing.territory_id)
    if listing.owner is not None and listing.owner.is_active:
        people.append(listing.owner)
    if conversation.asker_actor is not None:
        people.append(conversation.asker_actor)
    elif conversation.asker_territory_id is not None:
        people.extend(_staff(session, conversation.asker_territory_id))
    return people


def _staff(session: Session, territory_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.territory_id == territory_id,
                User.role.in_(TERRITORY_STAFF),
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )
