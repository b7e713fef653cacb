"""Conversations and their messages; the qualified operator requirement in agreement terms.

Revision ID: c0vd0a000001
Revises: e1b10b5a0001
Create Date: 2026-11-30 17:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = "c0vd0a000001"
down_revision = "b00c1ng00001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_terms") as batch:
        batch.add_column(
            sa.Column("qualified_operator_required", sa.Boolean(), server_default="0", nullable=False)
        )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("asker_territory_id", sa.Integer(), nullable=True),
        sa.Column("asker_actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(listing_id IS NULL) <> (agreement_id IS NULL)",
            name=op.f("ck_conversations_about_one_listing_or_one_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_conversations_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asker_actor_id"], ["users.id"], name=op.f("fk_conversations_asker_actor_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["asker_territory_id"], ["territories.id"], name=op.f("fk_conversations_asker_territory_id_territories")
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_conversations_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("topic", name=op.f("uq_conversations_topic")),
    )
    for column in ("listing_id", "agreement_id", "asker_territory_id", "asker_actor_id", "last_message_at"):
        op.create_index(op.f(f"ix_conversations_{column}"), "conversations", [column])
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_territory_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_conversation_messages_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["author_territory_id"],
            ["territories.id"],
            name=op.f("fk_conversation_messages_author_territory_id_territories"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
    )
    op.create_index(
        op.f("ix_conversation_messages_conversation_id"), "conversation_messages", ["conversation_id"]
    )


def downgrade() -> None:
    op.drop_table("conversation_messages")
    op.drop_table("conversations")
    with op.batch_alter_table("agreement_terms") as batch:
        batch.drop_column("qualified_operator_required")
