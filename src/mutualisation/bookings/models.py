"""Private calendar feeds: a revocable secret token per user, and per territory.

The token is the feed's only credential (calendar applications cannot log in), so it is random
(256 bits), unique, and replaced or deleted on demand; it is kept in clear so that its owner can
copy the address again from the account page. It opens nothing but a read-only feed.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(Base):
    __tablename__ = "calendar_feeds"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (territory_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_feed_token)
    # A user's own feed, or a territory's equipment feed: exactly one of them.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territories.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
