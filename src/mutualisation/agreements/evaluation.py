"""Impact of an evaluated agreement: money saved and CO2e avoided, net of transport.

Pure: the factors come in as a mapping (read from `config/impact_factors.toml` by the caller) and
every figure is explained by a French and an English sentence, because a dashboard figure nobody
can trace back to a source is worth nothing to an elected official.

Method (kept deliberately simple, and written out in the factors file):
- Reusing equipment avoids making new equipment, and the evaluator chooses how (`co2e_method`):
  * `avoided_purchase` (default): the borrower would otherwise have bought the item, so the whole
    manufacturing footprint is avoided: kg of the item (`kg_diverted`) × a manufacturing factor
    in kg CO2e per kg, chosen by subcategory, else by category;
  * `shared_use`: the borrower would not have bought it; the loan used a share of the item's
    life, so only that share of its embodied emissions counts: kg × factor × `lifetime_share`.
  Only agreement kinds whose basis is `per_kg` (loans by default) earn this credit.
- Services and transfers of know-how avoid emissions only indirectly, and nothing simple measures
  that honestly, so by default they claim none: only their transport is counted.
- Transport = km travelled × a factor per vehicle type. Net = avoided − transport (it may be
  negative: a long drive to borrow a light item is not a climate gain, and the figure says so).
- Money saved is the figure entered, or else the replacement value minus the costs when both are given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from ..i18n import N_

VEHICLES: Final = ("none", "car", "van", "truck")
# Every field an `evaluate` transition may carry.
EVALUATION_FIELDS: Final = (
    "satisfaction",
    "money_saved_eur",
    "replacement_value_eur",
    "costs_eur",
    "kg_diverted",
    "km_travelled",
    "vehicle",
    "lessons_learned",
    "co2e_method",
    "lifetime_share",
)
CO2E_METHODS: Final = ("avoided_purchase", "shared_use")
VEHICLE_LABELS_FR: Final = {"none": "sans véhicule", "car": "voiture", "van": "utilitaire", "truck": "camion"}
VEHICLE_LABELS_EN: Final = {"none": "no vehicle", "car": "car", "van": "van", "truck": "truck"}
NBSP: Final = "\u00a0"
NARROW_NBSP: Final = "\u202f"
AGREEMENT_KINDS: Final = ("loan", "service", "know_how")
BASES: Final = ("per_kg", "none")
# Figures that must be non-negative numbers when given.
NON_NEGATIVE_FIELDS: Final = (
    "money_saved_eur",
    "replacement_value_eur",
    "costs_eur",
    "kg_diverted",
    "km_travelled",
)


class FactorsError(ValueError):
    """The factors file is wrong: raised at start-up, so a bad file never reaches a dashboard."""


@dataclass(frozen=True)
class Factor:
    value: float
    source: str  # in French, as the ADEME bases name it
    method: str
    source_en: str = ""  # the English reader's label; the French one when the file gives none

    @property
    def source_english(self) -> str:
        return self.source_en or self.source


@dataclass(frozen=True)
class KindRule:
    basis: str  # "per_kg" or "none"
    source: str
    method: str
    source_en: str = ""


@dataclass(frozen=True)
class CategoryFactors:
    default: Factor | None
    subcategories: Mapping[str, Factor]


@dataclass(frozen=True)
class ImpactFactors:
    kinds: Mapping[str, KindRule]
    categories: Mapping[str, CategoryFactors]
    transport: Mapping[str, Factor]

    def material_factor(self, category: str | None, subcategory: str | None) -> Factor | None:
        """The most specific manufacturing factor: subcategory first, then the category's default."""
        cat = self.categories.get(category or "")
        if cat is None:
            return None
        return cat.subcategories.get(subcategory or "") or cat.default


@dataclass(frozen=True)
class Evaluation:
    """The figures of one evaluation plus what the calculation needs to know about the agreement."""

    agreement_kind: str
    category: str | None = None
    subcategory: str | None = None
    kg_diverted: float | None = None
    km_travelled: float | None = None
    vehicle: str | None = None
    money_saved_eur: float | None = None
    replacement_value_eur: float | None = None
    costs_eur: float | None = None
    co2e_method: str | None = None  # None means "avoided_purchase"
    lifetime_share: float | None = None

    @classmethod
    def from_fields(
        cls, agreement_kind: str, category: str | None, subcategory: str | None, fields: Mapping[str, Any]
    ) -> Evaluation:
        """Build from the evaluation fields of an `evaluate` transition (unknown keys are ignored)."""
        figures = {
            n: fields.get(n) for n in EVALUATION_FIELDS if n not in ("satisfaction", "lessons_learned")
        }
        return cls(agreement_kind, category, subcategory, **figures)


@dataclass(frozen=True)
class ImpactResult:
    avoided_kg: float
    transport_kg: float
    net_kg: float
    method_fr: str
    method_en: str
    money_saved_eur: float | None = None


