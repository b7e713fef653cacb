"""Conversation use cases: ask about a listing, talk about an agreement, read one's threads.

Who takes part is decided here, by role and territory (`participants`), never by the page:
- about a listing: the asker's party (a local actor alone, or the technicians and officials of
  the asker's territory) and the listing's party (its owner, and its territory's staff);
- about an agreement: whoever may read the agreement (its parties; admins read).
An outsider gets a 404, never a message. A message notifies everyone else taking part and leaves
an audit event; e-mail addresses are never part of what a message shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload

from ..accounts.models import User
from ..accounts.permissions import ACTOR, TERRITORY_STAFF, allowed, is_admin
from ..agreements import queries as agreement_queries
from ..agreements.models import Agreement
from ..audit.services import record
from ..db import transaction, utcnow
from ..errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed
from ..i18n import N_
from ..listings.models import Listing
from ..listings.permissions import get_visible_listing
from ..notifications.services import notify
from . import participants
from .models import MAX_BODY, Conversation, Message

MESSAGE_KIND = "conversation.message"
NOT_FOUND = N_("This conversation does not exist.")


@dataclass(frozen=True)
class Thread:
    """A conversation as one participant reads it (None until its first message)."""

    conversation: Conversation | None
    messages: list[Message]
    title: str


def thread(conversation: Conversation | None, title: str) -> Thread:
    return Thread(conversation, list(conversation.messages) if conversation else [], title)


def clean_body(body: object) -> str:
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        message = N_("Write a message.")
        raise ValidationFailed(message, fields={"body": [message]})
    if len(text) > MAX_BODY:
        message = N_("A message holds at most 5000 characters.")
        raise ValidationFailed(message, fields={"body": [message]})
    return text


# Listings ------------------------------------------------------------------------------------
def _asker_listing(session: Session, user: User, listing_id: int) -> Listing:
    listing = get_visible_listing(session, user, listing_id)
    if participants.on_listing_side(user, listing):
        raise RuleViolation(
            N_("This listing is yours: the questions about it are in your conversations."),
            fields={"listing_id": [N_("You cannot ask a question about your own listing.")]},
        )
    if user.role not in (*TERRITORY_STAFF, ACTOR):
        raise PermissionDenied(N_("Only a technician, an official or a local actor can ask a question."))
    return listing


def listing_thread(session: Session, user: User, listing_id: int) -> Thread:
    """The caller's conversation about a listing (empty until they write)."""
    listing = _asker_listing(session, user, listing_id)
    topic = participants.listing_topic(listing.id, user)
    return thread(_by_topic(session, topic), listing.title)


def ask_about_listing(
    session: Session, user: User, listing_id: int, body: str, now: dt.datetime | None = None
) -> Message:
    text = clean_body(body)
    with transaction(session):
        listing = _asker_listing(session, user, listing_id)
        territory_id, actor_id = participants.party_of(user)
        conversation = _open(
            session,
            participants.listing_topic(listing.id, user),
            listing_id=listing.id,
            asker_territory_id=territory_id,
            asker_actor_id=actor_id,
        )
        return _add_message(session, user, conversation, text, now or utcnow())


# Agreements ----------------------------------------------------------------------------------
def agreement_thread(session: Session, user: User, agreement_id: int) -> Thread:
    agreement = agreement_queries.get(session, user, agreement_id)
    return thread(_by_topic(session, participants.agreement_topic(agreement.id)), agreement.title)


def post_about_agreement(
    session: Session, user: User, agreement_id: int, body: str, now: dt.datetime | None = None
) -> Message:
    text = clean_body(body)
    with transaction(session):
        agreement = agreement_queries.get(session, user, agreement_id)
        if participants.agreement_side(agreement, user) is None:
            raise PermissionDenied(N_("Only the parties to an agreement can write in its thread."))
        topic = participants.agreement_topic(agreement.id)
        conversation = _open(session, topic, agreement_id=agreement.id)
        return _add_message(session, user, conversation, text, now or utcnow())


# Any conversation ----------------------------------------------------------------------------
def conversation_thread(session: Session, user: User, conversation_id: int) -> Thread:
    """One conversation's messages, for a participant (or an admin reading)."""
    conversation = get(session, user, conversation_id)
    return thread(conversation, conversation.title)


