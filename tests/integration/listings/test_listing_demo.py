from __future__ import annotations

from sqlalchemy import func, select

from mutualisation.demo import DEMO_TERRITORIES, load_demo
from mutualisation.listings.models import Listing
from tests.builders import make_territory


def test_the_demo_listings_cover_every_category_and_territory_and_load_once(session):
    for code in DEMO_TERRITORIES:
        make_territory(session, code)
    load_demo(session)
    count = session.scalar(select(func.count(Listing.id)))
    assert count >= 40
    assert set(session.scalars(select(Listing.category).distinct())) == {
        "skill",
        "equipment",
        "know_how",
        "service",
    }
    assert len(set(session.scalars(select(Listing.territory_id).distinct()))) == 4
    # Later demos (agreements) may reserve or fulfil a few of them.
    published = session.scalar(select(func.count(Listing.id)).where(Listing.status == "published"))
    assert published >= 35
    chipper = session.scalar(select(Listing).where(Listing.title == "Broyeur de végétaux au printemps"))
    assert chipper.kind == "need" and chipper.owner.email == "technician@malaunay.demo"
    load_demo(session)
    assert session.scalar(select(func.count(Listing.id))) == count
