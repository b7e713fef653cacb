"""Matching follows listings through the real listing services (issue 10, item 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mutualisation.listings import hooks
from mutualisation.listings import services as listings
from mutualisation.matching import engine
from mutualisation.matching.models import Suggestion
from mutualisation.matching.scoring import MatchingConfig
from tests.integration.test_matching_engine import CFG, expected_pairs, random_network, stored_pairs


@pytest.fixture(autouse=True)
def _flushes_bump_the_categories(session_factory):
    engine.attach_flush_listener(session_factory)


def _mutual_pair(session):
    """An offer and a need that rank each other, the offer being consumable (it can be reserved)."""
    rows = session.execute(
        select(Suggestion.offer_id, Suggestion.need_id).where(
            Suggestion.offer_rank.is_not(None), Suggestion.need_rank.is_not(None)
        )
    ).all()
    from mutualisation.listings.models import Listing

    for offer_id, need_id in rows:
        offer, need = session.get(Listing, offer_id), session.get(Listing, need_id)
        if not offer.inexhaustible and not need.inexhaustible:
            return offer, need
    pytest.fail("the network has no mutual pair")


def _change(session, *steps):
    """Apply listing transitions through the services in one transaction, as an agreement does.

    The followers registered by the app are not announced: the test runs the update itself, with
    its own configuration.
    """
    for action, listing in steps:
        getattr(listings, action)(session, listing.id, commit=False)
    session.commit()
    hooks.discard_pending(session)


def _assert_every_row_has_fingerprints(session):
    fingerprints = session.execute(select(Suggestion.offer_fingerprint, Suggestion.need_fingerprint)).all()
    assert all(o and n for o, n in fingerprints)


@pytest.mark.parametrize("second", ["reserve", "fulfil"])
def test_an_offer_and_its_need_leaving_published_together_are_followed_without_error(session, second):
    listings_ = random_network(session, 21)
    engine.full_recompute(session, CFG, coop=[])
    offer, need = _mutual_pair(session)
    _change(session, ("reserve", offer), (second, need))
    assert (offer.status, need.status) == ("reserved", "reserved" if second == "reserve" else "fulfilled")
    engine.update_for_listing(session, offer.id, CFG, coop=[])
    _assert_every_row_has_fingerprints(session)
    engine.update_for_listing(session, need.id, CFG, coop=[])
    _assert_every_row_has_fingerprints(session)
    assert stored_pairs(session) == expected_pairs(listings_)
    counts = engine.full_recompute(session, CFG, coop=[])
    assert (counts.inserted, counts.updated, counts.deleted) == (0, 0, 0)


def test_a_reserved_listing_keeps_no_ranked_suggestion_and_comes_back_when_released(session):
    listings_ = random_network(session, 22)
    engine.full_recompute(session, CFG, coop=[])
    offer, _need = _mutual_pair(session)
    _change(session, ("reserve", offer))
    engine.update_for_listing(session, offer.id, CFG, coop=[])
    ranked = session.execute(
        select(Suggestion.id).where(
            Suggestion.offer_id == offer.id,
            (Suggestion.offer_rank.is_not(None)) | (Suggestion.need_rank.is_not(None)),
        )
    ).all()
    assert ranked == []
    assert stored_pairs(session) == expected_pairs(listings_)
    _change(session, ("release", offer))
    engine.update_for_listing(session, offer.id, CFG, coop=[])
    assert stored_pairs(session) == expected_pairs(listings_)
    assert any(o == offer.id for o, _n in stored_pairs(session))


def test_following_the_changes_an_agreement_makes_keeps_the_suggestions_exact(session):
    cfg = MatchingConfig(top_k=3)
    listings_ = random_network(session, 24)
    engine.full_recompute(session, cfg, coop=[])
    offer, need = _mutual_pair(session)
    _change(session, ("reserve", offer), ("reserve", need))
    for listing, change in ((offer, "reserved"), (need, "reserved")):
        engine.follow_listing_change(session, listing.id, change, cfg=cfg)
    _assert_every_row_has_fingerprints(session)
    assert stored_pairs(session) == expected_pairs(listings_, cfg)
    _change(session, ("release", offer), ("release", need))
    engine.follow_listing_change(session, offer.id, "released", cfg=cfg)
    engine.follow_listing_change(session, need.id, "released", cfg=cfg)
    assert stored_pairs(session) == expected_pairs(listings_, cfg)


def test_a_flush_of_a_listing_bumps_its_category_for_an_attached_session_factory(connection):
    from sqlalchemy.orm import sessionmaker

    from mutualisation.matching.models import MatchingState
    from tests.builders import make_neutral_listing, make_user

    factory = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    engine.attach_flush_listener(factory)
    engine.attach_flush_listener(factory)  # idempotent
    session = factory()
    listing = make_neutral_listing(session, make_user(session, "technician", "62528"), category="skill")
    state = session.get(MatchingState, "skill")
    assert state is not None and state.last_listing_id == listing.id
    before = state.version
    listing.max_distance_km = 12.0
    session.flush()
    session.refresh(state)
    assert state.version > before and state.last_listing_id == listing.id
    session.close()
