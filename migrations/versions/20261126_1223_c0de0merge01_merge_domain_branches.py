"""Merge the domain branches (notifications, suggestions, listing terms, agreements) into one head.

Revision ID: c0de0merge01
Revises: b2c0de0n0t1f, b7e3a1c40002, b15e7a1e0001, b2a9e7c0a001
Create Date: 2026-11-26 12:23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = 'c0de0merge01'
down_revision = ('b2c0de0n0t1f', 'b7e3a1c40002', 'b15e7a1e0001', 'b2a9e7c0a001')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
