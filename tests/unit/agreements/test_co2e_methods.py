"""The two CO2e methods the evaluator chooses: avoided purchase, or shared use of a lifetime."""

from __future__ import annotations

import pytest

from mutualisation.agreements.evaluation import Evaluation, co2e_avoided, load_factors, validate_evaluation
from tests.unit.agreements.test_evaluation import make_raw_factors


@pytest.fixture
def factors():
    return load_factors(make_raw_factors())


def test_shared_use_counts_only_the_share_of_the_embodied_emissions_used(factors):
    purchase = co2e_avoided(Evaluation("loan", "equipment", "event_equipment", kg_diverted=100), factors)
    shared = co2e_avoided(
        Evaluation(
            "loan",
            "equipment",
            "event_equipment",
            kg_diverted=100,
            co2e_method="shared_use",
            lifetime_share=0.05,
        ),
        factors,
    )
    assert purchase.avoided_kg == pytest.approx(400)
    assert shared.avoided_kg == pytest.approx(20)
    assert "usage partagé" in shared.method_fr and "0,05" in shared.method_fr
    assert "shared use" in shared.method_en and "ADEME" in shared.method_en
    assert "achat neuf évité" in purchase.method_fr


def test_the_method_is_read_from_the_evaluation_fields(factors):
    fields = {"kg_diverted": 50, "co2e_method": "shared_use", "lifetime_share": 0.5}
    result = co2e_avoided(Evaluation.from_fields("loan", "equipment", None, fields), factors)
    assert result.avoided_kg == pytest.approx(50 * 3.0 * 0.5)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"co2e_method": "magic"}, "co2e_method"),
        ({"co2e_method": "shared_use"}, "lifetime_share"),
        ({"co2e_method": "shared_use", "lifetime_share": 0}, "lifetime_share"),
        ({"co2e_method": "shared_use", "lifetime_share": 1.5}, "lifetime_share"),
        ({"lifetime_share": "half"}, "lifetime_share"),
    ],
)
def test_a_wrong_method_or_share_is_a_field_error(fields, field):
    assert field in validate_evaluation({"satisfaction": 4, **fields})


def test_the_default_method_needs_no_share():
    assert validate_evaluation({"satisfaction": 4, "co2e_method": "avoided_purchase"}) == {}
