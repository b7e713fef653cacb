"""Full-text search with the databases' own engines, for any table: listings and experience sheets.

Infrastructure: it knows no domain. A `TextIndex` names a table, its id column and the plain-text
"document" column the domain keeps; `matching(session, index, query)` returns a SQL condition on
the id column, true for the rows whose document holds every word of the query (or None when the
query has no searchable word). The indexes themselves are built by the migrations
(`5ea4c0000001`, `f75d0c000001`), kept in the migrations' own words:

- PostgreSQL: a stored generated column `fts_document`, `to_tsvector('french'::regconfig,
  mutu_unaccent(document))`, with a GIN index (`mutu_unaccent` is `unaccent` declared IMMUTABLE,
  so that a generated column may use it). Each query word is folded (no accents) and matched as
  a French stem prefix: "broyeurs" finds "broyeur".
- SQLite: an FTS5 table `fts_<table>` (`unicode61 remove_diacritics 2`). FTS5 does not stem, so
  each word is cut to its French Snowball stem and matched as a prefix, which gives the same
  answers for plural and verb forms.

Typos: a query word that matches nothing at all is replaced by the nearest words of the index's
vocabulary (`search_words.closest`: one or two typos, swaps included), so "eapreuse" finds
"épareuse" (on SQLite, only words with the same first letter are candidates: see `_vocabulary`).
The vocabulary is `fts_<table>_vocab`: on SQLite an `fts5vocab` view of the FTS table, on
PostgreSQL a table of words kept by triggers and searched with `pg_trgm` similarity.

Relevance (`TextQuery.ranked`): PostgreSQL's `ts_rank` on the stored vector, SQLite's FTS5 BM25.

Tables, columns, indexes and triggers named `fts_*` belong to this module: the drift check skips them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, column, delete, false, func, insert, literal_column, select, table
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from .search_words import MAX_WORD, closest, query_words

FTS_PREFIX = "fts_"
# Rows of the vocabulary read for one mistyped word: the nearest by trigrams on PostgreSQL.
MAX_CANDIDATES = 200
# Stems shorter than this are too common a beginning to match as prefixes (`_stem_prefixes`).
MIN_STEM_PREFIX = 4
PG_VECTOR = "fts_document"  # PostgreSQL: each searched table's stored tsvector column


@dataclass(frozen=True)
class TextIndex:
    table: str
    id_column: ColumnElement[Any]
    document_column: ColumnElement[Any]
    # The FTS5 table's column: the document column itself for an external-content table.
    fts_column: str = "document"

    @property
    def fts_table(self) -> str:
        return f"{FTS_PREFIX}{self.table}"

    @property
    def vocabulary_table(self) -> str:
        return f"{FTS_PREFIX}{self.table}_vocab"

    def fts(self) -> Any:
        """The SQLite FTS5 table as a Core construct: names are quoted, never pasted into SQL."""
        return table(self.fts_table, column("rowid"), column(self.fts_column), column("rank"))


def is_search_table(name: str | None) -> bool:
    return bool(name and name.startswith(FTS_PREFIX))


@cache
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("french")


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _stem_prefixes(word: str, stem: str) -> bool:
    """Whether the word's stem may stand as a prefix: not when the stemmer cut a longer word down to
    a few letters, which begin unrelated words ("caméra" → "cam", which would find "camion";
    "benne" → "ben", "bénévole"). Such a word finds its own forms (SQLite: the word as a prefix;
    PostgreSQL: its stem exactly). A word typed as short as its stem keeps prefix matching ("cam")."""
    return stem == word or len(stem) >= MIN_STEM_PREFIX


def fts5_query(groups: list[list[str]]) -> str:
    """An FTS5 expression: each group's words and their stems quoted and prefix-matched, OR-ed;
    groups AND-ed.

    The words come from `search_words.query_words` (letters and digits only); quoting still keeps
    anything FTS5 could read as an operator ("NOT", "*") a plain word.
    """
    parts = []
    for group in groups:
        # The word itself too: a stem is not always a prefix of its forms ("vegetaux" → "vegetal").
        stems = [
            stem
            for word, stem in zip(group, _stemmer().stemWords(group), strict=True)
            if _stem_prefixes(word, stem)
        ]
        terms = sorted({t.replace(chr(34), "") for t in [*stems, *group] if t})
        if terms:
            parts.append("(" + " OR ".join(f'"{t}"*' for t in terms) + ")")
    return " AND ".join(parts)


def tsquery_text(groups: list[list[str]]) -> str:
    """The same expression for PostgreSQL's `to_tsquery('french', …)`, which stems by itself."""
    parts = []
    for group in groups:
        words = [w.replace("'", "") for w in group if w]
        stems = _stemmer().stemWords(words)
        # Without `:*` PostgreSQL matches the word's stem exactly: its forms, not every word it begins.
        terms = [f"'{w}'" + (":*" if _stem_prefixes(w, s) else "") for w, s in zip(words, stems, strict=True)]
        if terms:
            parts.append("(" + " | ".join(terms) + ")")
    return " & ".join(parts)


def _french() -> Any:
    # A literal, not a parameter: `to_tsquery` with a known configuration is folded once per query.
    return literal_column("'french'::regconfig")


def _pg_document(index: TextIndex) -> Any:
    # The stored vector of the document (`to_tsvector('french', mutu_unaccent(document))`, a generated
    # column no model declares): matching reads its GIN index, ranking reads it instead of
    # recomputing it row by row. The table's name is the module's own constant, never user text.
    return literal_column(f"{index.table}.{PG_VECTOR}")


