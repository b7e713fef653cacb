"""Open-data exports on the demo network: only public data leaves, in three formats."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy.orm import Session

from mutualisation.demo import load_demo
from mutualisation.impact.exports import render
from mutualisation.impact.services import EXPORTS


@pytest.fixture(scope="module")
def demo(engine):
    """The demo network, loaded once per database for this module and rolled back at the end."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        load_demo(session)
        yield session
        session.close()
        outer.rollback()


def test_listings_export_has_published_listings_without_personal_data(demo):
    rows, columns = EXPORTS["listings"][0](demo), EXPORTS["listings"][1]
    assert rows, "the demo network publishes listings"
    assert {r["status"] for r in rows} <= {"published", "reserved", "fulfilled"}
    text = render(rows, columns, "csv")
    parsed = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(parsed) == len(rows)
    assert "@" not in text  # no e-mail address, no owner
    assert "address" not in columns and "owner_id" not in columns
    geo = json.loads(render(rows, columns, "geojson"))
    assert geo["type"] == "FeatureCollection"
    first = geo["features"][0]
    assert first["geometry"]["type"] == "Point" and "_geometry" not in first["properties"]


def test_agreements_export_only_has_approved_agreements(demo):
    rows = EXPORTS["agreements"][0](demo)
    assert rows
    assert {r["status"] for r in rows}.isdisjoint({"draft", "proposed", "negotiating", "pending_approval"})
    data = json.loads(render(rows, EXPORTS["agreements"][1], "json"))
    assert all(item["provider_territory_code"] and item["beneficiary_territory_code"] for item in data)


def test_impact_export_sums_the_evaluations_with_lessons_learned(demo):
    rows = EXPORTS["impact"][0](demo)
    assert rows, "the demo network has an evaluated agreement"
    evaluated = rows[0]
    assert evaluated["evaluations"] >= 1 and 1 <= evaluated["satisfaction_mean"] <= 5
    assert evaluated["lessons_learned"]
    geo = json.loads(render(rows, EXPORTS["impact"][1], "geojson"))
    assert geo["features"][0]["geometry"]["type"] == "LineString"


def test_unknown_export_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        render([], (), "xlsx")
