"""Bookable offers (units, buffer), their bookings, and private calendar feeds.

Revision ID: b00c1ng00001
Revises: e1b10b5a0001
Create Date: 2026-11-30 17:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = "b00c1ng00001"
down_revision = "c0e9a1000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listings") as batch:
        batch.add_column(sa.Column("bookable_units", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("booking_buffer_days", sa.Integer(), server_default="0", nullable=False))
        batch.create_check_constraint(
            op.f("ck_listings_bookable_units"), "bookable_units IS NULL OR (bookable_units >= 1 AND bookable_units <= 1000)"
        )
        batch.create_check_constraint(op.f("ck_listings_booking_buffer"), "booking_buffer_days >= 0 AND booking_buffer_days <= 30")
    op.create_table(
        "listing_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("updated_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_listing_bookings_period_order")),
        sa.CheckConstraint(
            "state IN ('requested', 'accepted', 'booked')", name=op.f("ck_listing_bookings_state")
        ),
        sa.CheckConstraint("units >= 1", name=op.f("ck_listing_bookings_units_positive")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_listing_bookings_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_listing_bookings_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_bookings")),
    )
    op.create_index(
        op.f("ix_listing_bookings_agreement_id"), "listing_bookings", ["agreement_id"], unique=True
    )
    op.create_index(
        "ix_listing_bookings_listing_period", "listing_bookings", ["listing_id", "starts_on", "ends_on"]
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(user_id IS NULL) <> (territory_id IS NULL)", name=op.f("ck_calendar_feeds_one_owner")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_calendar_feeds_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_calendar_feeds_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_calendar_feeds_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("territory_id", name=op.f("uq_calendar_feeds_territory_id")),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_feeds_token")),
        sa.UniqueConstraint("user_id", name=op.f("uq_calendar_feeds_user_id")),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_index("ix_listing_bookings_listing_period", table_name="listing_bookings")
    op.drop_index(op.f("ix_listing_bookings_agreement_id"), table_name="listing_bookings")
    op.drop_table("listing_bookings")
    with op.batch_alter_table("listings") as batch:
        batch.drop_constraint(op.f("ck_listings_booking_buffer"), type_="check")
        batch.drop_constraint(op.f("ck_listings_bookable_units"), type_="check")
        batch.drop_column("booking_buffer_days")
        batch.drop_column("bookable_units")
