"""notification preferences and job runs

Revision ID: b2c0de0n0t1f
Revises: a1f0c0de0001
Create Date: 2026-11-26 11:31:30.720169
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = "b2c0de0n0t1f"
down_revision = "a1f0c0de0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("runner", sa.String(length=100), server_default="", nullable=False),
        sa.Column("started_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", mutualisation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), server_default="running", nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("outcome IN ('running', 'ok', 'failed')", name=op.f("ck_job_runs_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index("ix_job_runs_job_started", ["job", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_runs_started_at"), ["started_at"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("updated_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "frequency IN ('immediate', 'daily', 'weekly', 'none')",
            name=op.f("ck_notification_preferences_frequency"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_notification_preferences_user_id_kind")),
    )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_preferences_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_frequency", sa.String(length=10), server_default="immediate", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("email_frequency")

    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_preferences_user_id"))

    op.drop_table("notification_preferences")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_runs_started_at"))
        batch_op.drop_index("ix_job_runs_job_started")

    op.drop_table("job_runs")