def _is_number(value: Any) -> bool:
    # bool is an int subclass, but "true kg" is a mistake, not a number.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return math.isfinite(value)


def validate_evaluation(fields: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field errors of an evaluation (empty when it is valid)."""
    errors: dict[str, list[str]] = {}
    satisfaction = fields.get("satisfaction")
    if satisfaction is None:
        errors["satisfaction"] = ["Satisfaction is required."]
    elif isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        errors["satisfaction"] = ["Satisfaction must be a whole number from 1 to 5."]
    for name in NON_NEGATIVE_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if not _is_number(value):
            errors[name] = ["Enter a number."]
        elif value < 0:
            errors[name] = ["This cannot be negative."]
    vehicle = fields.get("vehicle")
    if vehicle is not None and vehicle not in VEHICLES:
        errors["vehicle"] = ["Choose a vehicle from the list."]
    km = fields.get("km_travelled")
    if vehicle is None and "km_travelled" not in errors and km is not None and km > 0:
        # Without the vehicle, the transport emissions cannot be computed.
        errors["vehicle"] = ["Choose the vehicle used for the kilometres travelled."]
    lessons = fields.get("lessons_learned")
    if lessons is not None and not isinstance(lessons, str):
        errors["lessons_learned"] = ["Enter some text."]
    errors.update(_method_errors(fields))
    return errors


def _method_errors(fields: Mapping[str, Any]) -> dict[str, list[str]]:
    method = fields.get("co2e_method")
    if method is not None and method not in CO2E_METHODS:
        return {"co2e_method": [N_("Choose avoided purchase or shared use.")]}
    share = fields.get("lifetime_share")
    if method == "shared_use" and share is None:
        return {"lifetime_share": [N_("Give the share of the item's lifetime that was used.")]}
    if share is not None and (not _is_number(share) or not 0 < share <= 1):
        return {"lifetime_share": [N_("The share of the lifetime is a number above 0 and at most 1.")]}
    return {}


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise FactorsError(f"{where}: missing '{key}'")
    return value.strip()


def _factor(entry: Any, where: str) -> Factor:
    if not isinstance(entry, Mapping):
        raise FactorsError(f"{where}: expected a table")
    value: Any = entry.get("value")
    if not _is_number(value) or value < 0:
        raise FactorsError(f"{where}: 'value' must be a non-negative number")
    return Factor(
        float(value),
        _text(entry, "source", where),
        _text(entry, "method", where),
        _optional_text(entry, "source_en", where),
    )


def _optional_text(entry: Mapping[str, Any], key: str, where: str) -> str:
    return _text(entry, key, where) if key in entry else ""


def load_factors(mapping: Mapping[str, Any]) -> ImpactFactors:
    """Validate the parsed factors file; raise FactorsError naming the faulty entry."""
    kinds: dict[str, KindRule] = {}
    raw_kinds = mapping.get("kinds")
    if not isinstance(raw_kinds, Mapping):
        raise FactorsError("missing [kinds] table")
    for kind in AGREEMENT_KINDS:
        entry = raw_kinds.get(kind)
        where = f"kinds.{kind}"
        if not isinstance(entry, Mapping):
            raise FactorsError(f"{where}: missing")
        basis = entry.get("basis")
        if basis not in BASES:
            raise FactorsError(f"{where}: 'basis' must be one of {', '.join(BASES)}")
        kinds[kind] = KindRule(
            basis,
            _text(entry, "source", where),
            _text(entry, "method", where),
            _optional_text(entry, "source_en", where),
        )

    categories: dict[str, CategoryFactors] = {}
    raw_categories = mapping.get("categories", {})
    if not isinstance(raw_categories, Mapping):
        raise FactorsError("[categories] must be a table")
    for name, entry in raw_categories.items():
        where = f"categories.{name}"
        if not isinstance(entry, Mapping):
            raise FactorsError(f"{where}: expected a table")
        default = _factor(entry, where) if "value" in entry else None
        raw_subs = entry.get("subcategories", {})
        if not isinstance(raw_subs, Mapping):
            raise FactorsError(f"{where}.subcategories: expected a table")
        subs = {
            sub: _factor(sub_entry, f"{where}.subcategories.{sub}") for sub, sub_entry in raw_subs.items()
        }
        categories[name] = CategoryFactors(default, subs)

    raw_transport = mapping.get("transport")
    if not isinstance(raw_transport, Mapping):
        raise FactorsError("missing [transport] table")
    transport = {}
    for vehicle in VEHICLES:
        if vehicle not in raw_transport:
            raise FactorsError(f"transport.{vehicle}: missing")
        transport[vehicle] = _factor(raw_transport[vehicle], f"transport.{vehicle}")
    return ImpactFactors(kinds, categories, transport)


def money_saved(evaluation: Evaluation) -> float | None:
    """The figure entered, else replacement value minus costs when both are known."""
    if evaluation.money_saved_eur is not None:
        return float(evaluation.money_saved_eur)
    if evaluation.replacement_value_eur is not None and evaluation.costs_eur is not None:
        return float(evaluation.replacement_value_eur) - float(evaluation.costs_eur)
    return None


def _fmt(value: float) -> str:
    """Four significant digits at most, never in scientific notation (10452 stays "10,452")."""
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    decimals = max(0, 3 - magnitude)
    text = f"{round(value, decimals):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fmt_fr(value: float) -> str:
    # French writes a decimal comma and groups thousands with a narrow non-breaking space.
    return _fmt(value).replace(",", NARROW_NBSP).replace(".", ",")


def _avoided_by_method(evaluation: Evaluation, kg: float, material: Factor) -> tuple[float, str, str]:
    """Avoided purchase (the whole footprint) or shared use (the share of the lifetime used)."""
    if evaluation.co2e_method == "shared_use" and evaluation.lifetime_share is not None:
        share = float(evaluation.lifetime_share)
        return (
            kg * material.value * share,
            f"Évité\u00a0: {_fmt_fr(kg)} kg × {_fmt_fr(material.value)} kg CO2e/kg "
            f"× {_fmt_fr(share)} de la durée de vie utilisée, usage partagé ({material.source}).",
            f"Avoided: {_fmt(kg)} kg × {_fmt(material.value)} kg CO2e/kg "
            f"× {_fmt(share)} of the lifetime used, shared use ({material.source_english}).",
        )
    return (
        kg * material.value,
        f"Évité\u00a0: {_fmt_fr(kg)} kg réemployés × {_fmt_fr(material.value)} kg CO2e/kg, "
        f"achat neuf évité ({material.source}).",
        f"Avoided: {_fmt(kg)} kg reused × {_fmt(material.value)} kg CO2e/kg, "
        f"new purchase avoided ({material.source_english}).",
    )


def _transport(evaluation: Evaluation, factors: ImpactFactors, km: float) -> tuple[float, str, str]:
    """The CO2e of the travel, with its French and English explanation."""
    transport = 0.0
    if km > 0 and evaluation.vehicle is not None:
        vehicle = factors.transport.get(evaluation.vehicle)
        if vehicle is None:
            raise ValueError(f"unknown vehicle: {evaluation.vehicle!r}")
        transport = km * vehicle.value
        transport_fr = (
            f"Transport\u00a0: {_fmt_fr(km)} km × {_fmt_fr(vehicle.value)} kg CO2e/km "
            f"({VEHICLE_LABELS_FR[evaluation.vehicle]}, {vehicle.source})."
        )
        transport_en = (
            f"Transport: {_fmt(km)} km × {_fmt(vehicle.value)} kg CO2e/km "
            f"({VEHICLE_LABELS_EN[evaluation.vehicle]}, {vehicle.source_english})."
        )
    elif km > 0:
        transport_fr = "Transport\u00a0: véhicule non renseigné, trajet non compté."
        transport_en = "Transport: no vehicle entered, so the travel is not counted."
    else:
        transport_fr = "Transport\u00a0: aucun trajet renseigné."
        transport_en = "Transport: no travel entered."

    return transport, transport_fr, transport_en


def co2e_avoided(evaluation: Evaluation, factors: ImpactFactors) -> ImpactResult:
    """CO2e avoided by reuse, the transport emitted, and the net, each explained in fr and en."""
    rule = factors.kinds.get(evaluation.agreement_kind)
    if rule is None:
        raise ValueError(f"unknown agreement kind: {evaluation.agreement_kind!r}")
    kg = float(evaluation.kg_diverted or 0)
    km = float(evaluation.km_travelled or 0)

    avoided = 0.0
    material = factors.material_factor(evaluation.category, evaluation.subcategory)
    if rule.basis == "per_kg" and material is not None and kg > 0:
        avoided, avoided_fr, avoided_en = _avoided_by_method(evaluation, kg, material)
    elif rule.basis == "per_kg" and material is not None:
        avoided_fr = "Évité\u00a0: aucune masse renseignée, donc aucun gain compté."
        avoided_en = "Avoided: no mass entered, so no gain is counted."
    elif rule.basis == "per_kg":
        avoided_fr = "Évité\u00a0: aucun facteur pour cette catégorie, donc aucun gain compté."
        avoided_en = "Avoided: no factor for this category, so no gain is counted."
    else:
        avoided_fr = (
            "Évité\u00a0: aucun gain direct compté pour ce type de convention (seul le transport l'est)."
        )
        avoided_en = "Avoided: no direct gain is counted for this kind of agreement (only transport is)."

    transport, transport_fr, transport_en = _transport(evaluation, factors, km)

    net = avoided - transport
    return ImpactResult(
        avoided_kg=avoided,
        transport_kg=transport,
        net_kg=net,
        method_fr=f"{avoided_fr} {transport_fr} Net\u00a0: {_fmt_fr(net)} kg CO2e.",
        method_en=f"{avoided_en} {transport_en} Net: {_fmt(net)} kg CO2e.",
        money_saved_eur=money_saved(evaluation),
    )
