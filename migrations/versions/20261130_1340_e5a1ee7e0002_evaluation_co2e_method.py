"""Evaluations record the CO2e method the evaluator chose, and the share of the lifetime used.

Revision ID: e5a1ee7e0002
Revises: e5a1ee7e0001
Create Date: 2026-11-30 13:40
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e5a1ee7e0002"
down_revision = "e5a1ee7e0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_evaluations") as batch:
        batch.add_column(
            sa.Column("co2e_method", sa.String(length=20), server_default="avoided_purchase", nullable=False)
        )
        batch.add_column(sa.Column("lifetime_share", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreement_evaluations") as batch:
        batch.drop_column("lifetime_share")
        batch.drop_column("co2e_method")
