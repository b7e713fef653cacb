"""Full-text search on the databases' own engines for listings and sheets (the word index goes),
and saved searches (alerts).

PostgreSQL: the `unaccent` and `pg_trgm` extensions, `mutu_unaccent` (unaccent declared
IMMUTABLE so that an index may use it), a GIN index on the French tsvector of each document,
and a vocabulary table per searched table (`fts_<table>_vocab`, kept by triggers, GIN trigram
index) for the typo fallback.
SQLite: an external-content FTS5 table `fts_listings` kept by triggers on `listings`, and an
`fts5vocab` view of each FTS table. See mutualisation/fulltext.py.

Kept in the migration's own words (nothing imported) so that it never changes after release.

Revision ID: 5ea4c0000001
Revises: c0vd0a000001
Create Date: 2026-11-30 17:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "5ea4c0000001"
down_revision = "c0vd0a000001"
branch_labels = None
depends_on = None

# (table, document column) of each searched table.
DOCUMENTS = (("listings", "search_text"), ("sheets", "search_document"))

UNACCENT = """
CREATE OR REPLACE FUNCTION mutu_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""

# The words of new or changed documents join the vocabulary; none ever leaves (a stale word
# only makes a correction that finds nothing). `{rows}`: the statement's rows to read.
VOCABULARY_FUNCTION = """
CREATE OR REPLACE FUNCTION fts_{table}_vocab_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fts_{table}_vocab (word)
    SELECT DISTINCT w FROM {rows},
        unnest(tsvector_to_array(to_tsvector('simple', mutu_unaccent(new_rows.{column})))) AS w
    WHERE length(w) BETWEEN 4 AND 60 AND w !~ '^[0-9]+$'
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
"""
# An UPDATE trigger with transition tables cannot name its columns (UPDATE OF), and most updates
# of a listing (status, version, a job's bulk change) leave its text alone: only the rows whose
# document changed are read.
CHANGED_ROWS = (
    "new_rows JOIN old_rows ON old_rows.id = new_rows.id "
    "AND old_rows.{column} IS DISTINCT FROM new_rows.{column}"
)

SQLITE_TRIGGERS = (
    """CREATE TRIGGER fts_listings_insert AFTER INSERT ON listings BEGIN
        INSERT INTO fts_listings (rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER fts_listings_delete AFTER DELETE ON listings BEGIN
        INSERT INTO fts_listings (fts_listings, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER fts_listings_update AFTER UPDATE OF search_text ON listings BEGIN
        INSERT INTO fts_listings (fts_listings, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO fts_listings (rowid, search_text) VALUES (new.id, new.search_text);
    END""",
)


def _postgres_upgrade() -> None:
    # In `public`, named in full below: the schema may have its own search_path (a private schema
    # per application, or per test), and an extension lives once per database.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.execute(UNACCENT)
    for name, column in DOCUMENTS:
        op.execute(
            f"CREATE INDEX fts_{name}_tsv ON {name} "
            f"USING gin (to_tsvector('french'::regconfig, mutu_unaccent({column})))"
        )
        op.execute(f"CREATE TABLE fts_{name}_vocab (word text PRIMARY KEY)")
        op.execute(f"CREATE INDEX fts_{name}_vocab_trgm ON fts_{name}_vocab USING gin (word public.gin_trgm_ops)")
        changed = CHANGED_ROWS.format(column=column)
        op.execute(VOCABULARY_FUNCTION.format(table=name, name="add", rows="new_rows", column=column))
        op.execute(VOCABULARY_FUNCTION.format(table=name, name="changed", rows=changed, column=column))
        # Inserts by statement (a bulk load reads its rows once); updates only when the text changed.
        op.execute(
            f"CREATE TRIGGER fts_{name}_vocab_insert AFTER INSERT ON {name} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION fts_{name}_vocab_add()"
        )
        op.execute(
            f"CREATE TRIGGER fts_{name}_vocab_update AFTER UPDATE ON {name} "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION fts_{name}_vocab_changed()"
        )
        op.execute(
            f"INSERT INTO fts_{name}_vocab (word) SELECT DISTINCT w FROM {name}, "
            f"unnest(tsvector_to_array(to_tsvector('simple', mutu_unaccent({column})))) AS w "
            "WHERE length(w) BETWEEN 4 AND 60 AND w !~ '^[0-9]+$' ON CONFLICT DO NOTHING"
        )


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE fts_listings USING fts5(search_text, content = 'listings', "
        "content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2')"
    )
    for trigger in SQLITE_TRIGGERS:
        op.execute(trigger)
    op.execute("INSERT INTO fts_listings (fts_listings) VALUES ('rebuild')")
    op.execute("CREATE VIRTUAL TABLE fts_listings_vocab USING fts5vocab(fts_listings, row)")
    op.execute("CREATE VIRTUAL TABLE fts_sheets_vocab USING fts5vocab(fts_sheets, row)")


def _saved_searches() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_searches_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index(op.f("ix_saved_searches_user_id"), "saved_searches", ["user_id"])


def upgrade() -> None:
    _saved_searches()
    op.drop_table("listing_terms")
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def _restore_word_index() -> None:
    op.create_table(
        "listing_terms",
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_listing_terms_listing_id_listings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("term", "listing_id", name=op.f("pk_listing_terms")),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, search_text FROM listings")).all()
    terms = {
        (word[:60], listing_id)
        for listing_id, text in rows
        for word in re.split(r"\s+", text or "")
        if len(word) >= 2
    }
    if terms:
        bind.execute(
            sa.text("INSERT INTO listing_terms (term, listing_id) VALUES (:term, :listing_id)"),
            [{"term": t, "listing_id": i} for t, i in sorted(terms)],
        )


def downgrade() -> None:
    op.drop_table("saved_searches")
    if op.get_bind().dialect.name == "postgresql":
        for name, _column in DOCUMENTS:
            op.execute(f"DROP TRIGGER IF EXISTS fts_{name}_vocab_insert ON {name}")
            op.execute(f"DROP TRIGGER IF EXISTS fts_{name}_vocab_update ON {name}")
            op.execute(f"DROP FUNCTION IF EXISTS fts_{name}_vocab_add()")
            op.execute(f"DROP FUNCTION IF EXISTS fts_{name}_vocab_changed()")
            op.execute(f"DROP TABLE IF EXISTS fts_{name}_vocab")
            op.execute(f"DROP INDEX IF EXISTS fts_{name}_tsv")
        op.execute("DROP FUNCTION IF EXISTS mutu_unaccent(text)")
        # The extensions stay: other objects of the database may use them.
    else:
        op.execute("DROP TABLE IF EXISTS fts_sheets_vocab")
        op.execute("DROP TABLE IF EXISTS fts_listings_vocab")
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS fts_listings_{trigger}")
        op.execute("DROP TABLE IF EXISTS fts_listings")
    _restore_word_index()
