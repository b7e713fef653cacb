"""The impact aggregates: SQL sums that equal the sum of the evaluations, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mutualisation.agreements.models import Evaluation
from mutualisation.impact.dashboards import ImpactFilter, aggregate, by_year, network_links, territory_impact
from tests.builders import make_agreement, make_user
from tests.sheet_builders import make_evaluated_agreement

LOOS, MALAUNAY, LE_MENE = "62528", "76402", "22046"


@pytest.fixture
def network(session, people):
    mene_tech = make_user(session, "technician", LE_MENE)
    first = make_evaluated_agreement(session, people["mal_tech"], people["loos_tech"])
    second = make_evaluated_agreement(
        session, mene_tech, people["loos_tech"], money_saved_eur=350.5, kg_diverted=12.5, km_travelled=300
    )
    third = make_evaluated_agreement(session, mene_tech, people["mal_tech"], money_saved_eur=80)
    # Dated in two months of two years, so that the series and the year filter have work to do.
    for agreement, when in (
        (first, dt.datetime(2029, 3, 5, tzinfo=dt.UTC)),
        (third, dt.datetime(2030, 1, 9, tzinfo=dt.UTC)),
    ):
        for evaluation in agreement.evaluations:
            evaluation.at = when
    session.flush()
    make_agreement(session, people["mal_tech"], people["loos_tech"], "in_progress")  # not done: not counted
    return first, second, third


def evaluation_sums(session, agreement_ids):
    rows = session.scalars(select(Evaluation).where(Evaluation.agreement_id.in_(agreement_ids))).all()
    return {
        "money_saved_eur": sum(e.money_saved_eur or 0 for e in rows),
        "kg_diverted": sum(e.kg_diverted or 0 for e in rows),
        "co2e_kg": sum(e.co2e_net_kg for e in rows),
        "km_travelled": sum(e.km_travelled or 0 for e in rows),
        "evaluations": len(rows),
    }


def test_the_network_totals_equal_the_sum_of_the_evaluations(session, network):
    figures = aggregate(session)
    expected = evaluation_sums(session, [a.id for a in network])
    assert figures["agreements_completed"] == 3
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value, abs=1e-3), name
    assert figures["money_saved_eur"] == pytest.approx(1200 + 350.5 + 80)
    months = figures["by_month"]
    names = [m["month"] for m in months]
    assert names == sorted(names) and {"2029-03", "2030-01"} <= set(names)
    for name in ("money_saved_eur", "kg_diverted", "co2e_kg", "km_travelled", "evaluations"):
        assert sum(m[name] for m in months) == pytest.approx(figures[name], abs=1e-3), name
    assert sum(m["agreements_completed"] for m in months) == 3
    assert sum(y["money_saved_eur"] for y in by_year(months)) == pytest.approx(figures["money_saved_eur"])


def test_the_filters_narrow_the_figures_to_a_territory_a_category_and_a_year(session, network):
    first, second, _third = network
    loos = territory_impact(session, LOOS)
    assert loos["money_saved_eur"] == pytest.approx(
        evaluation_sums(session, [first.id, second.id])["money_saved_eur"]
    )
    assert aggregate(session, ImpactFilter(territory=MALAUNAY))["evaluations"] == 4
    in_2029 = aggregate(session, ImpactFilter(year=2029))
    assert in_2029["evaluations"] == 2 and in_2029["money_saved_eur"] == pytest.approx(1200)
    assert aggregate(session, ImpactFilter(category="equipment"))["evaluations"] == 6
    assert aggregate(session, ImpactFilter(category="skill"))["evaluations"] == 0
    empty = aggregate(session, ImpactFilter(territory="00000"))
    assert empty["agreements_completed"] == 0 and empty["by_month"] == []


def test_the_network_map_weights_each_partnership_by_its_agreements(session, network):
    data = network_links(session)
    weights = {frozenset((link["from"], link["to"])): link["agreements"] for link in data["links"]}
    assert weights[frozenset((LOOS, MALAUNAY))] == 2  # one evaluated, one in progress
    assert weights[frozenset((LOOS, LE_MENE))] == 1 and weights[frozenset((MALAUNAY, LE_MENE))] == 1
    assert {t["code"] for t in data["territories"]} == {LOOS, MALAUNAY, LE_MENE}
