"""Text search of listings on the databases' own full-text engines (SQLite FTS5, PostgreSQL
tsvector + unaccent), with French word forms, accents both ways and typos forgiven (issue 12)."""

from __future__ import annotations

import pytest

from mutualisation.listings import browse as browsing
from mutualisation.listings.models import Listing
from mutualisation.listings.text_search import refresh_search_text
from tests.builders import make_listing, make_user

TITLES = (
    "Épareuse à bras déporté",
    "Broyeur de végétaux thermique",
    "Nacelle élévatrice 12 m",
    "Podium modulaire pour festival",
    "Caméra infrarouge",
    "Camion benne 3,5 t",
    "Accueil des bénévoles",
)


@pytest.fixture
def network(session):
    owner = make_user(session, "technician", "76402")
    reader = make_user(session, "technician", "62528")
    listings = {title: make_listing(session, owner, title=title) for title in TITLES}
    return reader, owner, listings


def titles(session, user, q, **filters):
    result = browsing.browse(session, user, browsing.Filters(q=q, **filters))
    return sorted(listing.title for listing in result.items)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("broyeurs", ["Broyeur de végétaux thermique"]),  # a plural finds the singular
        ("BROYEUR vegetaux", ["Broyeur de végétaux thermique"]),  # accents forgotten
        ("épareuse", ["Épareuse à bras déporté"]),
        ("eparéuse", ["Épareuse à bras déporté"]),  # an accent too many
        ("nacelles élévatrices", ["Nacelle élévatrice 12 m"]),
        ("broy", ["Broyeur de végétaux thermique"]),  # a beginning of word
        ("eapreuse", ["Épareuse à bras déporté"]),  # two letters swapped
        ("brpyeur", ["Broyeur de végétaux thermique"]),  # one letter wrong
        ("podium festivak", ["Podium modulaire pour festival"]),  # one word of two mistyped
        ("caméras", ["Caméra infrarouge"]),  # its stem, "cam", is no prefix: it begins "camion"
        ("camera", ["Caméra infrarouge"]),
        ("camion", ["Camion benne 3,5 t"]),
        ("bennes", ["Camion benne 3,5 t"]),  # "ben", the stem, would find "bénévole"
        ("cam", ["Camion benne 3,5 t", "Caméra infrarouge"]),  # typed as a beginning, it is one
        ("broyeur nacelle", []),  # every word must be found
        ("tracteur", []),  # nothing near it
        ('"NOT* (', []),  # operators typed by a user are only text, never an error
    ],
)
def test_the_text_filter_forgives_word_forms_accents_and_typos(session, network, query, expected):
    reader, _owner, _listings = network
    assert titles(session, reader, query) == expected


def test_a_query_of_stopwords_or_punctuation_filters_nothing(session, network):
    reader, _owner, _listings = network
    assert titles(session, reader, "de la !!") == sorted(TITLES)


def test_the_index_follows_edits_and_deletions(session, network):
    reader, _owner, listings = network
    listing = listings["Nacelle élévatrice 12 m"]
    listing.title = "Chapiteau de réception"
    refresh_search_text(listing)  # what the editing services call
    session.flush()
    assert titles(session, reader, "chapiteaux") == ["Chapiteau de réception"]
    assert titles(session, reader, "nacelle") == []
    session.delete(session.get(Listing, listings["Podium modulaire pour festival"].id))
    session.flush()
    assert titles(session, reader, "podium") == []


def test_a_word_an_edit_brings_is_known_to_the_typo_correction(session, network):
    # The vocabulary (PostgreSQL: kept by triggers) learns the words of a changed text, even
    # when the same statement changes other columns of other rows.
    reader, _owner, listings = network
    listings["Podium modulaire pour festival"].status = "withdrawn"
    listing = listings["Nacelle élévatrice 12 m"]
    listing.title = "Chapiteau de réception"
    refresh_search_text(listing)
    session.flush()
    assert titles(session, reader, "chapitaeu") == ["Chapiteau de réception"]


def test_the_text_filter_combines_with_the_other_filters(session, network):
    reader, _owner, _listings = network
    assert titles(session, reader, "eapreuse", kind="offer") == ["Épareuse à bras déporté"]
    assert titles(session, reader, "eapreuse", kind="need") == []
    near = titles(session, reader, "broyeurs", near="76402", radius_km=10)
    assert near == ["Broyeur de végétaux thermique"]
    assert titles(session, reader, "broyeurs", near="62528", radius_km=10) == []


FILLER = (
    "Tondeuse autoportée avec bac de ramassage, coupe de 1,10 m, moteur bicylindre, entretien fait "
    "chaque printemps par le garage municipal, disponible avec remorque, gants et lunettes, clés "
    "remises à l'accueil des services techniques, carburant non fourni, pas de broyeur"
)


def ordered(session, user, q, **filters):
    return [
        listing.title for listing in browsing.browse(session, user, browsing.Filters(q=q, **filters)).items
    ]


@pytest.fixture
def ranked(session):
    """Three listings holding "broyeur": thrice in a short text (the oldest), once in a long one,
    once in a short one (the newest)."""
    owner = make_user(session, "technician", "76402")
    reader = make_user(session, "technician", "62528")
    make_listing(
        session, owner, title="Broyeur de branches", description="Broyeur thermique, broyeur de végétaux."
    )
    make_listing(session, owner, title="Tondeuse autoportée", description=FILLER)
    make_listing(
        session, owner, title="Remorque", description="Remorque pour transporter un broyeur de jardin."
    )
    return reader


def test_a_text_search_lists_the_most_relevant_first_unless_another_order_is_chosen(session, ranked):
    relevant = ["Broyeur de branches", "Remorque", "Tondeuse autoportée"]
    assert ordered(session, ranked, "broyeurs") == relevant  # relevance, without a sort chosen
    assert ordered(session, ranked, "broyeurs", sort="relevance") == relevant
    newest = ["Remorque", "Tondeuse autoportée", "Broyeur de branches"]
    assert ordered(session, ranked, "broyeurs", sort="newest") == newest
    # Around a point too: every listing lies in the radius, ranked the same.
    assert ordered(session, ranked, "broyeurs", near="76402", radius_km=50) == relevant
    near = browsing.browse(session, ranked, browsing.Filters(q="broyeurs", near="76402", radius_km=50))
    assert set(near.distances) == {listing.id for listing in near.items}


def test_relevance_needs_a_word_to_rank_by(session, ranked):
    newest = ["Remorque", "Tondeuse autoportée", "Broyeur de branches"]
    assert ordered(session, ranked, None, sort="relevance") == newest
    assert ordered(session, ranked, "de la !", sort="relevance") == newest
    assert ordered(session, ranked, None) == newest


def test_relevance_pages_through_the_ranked_list(session, ranked):
    pages = [
        [
            listing.title
            for listing in browsing.browse(
                session, ranked, browsing.Filters(q="broyeur"), page=n, per_page=2
            ).items
        ]
        for n in (1, 2)
    ]
    assert pages == [["Broyeur de branches", "Remorque"], ["Tondeuse autoportée"]]
