"""The matching demo: a full recompute gives Malaunay's chipper need a chipper from another territory."""

from __future__ import annotations

from sqlalchemy import select

from mutualisation.matching import demo
from mutualisation.matching.breakdown import render
from mutualisation.matching.models import Suggestion
from tests.builders import make_neutral_listing as make_listing
from tests.builders import make_user


def test_demo_load_suggests_a_chipper_from_another_territory_to_malaunay(session):
    loos, malaunay = make_user(session, "technician", "62528"), make_user(session, "technician", "76402")
    offer = make_listing(
        session,
        loos,
        kind="offer",
        subcategory="green_chipper",
        title="Broyeur de végétaux",
        max_distance_km=250.0,
    )
    need = make_listing(
        session,
        malaunay,
        kind="need",
        subcategory="green_chipper",
        title="Besoin d'un broyeur",
        max_distance_km=250.0,
    )
    summary = demo.load(session)
    assert "1 new" in summary
    suggestion = session.scalars(select(Suggestion).where(Suggestion.need_id == need.id)).one()
    assert suggestion.offer_id == offer.id
    assert 150 < suggestion.distance_km < 250
    explained = render(suggestion.breakdown, suggestion.distance_km, "fr")
    assert explained[0]["message_fr"].startswith("même sous-catégorie")
    assert "1 new" not in demo.load(session)  # idempotent
