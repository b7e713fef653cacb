from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, UTCDateTime, utcnow
from ..territories.models import Territory
from .availability import MAX_BUFFER_DAYS, MAX_UNITS, STATES
from .lifecycle import DRAFT, STATUSES
from .vocabulary import (
    CATEGORIES,
    CONDITIONS,
    DEFAULT_CONDITIONS,
    DEFAULT_LOGISTICS,
    KINDS,
    LOGISTICS,
    check_in,
)

# The vocabularies under the names other domains import (the codes live in vocabulary.py).
LISTING_KINDS = KINDS
LISTING_STATUSES = STATUSES
__all__ = [
    "CATEGORIES",
    "CONDITIONS",
    "LISTING_KINDS",
    "LISTING_STATUSES",
    "LOGISTICS",
    "Listing",
    "ListingBooking",
    "ListingEvent",
    "SavedSearch",
]


class Listing(Base):
    """An offer or a need of a territory or of a local actor."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(check_in("kind", KINDS), name="kind"),
        CheckConstraint(check_in("status", STATUSES), name="status"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("deposit_eur IS NULL OR deposit_eur >= 0", name="deposit_not_negative"),
        CheckConstraint(
            "max_distance_km IS NULL OR (max_distance_km >= 0 AND max_distance_km <= 1000)",
            name="max_distance",
        ),
        CheckConstraint(
            "available_until IS NULL OR available_from IS NULL OR available_until >= available_from",
            name="window_order",
        ),
        CheckConstraint(
            f"bookable_units IS NULL OR (bookable_units >= 1 AND bookable_units <= {MAX_UNITS})",
            name="bookable_units",
        ),
        CheckConstraint(
            f"booking_buffer_days >= 0 AND booking_buffer_days <= {MAX_BUFFER_DAYS}", name="booking_buffer"
        ),
        # The browse page's hot paths: status + category filters and the lat/lon bounding box.
        Index("ix_listings_status_category", "status", "category", "kind"),
        Index("ix_listings_lat_lon", "latitude", "longitude"),
        # Covering index of the radius prefilter: status, latitude band, longitude and id read from
        # the index alone. SQLite adds the row id to every index by itself; PostgreSQL needs it
        # named, or it visits the table for each of the thousands of rows in the box.
        Index("ix_listings_status_lat_lon_id", "status", "latitude", "longitude", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(20))
    subcategory: Mapped[str | None] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")  # normalised title + description
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date, index=True)
    recurring: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    inexhaustible: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    remote_possible: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    logistics: Mapped[str] = mapped_column(
        String(10), default=DEFAULT_LOGISTICS, server_default=DEFAULT_LOGISTICS
    )
    max_distance_km: Mapped[float | None] = mapped_column(Float)
    conditions: Mapped[str] = mapped_column(
        String(20), default=DEFAULT_CONDITIONS, server_default=DEFAULT_CONDITIONS
    )
    deposit_eur: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    insurance_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    qualified_operator_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    location_source: Mapped[str] = mapped_column(String(20), default="territory", server_default="territory")
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, server_default=DRAFT)
    # Lent again and again: how many units the offer has (None: not bookable), and the days kept
    # after each return for cleaning and checks. See listings/availability.py.
    bookable_units: Mapped[int | None] = mapped_column(Integer)
    booking_buffer_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Issue 14: the owner may keep a listing to the network's members (hidden from visitors).
    network_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    withdrawal_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    territory: Mapped[Territory] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(lazy="joined")

    # Optimistic locking: an UPDATE that names a stale version touches no row and raises,
    # which the services turn into a 409 instead of a silent overwrite.
    __mapper_args__ = {"version_id_col": version}


class ListingBooking(Base):
    """One agreement's hold on a bookable offer: its period, units and how firm it is.

    Agreements keep these rows in step with their status (agreements/capacity.py); listings own
    them so that the calendar, the availability API and the browse filter read one small table
    of their own. One row per agreement (the unique key), removed when the agreement falls through.
    """

    __tablename__ = "listing_bookings"
    __table_args__ = (
        CheckConstraint(check_in("state", STATES), name="state"),
        CheckConstraint("ends_on >= starts_on", name="period_order"),
        CheckConstraint("units >= 1", name="units_positive"),
        Index("ix_listing_bookings_listing_period", "listing_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), unique=True, index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    units: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ListingEvent(Base):
    """Append-only history of a listing's status changes."""

    __tablename__ = "listing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)


class SavedSearch(Base):
    """A browse filter a user saved, to be told when a new listing matches it (issue 12)."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    # The browse filters saved (kind, category, subcategory, q, near, radius_km), unset ones left out.
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
