"""Agreements: terms versions, approvals, signatures, reports, evaluations and history.

Revision ID: b2a9e7c0a001
Revises: a1f0c0de0001
Create Date: 2026-11-26 13:30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mutualisation.db

revision = "b2a9e7c0a001"
down_revision = "a1f0c0de0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("provider_territory_id", sa.Integer(), nullable=False),
        sa.Column("provider_actor_id", sa.Integer(), nullable=True),
        sa.Column("beneficiary_territory_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_actor_id", sa.Integer(), nullable=True),
        sa.Column("author_side", sa.String(length=12), nullable=False),
        sa.Column("last_proposer_side", sa.String(length=12), nullable=True),
        sa.Column("terms_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("approved_terms_version", sa.Integer(), nullable=True),
        sa.Column("convention_generated_at", mutualisation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("extension_requested_by", sa.String(length=12), nullable=True),
        sa.Column("extension_ends_on", sa.Date(), nullable=True),
        sa.Column("extension_beyond_approval", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("extended_ends_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approval_reminded_at", mutualisation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reminded_at", mutualisation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_notified_at", mutualisation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("evaluation_requested_at", mutualisation.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "author_side IN ('provider', 'beneficiary')", name=op.f("ck_agreements_author_side")
        ),
        sa.CheckConstraint("kind IN ('loan', 'service', 'know_how')", name=op.f("ck_agreements_kind")),
        sa.CheckConstraint(
            "status IN ('draft', 'proposed', 'negotiating', 'accepted', 'pending_approval', 'approved', 'signed', 'in_progress', 'returned', 'completed', 'evaluated', 'refused', 'withdrawn', 'expired', 'cancelled')",
            name=op.f("ck_agreements_status"),
        ),
        sa.CheckConstraint(
            "offer_id IS NOT NULL OR need_id IS NOT NULL", name=op.f("ck_agreements_has_listing")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_actor_id"], ["users.id"], name=op.f("fk_agreements_beneficiary_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_territory_id"],
            ["territories.id"],
            name=op.f("fk_agreements_beneficiary_territory_id_territories"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_agreements_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["listings.id"], name=op.f("fk_agreements_need_id_listings"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["listings.id"], name=op.f("fk_agreements_offer_id_listings"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["provider_actor_id"], ["users.id"], name=op.f("fk_agreements_provider_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_territory_id"],
            ["territories.id"],
            name=op.f("fk_agreements_provider_territory_id_territories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreements_beneficiary_actor_id"), ["beneficiary_actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreements_beneficiary_territory_id"), ["beneficiary_territory_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agreements_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agreements_provider_actor_id"), ["provider_actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreements_provider_territory_id"), ["provider_territory_id"], unique=False
        )
        batch_op.create_index("ix_agreements_status_updated", ["status", "updated_at"], unique=False)

    op.create_table(
        "agreement_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=True),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decision_reference", sa.String(length=200), nullable=True),
        sa.Column("at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("decision IN ('approve', 'refuse')", name=op.f("ck_agreement_approvals_decision")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_approvals_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["users.id"],
            name=op.f("fk_agreement_approvals_official_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_agreement_approvals_territory_id_territories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_approvals")),
        sa.UniqueConstraint(
            "agreement_id", "territory_id", name=op.f("uq_agreement_approvals_agreement_id_territory_id")
        ),
    )
    with op.batch_alter_table("agreement_approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_approvals_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "agreement_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=False),
        sa.Column("money_saved_eur", sa.Float(), nullable=True),
        sa.Column("kg_diverted", sa.Float(), nullable=True),
        sa.Column("km_travelled", sa.Float(), nullable=True),
        sa.Column("vehicle", sa.String(length=10), nullable=True),
        sa.Column("lessons_learned", sa.Text(), nullable=True),
        sa.Column("co2e_avoided_kg", sa.Float(), server_default="0", nullable=False),
        sa.Column("co2e_transport_kg", sa.Float(), server_default="0", nullable=False),
        sa.Column("co2e_net_kg", sa.Float(), server_default="0", nullable=False),
        sa.Column("method_fr", sa.Text(), server_default="", nullable=False),
        sa.Column("method_en", sa.Text(), server_default="", nullable=False),
        sa.Column("at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "satisfaction BETWEEN 1 AND 5", name=op.f("ck_agreement_evaluations_satisfaction")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_evaluations_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_agreement_evaluations_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_evaluations")),
        sa.UniqueConstraint("agreement_id", "side", name=op.f("uq_agreement_evaluations_agreement_id_side")),
    )
    with op.batch_alter_table("agreement_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_evaluations_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "agreement_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("terms_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_agreement_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_events_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_events")),
    )
    with op.batch_alter_table("agreement_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_events_agreement_id"), ["agreement_id"], unique=False)

    op.create_table(
        "agreement_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("side", sa.String(length=12), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("photo_path", sa.String(length=300), nullable=True),
        sa.Column("at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('handover', 'incident', 'return')", name=op.f("ck_agreement_reports_kind")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_reports_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agreement_reports_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_reports")),
    )
    with op.batch_alter_table("agreement_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_reports_agreement_id"), ["agreement_id"], unique=False)

    op.create_table(
        "agreement_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("side IN ('provider', 'beneficiary')", name=op.f("ck_agreement_signatures_side")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_signatures_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agreement_signatures_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_signatures")),
        sa.UniqueConstraint("agreement_id", "side", name=op.f("uq_agreement_signatures_agreement_id_side")),
    )
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_signatures_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "agreement_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("logistics", sa.String(length=10), nullable=True),
        sa.Column("conditions", sa.String(length=20), nullable=True),
        sa.Column("deposit_eur", sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
        sa.Column("insurance_required", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("proposed_by_side", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mutualisation.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('loan', 'service', 'know_how')", name=op.f("ck_agreement_terms_kind")),
        sa.CheckConstraint(
            "deposit_eur IS NULL OR deposit_eur >= 0", name=op.f("ck_agreement_terms_deposit_not_negative")
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_agreement_terms_period_order"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_terms_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_agreement_terms_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_terms")),
        sa.UniqueConstraint("agreement_id", "version", name=op.f("uq_agreement_terms_agreement_id_version")),
    )
    with op.batch_alter_table("agreement_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_terms_agreement_id"), ["agreement_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agreement_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_terms_agreement_id"))

    op.drop_table("agreement_terms")
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_signatures_agreement_id"))

    op.drop_table("agreement_signatures")
    with op.batch_alter_table("agreement_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_reports_agreement_id"))

    op.drop_table("agreement_reports")
    with op.batch_alter_table("agreement_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_events_agreement_id"))

    op.drop_table("agreement_events")
    with op.batch_alter_table("agreement_evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_evaluations_agreement_id"))

    op.drop_table("agreement_evaluations")
    with op.batch_alter_table("agreement_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_approvals_agreement_id"))

    op.drop_table("agreement_approvals")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index("ix_agreements_status_updated")
        batch_op.drop_index(batch_op.f("ix_agreements_provider_territory_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_provider_actor_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_offer_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_need_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_beneficiary_territory_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_beneficiary_actor_id"))

    op.drop_table("agreements")
