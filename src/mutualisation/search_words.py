"""The words of a search, and how close a mistyped word is to a known one. Pure: no database.

`fulltext.py` asks the database which words match; this module decides what a query's words
are (folded: lower case, no accents, no ligatures; the commonest French and English words
dropped) and which known words a typo stands for (optimal string alignment distance: one
insertion, deletion, substitution or swap of two neighbours costs one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Letters that NFKD does not decompose but that people type without the ligature.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ß": "ss"})
_WORD = re.compile(r"[0-9a-z]+")
# Too common to help a search, and dropped by PostgreSQL's French configuration anyway: skipped
# on both databases so that both give the same answers.
_STOPWORDS_FR = (
    "a au aux avec ce ces dans de des du en et la le les leur mais ou par pas pour sa se ses son sur un une"
)
STOPWORDS = frozenset(_STOPWORDS_FR.split()) | {
    "an",
    "and",
    "for",
    "in",
    "of",
    "on",
    "or",
    "the",
    "to",
    "with",
}
MAX_WORDS = 8
MAX_WORD = 60
# Typos are only corrected in words long enough for a correction to mean something.
MIN_FUZZY = 4


def fold(text: str) -> str:
    """Lower case, accents and ligatures removed: "Épareuse Œuvre" → "epareuse oeuvre"."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(char for char in folded if not unicodedata.combining(char)).casefold()


def query_words(query: str | None) -> list[str]:
    """The searchable words of a query, folded, in order, without repeats or stopwords."""
    seen: list[str] = []
    for word in _WORD.findall(fold(query or "")):
        word = word[:MAX_WORD]
        if word not in STOPWORDS and word not in seen:
            seen.append(word)
    return seen[:MAX_WORDS]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of `a` and `b` (a swap of neighbours is one typo), or
    `limit + 1` once it exceeds `limit`: rapidfuzz's C++ implementation, which stops early too.

    A Python loop cost 13 µs a candidate: a typo in a 100,000-listing network compares the word
    with about 400 known words, 5 ms of a 20 ms search budget; rapidfuzz takes a few µs in all.
    """
    return int(OSA.distance(a, b, score_cutoff=limit))


def allowed_distance(word: str) -> int:
    """How many typos a word may hold: none below MIN_FUZZY letters, one up to 7, two beyond."""
    if len(word) < MIN_FUZZY or word.isdigit():
        return 0
    return 1 if len(word) <= 7 else 2


def closest(word: str, candidates: Iterable[str]) -> list[str]:
    """The known words nearest to `word` within its allowed distance (all those at the best one)."""
    limit = allowed_distance(word)
    if not limit:
        return []
    others = [candidate for candidate in set(candidates) if candidate != word]
    found = process.extract(word, others, scorer=OSA.distance, score_cutoff=limit, limit=None)
    if not found:
        return []
    best = min(distance for _word, distance, _at in found)
    return sorted(candidate for candidate, distance, _at in found if distance == best)
