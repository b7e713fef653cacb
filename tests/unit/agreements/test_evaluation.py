"""Impact calculations: the shipped factors file, its validation, CO2e and money, and field checks."""

from __future__ import annotations

import copy
import math
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from mutualisation.agreements.evaluation import (
    AGREEMENT_KINDS,
    VEHICLES,
    Evaluation,
    FactorsError,
    co2e_avoided,
    load_factors,
    money_saved,
    validate_evaluation,
)

FACTORS_FILE = Path(__file__).resolve().parents[3] / "config" / "impact_factors.toml"


def make_raw_factors() -> dict:
    """A small, self-contained factors mapping, so that the arithmetic below does not move with the file."""

    def entry(value):
        return {"value": value, "source": "ADEME, Base Carbone 2023 – test", "method": "Test method."}

    return {
        "kinds": {
            "loan": {"basis": "per_kg", "source": "Project method", "method": "Reuse avoids a purchase."},
            "service": {"basis": "none", "source": "Project method", "method": "Only transport counts."},
            "know_how": {"basis": "none", "source": "Project method", "method": "Only transport counts."},
        },
        "categories": {
            "equipment": {**entry(3.0), "subcategories": {"event_equipment": entry(4.0)}},
            "skill": {},
        },
        "transport": {"none": entry(0.0), "car": entry(0.2), "van": entry(0.3), "truck": entry(0.8)},
    }


@pytest.fixture
def factors():
    return load_factors(make_raw_factors())


# --- The shipped file ----------------------------------------------------------------------------


def test_shipped_factors_file_is_valid_and_covers_every_kind_and_vehicle():
    with FACTORS_FILE.open("rb") as file:
        factors = load_factors(tomllib.load(file))
    assert set(factors.kinds) == set(AGREEMENT_KINDS)
    assert set(factors.transport) == set(VEHICLES)
    assert factors.transport["none"].value == 0
    assert factors.material_factor("equipment", "event_equipment") is not None


def test_every_shipped_factor_names_an_ademe_source_with_its_year_or_the_project_method():
    with FACTORS_FILE.open("rb") as file:
        factors = load_factors(tomllib.load(file))
    numeric = [*factors.transport.values()]
    for category in factors.categories.values():
        numeric += [f for f in (category.default, *category.subcategories.values()) if f is not None]
    for factor in numeric:
        if factor.value > 0:
            assert "ADEME" in factor.source
            assert any(year in factor.source for year in ("2023", "2024")), factor.source


# --- Validating the factors ----------------------------------------------------------------------


def test_a_factor_without_a_source_is_refused_with_its_location():
    raw = make_raw_factors()
    del raw["transport"]["van"]["source"]
    with pytest.raises(FactorsError, match=r"transport\.van: missing 'source'"):
        load_factors(raw)


def test_a_blank_source_is_refused():
    raw = make_raw_factors()
    raw["categories"]["equipment"]["subcategories"]["event_equipment"]["source"] = "  "
    with pytest.raises(FactorsError, match=r"categories\.equipment\.subcategories\.event_equipment"):
        load_factors(raw)


def test_a_kind_without_a_method_is_refused():
    raw = make_raw_factors()
    del raw["kinds"]["loan"]["method"]
    with pytest.raises(FactorsError, match=r"kinds\.loan: missing 'method'"):
        load_factors(raw)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda raw: raw.pop("kinds"), r"missing \[kinds\]"),
        (lambda raw: raw["kinds"].pop("service"), r"kinds\.service: missing"),
        (lambda raw: raw["kinds"]["loan"].update(basis="per_day"), r"kinds\.loan: 'basis'"),
        (lambda raw: raw.pop("transport"), r"missing \[transport\]"),
        (lambda raw: raw["transport"].pop("truck"), r"transport\.truck: missing"),
        (lambda raw: raw["transport"].update(car=0.2), r"transport\.car: expected a table"),
        (lambda raw: raw["transport"]["car"].update(value=-1), r"transport\.car: 'value'"),
        (lambda raw: raw["transport"]["car"].update(value="0.2"), r"transport\.car: 'value'"),
        (lambda raw: raw["transport"]["car"].update(value=math.nan), r"transport\.car: 'value'"),
        (lambda raw: raw.update(categories=[]), r"\[categories\] must be a table"),
        (lambda raw: raw["categories"].update(skill=1), r"categories\.skill: expected a table"),
        (lambda raw: raw["categories"]["equipment"].update(subcategories=[]), r"equipment\.subcategories"),
    ],
    ids=[
        "no_kinds",
        "missing_kind",
        "unknown_basis",
        "no_transport",
        "missing_vehicle",
        "vehicle_not_a_table",
        "negative_value",
        "text_value",
        "nan_value",
        "categories_not_a_table",
        "category_not_a_table",
        "subcategories_not_a_table",
    ],
)
def test_malformed_factors_are_refused_with_a_clear_message(mutate, message):
    raw = copy.deepcopy(make_raw_factors())
    mutate(raw)
    with pytest.raises(FactorsError, match=message):
        load_factors(raw)


