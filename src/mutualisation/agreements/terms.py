"""The terms of an agreement: merging a proposal onto the previous version and checking it.

Pure (no Flask, no SQLAlchemy): the service hands in plain mappings and the allowed listing
vocabularies, and gets back clean values or a `RuleViolation` with one message per field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from typing import Any, Final

from mutualisation.errors import RuleViolation
from mutualisation.i18n import N_

from .vocabulary import AgreementKind, values

Errors = dict[str, list[str]]

# The fields of one terms version, as `normalise_terms` returns them; an empty draft starts here.
EMPTY_TERMS: Final[Mapping[str, Any]] = {
    "lines": [],
    "starts_on": None,
    "ends_on": None,
    "logistics": None,
    "conditions": None,
    "deposit_eur": None,
    "insurance_required": False,
    "qualified_operator_required": False,
    "kind": None,
}
KINDS: Final = values(AgreementKind)


def _date(value: Any, name: str, errors: Errors) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = [N_("Enter a valid date.")]
        return None


def _number(value: Any, name: str, errors: Errors) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[name] = [N_("Enter a number.")]
        return None
    if isinstance(value, bool) or not math.isfinite(number):
        errors[name] = [N_("Enter a number.")]
        return None
    if number < 0:
        errors[name] = [N_("This cannot be negative.")]
        return None
    return number


def _lines(raw_lines: Any, errors: Errors) -> list[dict[str, Any]]:
    if not isinstance(raw_lines, list):
        errors["lines"] = [N_("The terms are not valid.")]
        return []
    lines = []
    for i, line in enumerate(raw_lines):
        if not isinstance(line, Mapping):
            errors[f"lines.{i}"] = [N_("The terms are not valid.")]
            continue
        description = str(line.get("description") or "").strip()
        if not description:
            errors[f"lines.{i}.description"] = [N_("Describe the resource.")]
        quantity = _number(line.get("quantity"), f"lines.{i}.quantity", errors)
        unit = str(line.get("unit") or "").strip() or None
        lines.append({"description": description, "quantity": quantity, "unit": unit})
    if not lines and "lines" not in errors:
        errors["lines"] = [N_("List at least one resource.")]
    return lines


def _choice(value: Any, allowed: Collection[str], name: str, message: str, errors: Errors) -> Any:
    value = value or None
    if value is not None and value not in allowed:
        errors[name] = [message]
    return value


def normalise_terms(
    raw: Mapping[str, Any] | None,
    base: Mapping[str, Any],
    *,
    logistics: Collection[str],
    conditions: Collection[str],
) -> dict[str, Any]:
    """Merge `raw` onto `base` (the previous version) and check every business rule of terms.

    `logistics` and `conditions` are the listings' vocabularies, which terms share.
    """
    raw = dict(raw or {})
    merged = {**base, **{k: v for k, v in raw.items() if k in base or k == "lines"}}
    errors: Errors = {}
    lines = _lines(merged.get("lines") or [], errors)
    starts_on = _date(merged.get("starts_on"), "starts_on", errors)
    ends_on = _date(merged.get("ends_on"), "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [N_("The end date cannot be before the start date.")]
    deposit = _number(merged.get("deposit_eur"), "deposit_eur", errors)
    clean = {
        "lines": lines,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "logistics": _choice(
            merged.get("logistics"), logistics, "logistics", N_("Choose pickup, delivery or both."), errors
        ),
        "conditions": _choice(
            merged.get("conditions"),
            conditions,
            "conditions",
            N_("Choose free, loan, exchange or cost sharing."),
            errors,
        ),
        "deposit_eur": deposit,
        "insurance_required": bool(merged.get("insurance_required")),
        "qualified_operator_required": bool(merged.get("qualified_operator_required")),
        "kind": merged.get("kind"),
    }
    if clean["kind"] not in KINDS:
        errors["kind"] = [N_("Choose a loan, a service or a transfer of know-how.")]
    if errors:
        raise RuleViolation(N_("Please correct the highlighted fields."), fields=errors)
    return clean


def terms_base(version: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields of a stored version (`AgreementTerms.as_dict()`), without its bookkeeping."""
    if version is None:
        return dict(EMPTY_TERMS)
    return {name: version.get(name, EMPTY_TERMS[name]) for name in EMPTY_TERMS}


def terms_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field that changed between two versions."""
    before, after = terms_base(old), terms_base(new)
    return [(name, before[name], after[name]) for name in after if before[name] != after[name]]
