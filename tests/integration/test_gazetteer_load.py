"""The real gazetteer, loaded into each database through the service the CLI calls."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mutualisation.territories.models import Territory
from mutualisation.territories.services import get_by_code, load_gazetteer, search


@pytest.fixture(scope="module")
def loaded_session(engine):
    """Load once per database for this module (it reads ~35,000 communes), rolled back at the end."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        report = load_gazetteer(session)
        yield session, report
        session.close()
        outer.rollback()


@pytest.fixture
def session(loaded_session):
    return loaded_session[0]


@pytest.fixture
def loaded(loaded_session):
    return loaded_session[1]


def test_loading_the_gazetteer_gives_every_current_commune_with_coordinates(session, loaded):
    assert loaded.inserted > 34_000
    communes = session.scalar(select(func.count()).where(Territory.kind == "commune"))
    assert 34_000 < communes < 36_000
    missing = session.scalar(
        select(func.count()).where(Territory.kind == "commune", Territory.latitude.is_(None))
    )
    assert missing == 0
    assert session.scalar(select(func.count()).where(Territory.kind == "epci")) > 1_000


def test_a_second_load_changes_nothing(session, loaded):
    assert not loaded.skipped
    again = load_gazetteer(session)
    assert again.skipped
    forced = load_gazetteer(session, force=True)
    assert (forced.inserted, forced.updated) == (0, 0)


@pytest.mark.parametrize("query", ["loos en gohelle", "LOOS-EN-GOHELLE", "Loos-en-Gohelle", "62750", "62528"])
def test_search_finds_loos_en_gohelle_whatever_the_spelling(session, loaded, query):
    items, _total = search(session, query)
    assert "62528" in [t.code for t in items]


def test_malaunay_has_its_reference_point(session, loaded):
    malaunay = get_by_code(session, "76402")
    assert malaunay.name == "Malaunay"
    assert 49.4 < malaunay.latitude < 49.6 and 1.0 < malaunay.longitude < 1.1
    assert "76770" in malaunay.postcode_list
