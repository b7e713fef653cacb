"""The pure part of the full-text search: folding, query words, typo distance (no database)."""

from __future__ import annotations

import pytest

from mutualisation.search_words import MAX_WORDS, closest, edit_distance, fold, query_words


def test_folding_removes_case_accents_and_ligatures():
    assert fold("Épareuse ŒUVRE Noël") == "epareuse oeuvre noel"


def test_query_words_are_folded_deduplicated_without_stopwords_or_operators():
    assert query_words('Broyeurs de VÉGÉTAUX, broyeurs "NOT*" (') == ["broyeurs", "vegetaux", "not"]
    assert query_words("de la !!") == [] and query_words(None) == []
    assert len(query_words(" ".join(f"mot{n}" for n in range(20)))) == MAX_WORDS


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("eapreuse", "epareuse", 1),  # a swap of neighbours costs one
        ("brpyeur", "broyeur", 1),
        ("nacele", "nacelle", 1),
        ("broyeur", "broyeur", 0),
        ("podium", "tracteur", 3),  # beyond the limit of 2: limit + 1
    ],
)
def test_the_edit_distance_counts_swaps_as_one_and_stops_at_the_limit(a, b, distance):
    assert edit_distance(a, b, 2) == distance


def test_closest_keeps_the_best_words_within_the_allowed_typos():
    vocabulary = ["epareuse", "eparpiller", "broyeur", "podium"]
    assert closest("eapreuse", vocabulary) == ["epareuse"]
    assert closest("podiun", vocabulary) == ["podium"]
    assert closest("pod", vocabulary) == []  # too short to correct
    assert closest("tracteur", vocabulary) == []
    assert closest("2026", ["2025"]) == []  # numbers are never corrected
