"""The facilitator's rates count a suggestion in its month in UTC, whatever the connection's time zone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from mutualisation.matching import engine, stats
from mutualisation.matching.models import Suggestion
from mutualisation.matching.scoring import MatchingConfig
from tests.builders import make_neutral_listing as make_listing
from tests.builders import make_user


def test_a_suggestion_counts_in_its_utc_month(session):
    loos = make_user(session, "technician", "62528")
    make_listing(session, loos, kind="offer", max_distance_km=300.0)
    make_listing(session, make_user(session, "technician", "62528"), kind="need", max_distance_km=300.0)
    session.flush()
    engine.full_recompute(session, MatchingConfig.from_mapping({}), coop=[])
    suggestion = session.scalars(select(Suggestion)).one()
    # Late on 31 October in UTC: already 1 November east of Greenwich.
    suggestion.created_at = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL TIME ZONE 'Europe/Paris'"))
    admin = make_user(session, "admin", "62528")
    assert [(r.month, r.total) for r in stats.rates_by_category(session, admin)] == [("2026-10", 1)]
    assert {r.month for r in stats.rates_by_territory(session, admin)} == {"2026-10"}
