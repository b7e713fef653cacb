"""The whole demo network, as `make run` loads it: realistic content that answers the issues' examples."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mutualisation.agreements.models import Agreement, Evaluation
from mutualisation.demo import load_demo
from mutualisation.domains import install_policies
from mutualisation.listings.models import Listing
from mutualisation.matching.models import Suggestion
from mutualisation.territories.models import Territory


@pytest.fixture(scope="module")
def demo(engine):
    install_policies()  # as create_app does: the demo's use cases check their permissions
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        load_demo(session)
        yield session
        session.close()
        outer.rollback()


def test_the_demo_has_about_forty_listings_in_every_category(demo):
    listings = demo.scalars(select(Listing)).all()
    assert len(listings) >= 40
    assert {x.category for x in listings} == {"skill", "equipment", "know_how", "service"}
    assert {x.territory.code for x in listings} >= {"62528", "22046", "76402", "59271"}


def test_a_second_load_changes_nothing(demo):
    before = (
        demo.scalar(select(func.count()).select_from(Listing)),
        demo.scalar(select(func.count()).select_from(Agreement)),
    )
    load_demo(demo)
    after = (
        demo.scalar(select(func.count()).select_from(Listing)),
        demo.scalar(select(func.count()).select_from(Agreement)),
    )
    assert before == after


def test_malaunay_chipper_need_is_offered_a_chipper_of_another_territory(demo):
    need = demo.scalars(select(Listing).where(Listing.title == "Broyeur de végétaux au printemps")).one()
    assert need.territory.code == "76402" and need.status == "published"
    suggestions = demo.scalars(select(Suggestion).where(Suggestion.need_id == need.id)).all()
    offers = [demo.get(Listing, s.offer_id) for s in suggestions]
    chippers = [(s, o) for s, o in zip(suggestions, offers, strict=True) if o.subcategory == "green_chipper"]
    assert chippers, "no chipper suggested to Malaunay"
    suggestion, offer = chippers[0]
    assert offer.territory_id != need.territory_id
    assert suggestion.distance_km > 0 and suggestion.breakdown


def test_a_know_how_need_is_matched_across_the_country(demo):
    far = demo.execute(
        select(Suggestion.distance_km)
        .join(Listing, Listing.id == Suggestion.need_id)
        .where(Listing.category == "know_how")
        .order_by(Suggestion.distance_km.desc())
    ).first()
    assert far is not None and far[0] > 300


def test_the_demo_has_agreements_in_several_states_and_one_evaluated_with_lessons(demo):
    statuses = set(demo.scalars(select(Agreement.status)))
    assert {"proposed", "pending_approval", "in_progress", "evaluated"} <= statuses
    lessons = demo.scalars(select(Evaluation.lessons_learned).where(Evaluation.lessons_learned.is_not(None)))
    assert any(lessons)


def test_the_four_peer_territories_are_loaded_from_the_gazetteer(demo):
    codes = set(demo.scalars(select(Territory.code)))
    assert {"62528", "22046", "76402", "59271"} <= codes


def test_the_demo_barnums_are_lent_several_times_over_the_year_with_one_tentative_booking(demo):
    from mutualisation.bookings.demo import TITLE
    from mutualisation.listings.models import ListingBooking

    offer = demo.scalars(select(Listing).where(Listing.title == TITLE)).one()
    assert (offer.bookable_units, offer.status, offer.territory.code) == (3, "published", "62528")
    holds = demo.scalars(select(ListingBooking).where(ListingBooking.listing_id == offer.id)).all()
    assert len(holds) >= 4
    assert sorted(h.state for h in holds).count("requested") == 1
    assert {h.state for h in holds} == {"booked", "requested"}