def test_subcategory_factor_wins_over_the_category_default(factors):
    assert factors.material_factor("equipment", "event_equipment").value == 4.0
    assert factors.material_factor("equipment", "tools").value == 3.0
    assert factors.material_factor("equipment", None).value == 3.0
    assert factors.material_factor("skill", "anything") is None
    assert factors.material_factor("unknown", None) is None
    assert factors.material_factor(None, None) is None


# --- CO2e ------------------------------------------------------------------------------------------


def test_loan_avoids_the_manufacturing_of_its_mass_minus_the_transport(factors):
    evaluation = Evaluation(
        "loan", "equipment", "event_equipment", kg_diverted=120, km_travelled=80, vehicle="van"
    )
    result = co2e_avoided(evaluation, factors)
    assert result.avoided_kg == pytest.approx(480)
    assert result.transport_kg == pytest.approx(24)
    assert result.net_kg == pytest.approx(456)
    assert "120 kg" in result.method_en
    assert "ADEME, Base Carbone 2023" in result.method_en
    assert result.method_fr.startswith("Évité\u00a0: 120 kg")
    assert "utilitaire" in result.method_fr


def test_french_explanation_uses_a_decimal_comma(factors):
    evaluation = Evaluation("loan", "equipment", None, kg_diverted=12.5, km_travelled=10, vehicle="car")
    result = co2e_avoided(evaluation, factors)
    assert "12,5 kg" in result.method_fr
    assert "0,2 kg CO2e/km" in result.method_fr
    assert "12.5 kg" in result.method_en


@pytest.mark.parametrize("kind", ["service", "know_how"])
def test_services_and_know_how_claim_no_avoided_emissions_only_transport(factors, kind):
    evaluation = Evaluation(kind, "equipment", None, kg_diverted=50, km_travelled=100, vehicle="car")
    result = co2e_avoided(evaluation, factors)
    assert result.avoided_kg == 0
    assert result.net_kg == pytest.approx(-20)
    assert "no direct gain" in result.method_en


def test_a_long_drive_for_a_light_item_has_a_negative_net_impact(factors):
    evaluation = Evaluation("loan", "equipment", None, kg_diverted=2, km_travelled=400, vehicle="truck")
    assert co2e_avoided(evaluation, factors).net_kg == pytest.approx(6 - 320)


def test_loan_without_a_mass_counts_no_gain(factors):
    result = co2e_avoided(Evaluation("loan", "equipment", None), factors)
    assert (result.avoided_kg, result.transport_kg, result.net_kg) == (0, 0, 0)
    assert "no mass entered" in result.method_en
    assert "no travel entered" in result.method_en


def test_loan_in_a_category_without_a_factor_counts_no_gain(factors):
    result = co2e_avoided(Evaluation("loan", "skill", None, kg_diverted=10), factors)
    assert result.avoided_kg == 0
    assert "no factor for this category" in result.method_en


def test_travel_without_a_vehicle_is_not_counted(factors):
    result = co2e_avoided(Evaluation("service", None, None, km_travelled=30), factors)
    assert result.transport_kg == 0
    assert "no vehicle entered" in result.method_en


def test_travel_without_a_motorised_vehicle_emits_nothing(factors):
    result = co2e_avoided(Evaluation("know_how", None, None, km_travelled=12, vehicle="none"), factors)
    assert result.transport_kg == 0


def test_unknown_kind_or_vehicle_is_a_programming_error(factors):
    with pytest.raises(ValueError):
        co2e_avoided(Evaluation("gift"), factors)
    with pytest.raises(ValueError):
        co2e_avoided(Evaluation("loan", km_travelled=3, vehicle="rocket"), factors)


def test_decimal_figures_are_accepted(factors):
    evaluation = Evaluation(
        "loan", "equipment", None, kg_diverted=Decimal("10.5"), km_travelled=Decimal("5"), vehicle="car"
    )
    assert co2e_avoided(evaluation, factors).net_kg == pytest.approx(31.5 - 1)


