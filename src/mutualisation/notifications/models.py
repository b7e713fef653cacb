from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow


class Notification(Base):
    """A message for one user, written inside the transaction of the use case that caused it.

    It is both the in-app notification and the e-mail outbox entry: nothing leaves before the
    transaction commits, and delivery is keyed by this row's id so it is never sent twice.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),
        Index("ix_notifications_email_status", "email_status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    locale: Mapped[str] = mapped_column(String(5), default="fr", server_default="fr")
    # What subject and body were written from: {"subject": msgid, "body": msgid, "params": {...}}
    # (a msgid may be a [singular, plural] pair). The centre renders it again in the reader's
    # current language; subject and body keep the recipient's language for e-mails.
    message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # E-mail delivery state: pending → sending (claimed, leased until next_attempt_at) → sent | failed;
    # digest → digesting → sent for daily/weekly digests; skipped when the preference is "none".
    email_status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The frequency resolved from the recipient's preference when the notification was written:
    # immediate | daily | weekly | none. Resolving it then keeps a digest stable if the preference changes.
    email_frequency: Mapped[str] = mapped_column(String(10), default="immediate", server_default="immediate")

    recipient: Mapped[User] = relationship()


FREQUENCIES = ("immediate", "daily", "weekly", "none")


class NotificationPreference(Base):
    """How one user wants to receive one kind of notification by e-mail (in-app is always on)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        CheckConstraint("frequency IN ('immediate', 'daily', 'weekly', 'none')", name="frequency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    frequency: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
