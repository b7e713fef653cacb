"""Listings: a word index for fast text search, and a covering index for the radius prefilter.

Revision ID: b15e7a1e0001
Revises: a1f0c0de0001
Create Date: 2026-11-26 11:42:20.360271
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b15e7a1e0001"
down_revision = "a1f0c0de0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_terms",
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_terms_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term", "listing_id", name=op.f("pk_listing_terms")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index("ix_listings_status_lat_lon", ["status", "latitude", "longitude"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_status_lat_lon")
    op.drop_table("listing_terms")
