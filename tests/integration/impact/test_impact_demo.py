"""The demo référentiel: evaluated agreements and published sheets across themes, with revisions,
a reuse and a contradiction; loading it twice changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mutualisation.agreements.models import Agreement
from mutualisation.demo import load_demo
from mutualisation.impact import demo as impact_demo
from mutualisation.impact.dashboards import aggregate
from mutualisation.impact.models import Sheet, SheetReaction, SheetRevision


@pytest.fixture(scope="module")
def demo(engine):
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        load_demo(session)
        impact_demo.load(session)
        yield session
        session.close()
        outer.rollback()


def test_the_demo_publishes_at_least_six_sheets_across_themes(demo):
    published = demo.scalars(select(Sheet).where(Sheet.status == "published")).unique().all()
    assert len(published) >= 6
    assert len({theme for s in published for theme in s.themes}) >= 5
    assert len({s.territory_id for s in published}) == 4
    assert any(s.agreement_ids for s in published), "one sheet is drafted from an evaluated agreement"


def test_the_demo_has_revisions_a_reuse_and_a_contradiction(demo):
    versions = demo.execute(
        select(SheetRevision.sheet_id, func.count()).group_by(SheetRevision.sheet_id)
    ).all()
    assert max(n for _id, n in versions) >= 2
    kinds = set(demo.scalars(select(SheetReaction.kind)))
    assert {"reuse", "contradiction"} <= kinds


def test_the_demo_has_evaluated_agreements_that_feed_the_dashboard(demo):
    assert (
        demo.scalar(select(func.count()).select_from(Agreement).where(Agreement.status == "evaluated")) >= 3
    )
    figures = aggregate(demo)
    assert figures["agreements_completed"] >= 3 and figures["money_saved_eur"] >= 1850


def test_loading_the_demo_referentiel_twice_changes_nothing(demo):
    before = (
        demo.scalar(select(func.count()).select_from(Sheet)),
        demo.scalar(select(func.count()).select_from(SheetReaction)),
    )
    assert impact_demo.load(demo) == "0 evaluated agreement(s), 0 published sheet(s)"
    after = (
        demo.scalar(select(func.count()).select_from(Sheet)),
        demo.scalar(select(func.count()).select_from(SheetReaction)),
    )
    assert before == after
