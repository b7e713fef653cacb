"""A full recompute skips the categories whose inputs are unchanged, and stays exact when it does."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from mutualisation.db import utcnow
from mutualisation.listings.models import Listing
from mutualisation.matching import engine
from mutualisation.matching.models import MatchingState
from mutualisation.matching.scoring import MatchingConfig
from tests.integration.test_matching_engine import CFG, expected_pairs, random_network, stored_pairs


@pytest.fixture(autouse=True)
def _flushes_bump_the_categories(session_factory):
    engine.attach_flush_listener(session_factory)


@pytest.fixture
def reads(monkeypatch):
    """The categories a full recompute reads (the real reader, recorded)."""
    from mutualisation.matching import recompute

    read: list[str] = []

    def recording(session, category):
        read.append(category)
        return load_category(session, category)

    load_category = recompute.load_category
    monkeypatch.setattr(recompute, "load_category", recording)
    return read


def keys(session):
    return dict(session.execute(select(MatchingState.category, MatchingState.computed_inputs)).all())


def test_a_second_run_with_nothing_changed_reads_no_category(session, reads):
    random_network(session, 5)
    engine.full_recompute(session, CFG, coop=[])
    stored = keys(session)
    assert set(stored) == {"equipment", "skill"} and all(stored.values())
    assert sorted(reads) == ["equipment", "skill"]
    reads.clear()
    again = engine.full_recompute(session, CFG, coop=[])
    assert reads == []
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == len(stored_pairs(session)) > 0
    assert keys(session) == stored


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_a_change_in_one_category_recomputes_it_exactly(session, seed):
    listings = random_network(session, seed)
    engine.full_recompute(session, CFG, coop=[])
    before = keys(session)
    # Moves a few listings: within a category, and from one category to the other.
    skills = [x for x in listings if x.category == "skill"]
    skills[0].latitude += 0.3
    skills[1].category = "equipment"
    skills[2].status = "withdrawn"
    session.flush()
    engine.full_recompute(session, CFG, coop=[])
    assert stored_pairs(session) == expected_pairs(listings)
    assert keys(session) != before


def test_a_change_only_to_the_other_category_leaves_this_one_unread(session, reads):
    listings = random_network(session, 9)
    engine.full_recompute(session, CFG, coop=[])
    before = keys(session)
    next(x for x in listings if x.category == "skill").max_distance_km = 500.0
    session.flush()
    reads.clear()
    engine.full_recompute(session, CFG, coop=[])
    assert reads == ["skill"]
    after = keys(session)
    assert after["equipment"] == before["equipment"] and after["skill"] != before["skill"]
    assert stored_pairs(session) == expected_pairs(listings)


def test_listings_written_without_the_orm_are_noticed(session):
    listings = random_network(session, 10)
    engine.full_recompute(session, CFG, coop=[])
    template = next(x for x in listings if x.category == "equipment" and x.kind == "offer")
    now = utcnow()
    columns = {c.name: getattr(template, c.key) for c in Listing.__table__.columns if c.name != "id"}
    session.execute(insert(Listing.__table__), [columns | {"created_at": now, "updated_at": now}])
    added = session.scalars(select(Listing).order_by(Listing.id.desc())).first()
    counts = engine.full_recompute(session, CFG, coop=[])
    assert stored_pairs(session) == expected_pairs([*listings, added])
    assert counts.inserted + counts.updated > 0


def test_another_configuration_recomputes_everything(session):
    listings = random_network(session, 11)
    engine.full_recompute(session, CFG, coop=[])
    other = MatchingConfig(top_k=2, min_score=0.2)
    engine.full_recompute(session, other, coop=[])
    assert stored_pairs(session) == expected_pairs(listings, other)


def test_a_large_sqlite_write_rebuilds_the_indexes_it_dropped(session, monkeypatch):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's writer only")
    from mutualisation.matching import writers

    def indexes():
        return sorted(
            session.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'suggestions'")
            ).scalars()
        )

    before = indexes()
    assert "ix_suggestions_need_id" in before
    monkeypatch.setattr(writers, "_REINDEX_FROM_ROWS", 1)
    monkeypatch.setattr(writers, "COPY_FROM_ROWS", 0)
    listings = random_network(session, 12)
    counts = engine.full_recompute(session, CFG, coop=[])
    assert counts.inserted > 1 and indexes() == before
    assert stored_pairs(session) == expected_pairs(listings)
