"""Notifications keep the message they were written from (msgids and parameters), so that the
notification centre shows each one in the reader's current language.

Revision ID: fr3nch000001
Revises: e1b10b5a0001
Create Date: 2026-11-30 17:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fr3nch000001"
down_revision = "5ea4c0000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("message", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("message")