def _condition(session: Session, index: TextIndex, groups: list[list[str]], name: str) -> ColumnElement[bool]:
    if _is_postgres(session):
        return _pg_document(index).op("@@")(_pg_query(groups, name))
    expression = fts5_query(groups)
    if not expression:
        return index.id_column.is_(None)  # nothing searchable: nothing matches
    fts = index.fts()
    hits = select(fts.c.rowid).where(fts.c[index.fts_column].op("MATCH")(bindparam(name, expression)))
    return index.id_column.in_(hits)


def _pg_query(groups: list[list[str]], name: str) -> Any:
    return func.to_tsquery(_french(), bindparam(name, tsquery_text(groups)))


def _ranked(
    session: Session, index: TextIndex, groups: list[list[str]], conditions: tuple[Any, ...]
) -> Select[Any]:
    """(id, relevance) of every matching row that meets `conditions` (on the index's table), higher
    relevance first: the engines' own ranking.

    PostgreSQL: `ts_rank` of the stored vector against the query, divided by 1 + the log of the
    document's length (normalisation 1), so that a word in a short text weighs more; it reads the
    table once, matching and ranking. SQLite: FTS5's `rank`, its BM25 (negative, lower is better:
    negated here), which weighs a rare word more than a common one and normalises by length too;
    the FTS table, joined, selects the rows. The two do not give the same numbers, only the same
    kind of order: many occurrences of rare words in a short text first."""
    if _is_postgres(session):
        document, wanted = _pg_document(index), _pg_query(groups, "fts_query")
        relevance = func.ts_rank(document, wanted, 1)
        query = select(index.id_column.label("id"), relevance.label("relevance"))
        return query.where(document.op("@@")(wanted), *conditions)
    fts = index.fts()
    expression = fts5_query(groups)
    query = select(index.id_column.label("id"), (-fts.c.rank).label("relevance"))
    query = query.join_from(index.id_column.table, fts, fts.c.rowid == index.id_column).where(*conditions)
    if not expression:  # nothing searchable: nothing matches (FTS5 refuses an empty expression)
        return query.where(false())
    return query.where(fts.c[index.fts_column].op("MATCH")(bindparam("fts_query", expression)))


def _has_hits(session: Session, index: TextIndex, word: str) -> bool:
    condition = _condition(session, index, [[word]], "fts_word")
    return session.execute(select(index.id_column).where(condition).limit(1)).first() is not None


def _vocabulary(session: Session, index: TextIndex, word: str) -> list[str]:
    """Words of the index that may be what `word` was meant to be (checked by `closest`)."""
    size = func.length(column("term" if not _is_postgres(session) else "word"))
    lengths: tuple[Any, Any] = (bindparam("lo", len(word) - 2), bindparam("hi", len(word) + 2))
    if _is_postgres(session):
        words = table(index.vocabulary_table, column("word"))
        query = (
            select(words.c.word)
            .where(words.c.word.op("OPERATOR(public.%)")(bindparam("typo", word)), size.between(*lengths))
            .order_by(func.public.similarity(words.c.word, bindparam("typo", word)).desc())
            .limit(MAX_CANDIDATES)
        )
        return [str(w)[:MAX_WORD] for w in session.scalars(query)]
    # fts5vocab counts each term's rows as it reads it: reading the whole vocabulary costs a tenth
    # of a second at 100,000 listings, the terms of one first letter a few milliseconds. So on
    # SQLite a typo is corrected after the first letter only (PostgreSQL corrects it anywhere).
    terms = table(index.vocabulary_table, column("term"))
    first = word[0]
    query = select(terms.c.term).where(
        terms.c.term >= first, terms.c.term < chr(ord(first) + 1), size.between(*lengths)
    )
    return [str(w)[:MAX_WORD] for w in session.scalars(query)]


def corrected(session: Session, index: TextIndex, words: list[str]) -> list[list[str]]:
    """Each word as it is when the index knows it, else the nearest words it knows (if any)."""
    groups = []
    for word in words:
        if _has_hits(session, index, word):
            groups.append([word])
        else:
            groups.append(closest(word, _vocabulary(session, index, word)) or [word])
    return groups


@dataclass(frozen=True)
class TextQuery:
    """A query's words, each as the index knows it or its corrections (`corrected`), once: the
    condition and the ranking read the same words."""

    index: TextIndex
    groups: list[list[str]]

    def condition(self, session: Session) -> ColumnElement[bool]:
        """True on `index.id_column` for the rows holding every word."""
        return _condition(session, self.index, self.groups, "fts_query")

    def ranked(self, session: Session, *conditions: Any) -> Select[Any]:
        """The matching rows that meet `conditions`, as (id, relevance), higher first (`_ranked`)."""
        return _ranked(session, self.index, self.groups, conditions)


def text_query(
    session: Session, index: TextIndex, query: str | None, *, forgiving: bool = True
) -> TextQuery | None:
    """The query's words for `index` (typos forgiven unless `forgiving` is false); None when it
    has no word to look for."""
    words = query_words(query)
    if not words:
        return None
    groups = corrected(session, index, words) if forgiving else [[w] for w in words]
    return TextQuery(index, groups)


def matching(
    session: Session, index: TextIndex, query: str | None, *, forgiving: bool = True
) -> ColumnElement[bool] | None:
    """A condition on `index.id_column`, true for the rows whose document holds every word of
    `query` (typos forgiven unless `forgiving` is false); None when the query has no word."""
    found = text_query(session, index, query, forgiving=forgiving)
    return None if found is None else found.condition(session)


def reindex(session: Session, index: TextIndex, row_id: int, document: str) -> None:
    """Keep a SQLite FTS table without triggers in step with a row's document (PostgreSQL and the
    trigger-kept tables need nothing)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    fts = index.fts()
    session.execute(delete(fts).where(fts.c.rowid == row_id))
    session.execute(insert(fts).values({"rowid": row_id, index.fts_column: document}))