def test_evaluation_is_built_from_transition_fields(factors):
    fields = {
        "satisfaction": 5,
        "kg_diverted": 100,
        "km_travelled": 10,
        "vehicle": "car",
        "lessons_learned": "x",
    }
    evaluation = Evaluation.from_fields("loan", "equipment", "event_equipment", fields)
    assert evaluation == Evaluation(
        "loan", "equipment", "event_equipment", kg_diverted=100, km_travelled=10, vehicle="car"
    )


# --- Money -----------------------------------------------------------------------------------------


def test_money_saved_is_the_replacement_value_minus_the_costs():
    assert money_saved(Evaluation("loan", replacement_value_eur=2000, costs_eur=150)) == 1850


def test_money_saved_entered_directly_wins():
    assert (
        money_saved(Evaluation("loan", money_saved_eur=300, replacement_value_eur=2000, costs_eur=150)) == 300
    )


@pytest.mark.parametrize(
    "evaluation",
    [Evaluation("loan"), Evaluation("loan", replacement_value_eur=2000), Evaluation("loan", costs_eur=100)],
    ids=["nothing", "value_only", "costs_only"],
)
def test_money_saved_is_unknown_without_both_figures(evaluation):
    assert money_saved(evaluation) is None


def test_impact_result_carries_the_money_saved(factors):
    result = co2e_avoided(Evaluation("service", replacement_value_eur=500, costs_eur=50), factors)
    assert result.money_saved_eur == 450


# --- Evaluation fields -----------------------------------------------------------------------------


def test_a_complete_evaluation_is_valid():
    fields = {
        "satisfaction": 4,
        "money_saved_eur": 1200,
        "replacement_value_eur": 1500.5,
        "costs_eur": Decimal("300"),
        "kg_diverted": 80,
        "km_travelled": 0,
        "vehicle": "none",
        "lessons_learned": "Agree on the return date in writing.",
    }
    assert validate_evaluation(fields) == {}


def test_satisfaction_alone_is_enough():
    assert validate_evaluation({"satisfaction": 1}) == {}


def test_satisfaction_is_required():
    assert set(validate_evaluation({})) == {"satisfaction"}


@pytest.mark.parametrize("value", [0, 6, -1, 3.5, "4", True])
def test_satisfaction_must_be_a_whole_number_from_one_to_five(value):
    assert set(validate_evaluation({"satisfaction": value})) == {"satisfaction"}


@pytest.mark.parametrize(
    "name", ["money_saved_eur", "replacement_value_eur", "costs_eur", "kg_diverted", "km_travelled"]
)
@pytest.mark.parametrize("value", [-0.01, "12", True, math.inf, math.nan])
def test_figures_must_be_non_negative_numbers(name, value):
    fields = {"satisfaction": 3, name: value, "vehicle": "car"}
    assert set(validate_evaluation(fields)) == {name}


def test_vehicle_must_be_in_the_list():
    assert set(validate_evaluation({"satisfaction": 3, "vehicle": "bicycle"})) == {"vehicle"}


@pytest.mark.parametrize("vehicle", VEHICLES)
def test_every_listed_vehicle_is_accepted(vehicle):
    assert validate_evaluation({"satisfaction": 3, "km_travelled": 10, "vehicle": vehicle}) == {}


def test_kilometres_need_a_vehicle():
    assert set(validate_evaluation({"satisfaction": 3, "km_travelled": 10})) == {"vehicle"}


def test_lessons_learned_must_be_text():
    assert set(validate_evaluation({"satisfaction": 3, "lessons_learned": 42})) == {"lessons_learned"}


def test_all_errors_are_reported_at_once():
    fields = {"satisfaction": 9, "kg_diverted": -3, "vehicle": "rocket"}
    assert set(validate_evaluation(fields)) == {"satisfaction", "kg_diverted", "vehicle"}


def test_explanations_never_use_scientific_notation():
    from mutualisation.agreements.evaluation import _fmt, _fmt_fr

    assert _fmt(10452.0) == "10,452"
    assert _fmt_fr(10452.0) == "10\u202f452"
    assert _fmt_fr(-10452.4) == "-10\u202f452"
    assert _fmt(0.22) == "0.22"
    assert _fmt_fr(0.5) == "0,5"
    assert _fmt(3.0) == "3"
    assert _fmt(0.0) == "0"
