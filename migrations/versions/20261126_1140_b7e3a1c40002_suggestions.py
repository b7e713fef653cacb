"""Suggestions: offer ↔ need pairs from the matching engine, with their status and breakdown.

Revision ID: b7e3a1c40002
Revises: a1f0c0de0001
Create Date: 2026-11-26 11:40:44.174151
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = 'b7e3a1c40002'
down_revision = 'a1f0c0de0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('distance_km', sa.Float(), nullable=False),
    sa.Column('offer_rank', sa.Integer(), nullable=True),
    sa.Column('need_rank', sa.Integer(), nullable=True),
    sa.Column('breakdown', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('dismiss_reason', sa.String(length=30), nullable=True),
    sa.Column('dismiss_text', sa.Text(), nullable=True),
    sa.Column('offer_fingerprint', sa.String(length=32), server_default='', nullable=False),
    sa.Column('need_fingerprint', sa.String(length=32), server_default='', nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('created_at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', mutualisation.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'accepted', 'dismissed', 'stale')", name=op.f('ck_suggestions_status')),
    sa.ForeignKeyConstraint(['need_id'], ['listings.id'], name=op.f('fk_suggestions_need_id_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offer_id'], ['listings.id'], name=op.f('fk_suggestions_offer_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestions')),
    sa.UniqueConstraint('offer_id', 'need_id', name='uq_suggestions_offer_need')
    )
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_suggestions_need_id', ['need_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestions_need_id')

    op.drop_table('suggestions')