def get(session: Session, user: User, conversation_id: int) -> Conversation:
    """A conversation the caller takes part in (or an admin reads); 404 otherwise, no leak."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not participants.can_read(user, conversation):
        raise NotFound(NOT_FOUND)
    return conversation


def reply(
    session: Session, user: User, conversation_id: int, body: str, now: dt.datetime | None = None
) -> Message:
    text = clean_body(body)
    with transaction(session):
        conversation = get(session, user, conversation_id)
        if not participants.can_write(user, conversation):
            raise PermissionDenied(N_("You can read this conversation but not write in it."))
        return _add_message(session, user, conversation, text, now or utcnow())


def conversations_for(
    session: Session, user: User, limit: int = 50, offset: int = 0
) -> tuple[list[Conversation], int]:
    """A page of the caller's conversations, the most recently active first, and how many there are.

    A page shows each one's title (its listing or agreement) and last message with its author:
    they are loaded with the page, not one query per conversation.
    """
    scoped = _scoped(user)
    total = session.scalar(select(func.count()).select_from(scoped.subquery())) or 0
    stmt = (
        scoped.options(
            contains_eager(Conversation.listing),
            contains_eager(Conversation.agreement),
            selectinload(Conversation.messages).options(
                selectinload(Message.author), selectinload(Message.author_territory)
            ),
        )
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt).unique()), total


def _scoped(user: User):
    """The conversations `user` takes part in (every one for an admin), with their listing and agreement."""
    if user is None or not user.is_active:
        raise PermissionDenied(N_("You are not allowed to do this."))
    stmt = (
        select(Conversation)
        .outerjoin(Listing, Listing.id == Conversation.listing_id)
        .outerjoin(Agreement, Agreement.id == Conversation.agreement_id)
    )
    return stmt if is_admin(user) else stmt.where(_visible_to(user))


def _visible_to(user: User):
    if user.role == ACTOR:
        mine_as_asker = Conversation.asker_actor_id == user.id
        listing_side = Listing.owner_id == user.id
    elif user.role in TERRITORY_STAFF:
        mine_as_asker = and_(
            Conversation.asker_territory_id == user.territory_id, Conversation.asker_actor_id.is_(None)
        )
        listing_side = or_(Listing.territory_id == user.territory_id, Listing.owner_id == user.id)
    else:
        return Conversation.id.is_(None)
    # An agreement's thread is open to whoever may read the agreement (None for admins only).
    agreement_side = agreement_queries.readable_by(user)
    assert agreement_side is not None
    return or_(
        and_(Conversation.listing_id.is_not(None), or_(mine_as_asker, listing_side)),
        and_(Conversation.agreement_id.is_not(None), agreement_side),
    )


# Writing -------------------------------------------------------------------------------------
def _by_topic(session: Session, topic: str) -> Conversation | None:
    return session.scalars(select(Conversation).where(Conversation.topic == topic)).first()


def _open(session: Session, topic: str, **about: int | None) -> Conversation:
    """The conversation of `topic`, created on the first message.

    Two first messages at the same moment both try to insert: the unique topic lets one win, and
    the other (inside a savepoint) reads the winner's row instead of failing.
    """
    existing = _by_topic(session, topic)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            conversation = Conversation(topic=topic, **about)
            session.add(conversation)
    except IntegrityError:
        found = _by_topic(session, topic)
        if found is None:  # pragma: no cover - the row that won is gone again
            raise
        return found
    return conversation


def _add_message(
    session: Session, user: User, conversation: Conversation, text: str, now: dt.datetime
) -> Message:
    message = Message(
        conversation=conversation,
        author_id=user.id,
        author_territory_id=user.territory_id,
        body=text,
        created_at=now,
    )
    session.add(message)
    conversation.last_message_at = now
    session.flush()
    _notify_others(session, user, conversation, text)
    record(
        session,
        user.id,
        "conversation.message",
        "conversation",
        conversation.id,
        message_id=message.id,
        listing_id=conversation.listing_id,
        agreement_id=conversation.agreement_id,
    )
    return message


def _notify_others(session: Session, author: User, conversation: Conversation, text: str) -> None:
    excerpt = text if len(text) <= 300 else text[:299] + "…"
    link = f"/conversations/{conversation.id}"
    seen = {author.id}
    for recipient in participants.members(session, conversation):
        if recipient.id in seen or not allowed(recipient, "network:read"):
            continue
        seen.add(recipient.id)
        notify(
            session,
            recipient,
            MESSAGE_KIND,
            N_("New message: %(title)s"),
            N_('%(author)s wrote about "%(title)s":\n\n%(excerpt)s'),
            object_type="conversation",
            object_id=conversation.id,
            link=link,
            title=conversation.title,
            author=author.display_name,
            excerpt=excerpt,
        )
