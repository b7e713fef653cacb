"""Conventions a legal service recognises: approvals carry their decision (kind, number, date,
document), signatures are traced (method, SHA-256 of the PDF signed), the signed convention is
frozen with its fingerprint, and amendments (avenants) are approved and signed again.

Revision ID: c0e9a1000001
Revises: e1b10b5a0001
Create Date: 2026-11-30 17:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = "c0e9a1000001"
down_revision = "e1b10b5a0001"
branch_labels = None
depends_on = None

_DECISION_KINDS = "decision_kind IS NULL OR decision_kind IN ('deliberation', 'arrete', 'delegation')"
_METHODS = "method IN ('upload', 'in_app')"


def upgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amendment", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("convention_pdf_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("convention_pdf_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("convention_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("convention_frozen_at", mutualisation.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("agreement_approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("decision_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("decision_document_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("amendment", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint(op.f("uq_agreement_approvals_agreement_id_territory_id"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_agreement_approvals_agreement_id_territory_id_amendment"),
            ["agreement_id", "territory_id", "amendment"],
        )
        batch_op.create_check_constraint(op.f("ck_agreement_approvals_decision_kind"), _DECISION_KINDS)
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method", sa.String(length=10), server_default="in_app", nullable=False))
        batch_op.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("document_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("convention_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("amendment", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint(op.f("uq_agreement_signatures_agreement_id_side"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_agreement_signatures_agreement_id_side_amendment"), ["agreement_id", "side", "amendment"]
        )
        batch_op.create_check_constraint(op.f("ck_agreement_signatures_method"), _METHODS)


def downgrade() -> None:
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_agreement_signatures_method"), type_="check")
        batch_op.drop_constraint(op.f("uq_agreement_signatures_agreement_id_side_amendment"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_agreement_signatures_agreement_id_side"), ["agreement_id", "side"])
        for name in ("amendment", "convention_sha256", "document_key", "pdf_sha256", "method"):
            batch_op.drop_column(name)
    with op.batch_alter_table("agreement_approvals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_agreement_approvals_decision_kind"), type_="check")
        batch_op.drop_constraint(op.f("uq_agreement_approvals_agreement_id_territory_id_amendment"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_agreement_approvals_agreement_id_territory_id"), ["agreement_id", "territory_id"]
        )
        for name in ("amendment", "decision_document_key", "decision_date", "decision_kind"):
            batch_op.drop_column(name)
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        for name in (
            "convention_frozen_at",
            "convention_sha256",
            "convention_pdf_sha256",
            "convention_pdf_key",
            "amendment",
        ):
            batch_op.drop_column(name)
