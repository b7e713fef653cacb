"""Matching state: a data version per listing category, for the incremental update's caches.

Revision ID: d4e5f6a70001
Revises: b15e7a1e0002
Create Date: 2026-11-26 12:30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d4e5f6a70001"
down_revision = "b15e7a1e0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matching_state",
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("run_start", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_listing_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_matching_state")),
    )


def downgrade() -> None:
    op.drop_table("matching_state")
