"""Matching state: the inputs each category's stored suggestions were computed from.

Revision ID: 5eed00000001
Revises: e1b10b5a0001
Create Date: 2026-11-30 17:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5eed00000001"
down_revision = "fr3nch000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matching_state") as batch:
        batch.add_column(sa.Column("computed_inputs", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("matching_state") as batch:
        batch.drop_column("computed_inputs")
