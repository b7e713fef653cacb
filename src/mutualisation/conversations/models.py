"""Conversations: a thread about a listing (one per asking party) or about an agreement (one each).

A conversation about a listing is between the asker's party (a local actor, or the staff of a
territory) and the listing's territory (its technicians and officials, and the owner). A
conversation about an agreement is open to all its parties. `topic` names that party scope, and
its uniqueness is what keeps two concurrent first messages from opening two threads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..agreements.models import Agreement
from ..db import Base, UTCDateTime, utcnow
from ..listings.models import Listing
from ..territories.models import Territory

MAX_BODY = 5000


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(
            "(listing_id IS NULL) <> (agreement_id IS NULL)", name="about_one_listing_or_one_agreement"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "listing:<id>:<asker territory>:<asker actor or 0>" or "agreement:<id>" (services.topic_*).
    topic: Mapped[str] = mapped_column(String(80), unique=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    asker_territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"), index=True)
    asker_actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    listing: Mapped[Listing | None] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    asker_territory: Mapped[Territory | None] = relationship()
    asker_actor: Mapped[User | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan"
    )

    @property
    def title(self) -> str:
        if self.agreement is not None:
            return self.agreement.title
        return self.listing.title if self.listing is not None else ""


class Message(Base):
    """One message: never edited, never deleted (the history of what was said)."""

    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    author_territory: Mapped[Territory] = relationship()
