"""PostgreSQL keeps each searched document's French tsvector in a stored generated column
(`fts_document`), indexed by GIN, instead of an index on the expression.

Ranking a text search (`ts_rank`) reads the vector of every matching row: computed from the text,
each costs a `to_tsvector` (at 100,000 listings, a word matching 1,360 of them took 61 ms instead
of 22 ms unranked); stored, it is read. Matching reads the same column, so the expression index
goes. SQLite is unchanged: its FTS5 table already stores what it ranks with (see
mutualisation/fulltext.py).

Kept in the migration's own words (nothing imported) so that it never changes after release.

Revision ID: f75d0c000001
Revises: c47c40000001
Create Date: 2026-12-02 15:00
"""

from __future__ import annotations

from alembic import op

revision = "f75d0c000001"
down_revision = "c47c40000001"
branch_labels = None
depends_on = None

# (table, document column) of each searched table.
DOCUMENTS = (("listings", "search_text"), ("sheets", "search_document"))
VECTOR = "to_tsvector('french'::regconfig, mutu_unaccent({column}))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in DOCUMENTS:
        vector = VECTOR.format(column=column)
        op.execute(f"ALTER TABLE {table} ADD COLUMN fts_document tsvector GENERATED ALWAYS AS ({vector}) STORED")
        op.execute(f"CREATE INDEX fts_{table}_document ON {table} USING gin (fts_document)")
        op.execute(f"DROP INDEX IF EXISTS fts_{table}_tsv")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in DOCUMENTS:
        op.execute(f"CREATE INDEX fts_{table}_tsv ON {table} USING gin ({VECTOR.format(column=column)})")
        op.execute(f"ALTER TABLE {table} DROP COLUMN fts_document")  # its index goes with it
