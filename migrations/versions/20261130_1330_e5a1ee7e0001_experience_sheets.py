"""Experience sheets: sheets, revisions, reactions, links to agreements, and their text search.

PostgreSQL gets the `unaccent` extension (search ignores accents); SQLite gets an FTS5 table
`fts_sheets` with the `unicode61 remove_diacritics 2` tokenizer (now searched through mutualisation/fulltext.py).

Revision ID: e5a1ee7e0001
Revises: d4e5f6a70001
Create Date: 2026-11-30 13:30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e5a1ee7e0001"
down_revision = "e1c0me000001"
branch_labels = None
depends_on = None


def _sheets() -> None:
    op.create_table(
        "sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), server_default="draft", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("licence", sa.String(length=40), server_default="CC-BY-SA-4.0", nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        *[
            sa.Column(name, sa.Text(), server_default="", nullable=False)
            for name in (
                "context",
                "what_shared",
                "method",
                "success_conditions",
                "pitfalls",
                "results_text",
                "contacts",
                "search_document",
            )
        ],
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_sheets_status")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_sheets_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_sheets_published_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"], name=op.f("fk_sheets_territory_id_territories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheets")),
    )
    op.create_index(op.f("ix_sheets_author_id"), "sheets", ["author_id"])
    op.create_index(op.f("ix_sheets_territory_id"), "sheets", ["territory_id"])
    op.create_index("ix_sheets_status_published", "sheets", ["status", "published_at"])


def _children() -> None:
    op.create_table(
        "sheet_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_role", sa.String(length=20), server_default="", nullable=False),
        sa.Column("author_territory_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_sheet_revisions_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["author_territory_id"],
            ["territories.id"],
            name=op.f("fk_sheet_revisions_author_territory_id_territories"),
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["sheets.id"], name=op.f("fk_sheet_revisions_sheet_id_sheets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_revisions")),
        sa.UniqueConstraint("sheet_id", "version", name=op.f("uq_sheet_revisions_sheet_id_version")),
    )
    op.create_index(op.f("ix_sheet_revisions_sheet_id"), "sheet_revisions", ["sheet_id"])
    op.create_table(
        "sheet_reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=15), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("sheet_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('reuse', 'comment', 'contradiction')", name=op.f("ck_sheet_reactions_kind")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_sheet_reactions_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["sheets.id"], name=op.f("fk_sheet_reactions_sheet_id_sheets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_sheet_reactions_territory_id_territories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_reactions")),
    )
    op.create_index(op.f("ix_sheet_reactions_sheet_id"), "sheet_reactions", ["sheet_id"])
    op.create_table(
        "sheet_agreements",
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_sheet_agreements_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["sheets.id"], name=op.f("fk_sheet_agreements_sheet_id_sheets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sheet_id", "agreement_id", name=op.f("pk_sheet_agreements")),
    )
    op.create_index(op.f("ix_sheet_agreements_agreement_id"), "sheet_agreements", ["agreement_id"])


def upgrade() -> None:
    _sheets()
    _children()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")  # one per database, named in full later
    else:
        # Kept in the migration's own words (not imported) so that it never changes after release.
        op.execute(
            "CREATE VIRTUAL TABLE fts_sheets USING fts5(document, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS fts_sheets")
    # The unaccent extension stays: other objects of the database may use it.
    op.drop_table("sheet_agreements")
    op.drop_table("sheet_reactions")
    op.drop_table("sheet_revisions")
    op.drop_table("sheets")
