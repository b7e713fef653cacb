"""Blobs: uploaded files kept in the database when STORAGE_BACKEND is "database".

Revision ID: e1b10b5a0001
Revises: d4e5f6a70001
Create Date: 2026-11-30 13:45
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = "e1b10b5a0001"
down_revision = "e5a1ee7e0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_blobs")),
    )


def downgrade() -> None:
    op.drop_table("blobs")
