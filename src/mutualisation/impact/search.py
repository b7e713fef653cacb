"""Full-text search with the database's own engine, accents and French word forms ignored.

Reusable by any domain (experience sheets use it first; listings can reuse it, issue 12): a
`TextIndex` names a table, its id column and a plain-text "document" column the domain keeps up
to date, and `matching_ids(index, query)` returns a SQL condition selecting the rows that match.

- PostgreSQL: `to_tsvector('french', unaccent(document)) @@ plainto_tsquery('french', unaccent(q))`
  (the `unaccent` extension is created by the migration). The French configuration stems both
  sides, so "réemployés" finds "réemploi". The expression is computed at query time: sheets are
  counted in thousands, not millions; a larger table adds an index on an IMMUTABLE wrapper.
- SQLite: an FTS5 table `fts_<table>` with the `unicode61 remove_diacritics 2` tokenizer, kept
  in step by `reindex`. FTS5 does not stem, so each query word is cut to its French Snowball stem
  and matched as a prefix, which gives the same answers for plural and verb forms.

Tables named `fts_*` are the search module's: the migrations' drift check skips them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, column, delete, func, insert, select, table
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

FTS_PREFIX = "fts_"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class TextIndex:
    table: str
    id_column: ColumnElement[Any]
    document_column: ColumnElement[Any]

    @property
    def fts_table(self) -> str:
        return f"{FTS_PREFIX}{self.table}"

    def fts(self):
        """The SQLite FTS5 table as a Core construct: names are quoted, never pasted into SQL."""
        return table(self.fts_table, column("rowid"), column("document"))


def is_search_table(name: str | None) -> bool:
    return bool(name and name.startswith(FTS_PREFIX))


@cache
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("french")


def fts5_query(query: str) -> str:
    """A safe FTS5 expression: each word stemmed, quoted and prefix-matched, all words required.

    Quoting keeps FTS5 operators typed by a user ("NOT", "*", quotes) from being interpreted.
    """
    words = [w for w in _WORD.findall(query.lower()) if w]
    stems = _stemmer().stemWords(words)
    terms = [f'"{stem.replace(chr(34), "")}"*' for stem in stems if stem]
    return " AND ".join(terms)


def matching_ids(session: Session, index: TextIndex, query: str) -> ColumnElement[bool]:
    """A condition on `index.id_column` true for the rows whose document matches `query`."""
    if session.get_bind().dialect.name == "postgresql":
        document = func.to_tsvector("french", func.unaccent(index.document_column))
        wanted = func.plainto_tsquery("french", func.unaccent(bindparam("fts_query", query)))
        return document.op("@@")(wanted)
    expression = fts5_query(query)
    if not expression:
        return index.id_column.is_(None)  # nothing searchable typed: nothing matches
    fts = index.fts()
    hits = select(fts.c.rowid).where(fts.c.document.op("MATCH")(bindparam("fts_query", expression)))
    return index.id_column.in_(hits)


def reindex(session: Session, index: TextIndex, row_id: int, document: str) -> None:
    """Keep the SQLite FTS table in step with a row's document (PostgreSQL reads the column)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    fts = index.fts()
    session.execute(delete(fts).where(fts.c.rowid == row_id))
    session.execute(insert(fts).values(rowid=row_id, document=document))
