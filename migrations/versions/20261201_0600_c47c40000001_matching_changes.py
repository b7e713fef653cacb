"""Matching changes: the listings each bump of a category's data version changed, so that a worker
whose cache is stale catches up on them instead of reloading the whole category; and the listings
whose incremental update has not run yet, which the next update of their category runs first.

Revision ID: c47c40000001
Revises: 5eed00000001
Create Date: 2026-12-01 06:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c47c40000001"
down_revision = "5eed00000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matching_changes",
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("row_changed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("category", "version", "listing_id", name=op.f("pk_matching_changes")),
    )
    op.create_table(
        "matching_pending",
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("category", "listing_id", name=op.f("pk_matching_pending")),
    )
    with op.batch_alter_table("matching_state") as batch:
        batch.add_column(sa.Column("log_from", sa.BigInteger(), server_default="0", nullable=False))
    # Nothing is logged yet: caches of the versions before this one must reload.
    op.execute("UPDATE matching_state SET log_from = version")


def downgrade() -> None:
    with op.batch_alter_table("matching_state") as batch:
        batch.drop_column("log_from")
    op.drop_table("matching_pending")
    op.drop_table("matching_changes")
