"""Listings: the radius prefilter's covering index also holds the id (index-only scans on PostgreSQL).

Revision ID: b15e7a1e0002
Revises: c0de0merge01
Create Date: 2026-11-26 14:00:00
"""

from __future__ import annotations

from alembic import op

revision = "b15e7a1e0002"
down_revision = 'c0de0merge01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_status_lat_lon")
        batch_op.create_index(
            "ix_listings_status_lat_lon_id", ["status", "latitude", "longitude", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index("ix_listings_status_lat_lon_id")
        batch_op.create_index("ix_listings_status_lat_lon", ["status", "latitude", "longitude"], unique=False)
