"""Business checks on a listing's content. Pure: plain values in, field errors out."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..i18n import N_
from ..territories.geocoding import in_france, in_range
from .availability import MAX_BUFFER_DAYS, MAX_UNITS
from .taxonomy import Taxonomy
from .vocabulary import CONDITIONS, DEFAULT_CONDITIONS, DEFAULT_LOGISTICS, KINDS, LOGISTICS

# Sharing a skill or know-how does not use it up, and may happen by video call.
SHAREABLE_CATEGORIES = ("skill", "know_how")
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
UNIT_MAX = 40
ADDRESS_MAX = 300
MAX_DISTANCE_KM = 1000


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _check_category(data: dict[str, Any], taxonomy: Taxonomy, errors: dict[str, list[str]]) -> None:
    category = data.get("category")
    if category not in {c.code for c in taxonomy.categories}:
        _add(errors, "category", N_("Unknown category."))
    elif not data.get("subcategory"):
        _add(errors, "subcategory", N_("Choose a subcategory."))
    elif not taxonomy.is_valid(category, data["subcategory"]):
        _add(errors, "subcategory", N_("This subcategory does not belong to the chosen category."))


def _check_texts(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    title = (data.get("title") or "").strip()
    if not title:
        _add(errors, "title", N_("A title is required."))
    elif len(title) > TITLE_MAX:
        _add(errors, "title", N_("The title is too long (200 characters at most)."))
    if len(data.get("description") or "") > DESCRIPTION_MAX:
        _add(errors, "description", N_("The description is too long (5,000 characters at most)."))
    if len(data.get("unit") or "") > UNIT_MAX:
        _add(errors, "unit", N_("The unit is too long (40 characters at most)."))
    if len(data.get("address") or "") > ADDRESS_MAX:
        _add(errors, "address", N_("The address is too long (300 characters at most)."))


def _check_numbers(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    quantity = data.get("quantity")
    if quantity is not None and quantity < 0:
        _add(errors, "quantity", N_("The quantity cannot be negative."))
    distance = data.get("max_distance_km")
    if distance is not None and not 0 <= distance <= MAX_DISTANCE_KM:
        _add(errors, "max_distance_km", N_("The maximum distance must be between 0 and 1,000 km."))
    deposit = data.get("deposit_eur")
    if deposit is not None and deposit < 0:
        _add(errors, "deposit_eur", N_("The deposit cannot be negative."))


def _check_terms(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    start: date | None = data.get("available_from")
    end: date | None = data.get("available_until")
    if start and end and end < start:
        _add(errors, "available_until", N_("The end of the availability window is before its start."))
    if data.get("logistics", DEFAULT_LOGISTICS) not in LOGISTICS:
        _add(errors, "logistics", N_("Choose pickup, delivery or both."))
    if data.get("conditions", DEFAULT_CONDITIONS) not in CONDITIONS:
        _add(errors, "conditions", N_("Unknown conditions."))
    _check_booking(data, errors)
    if data.get("category") not in SHAREABLE_CATEGORIES:
        if data.get("inexhaustible"):
            _add(errors, "inexhaustible", N_("Only skills and know-how can be inexhaustible."))
        if data.get("remote_possible"):
            _add(errors, "remote_possible", N_("Only skills and know-how can be shared remotely."))


def _whole_between(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_booking(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Only an equipment offer is lent again and again by units (listings/availability.py)."""
    units, buffer_days = data.get("bookable_units"), data.get("booking_buffer_days")
    if units is not None:
        if data.get("kind") != "offer" or data.get("category") != "equipment":
            _add(errors, "bookable_units", N_("Only an equipment offer can be booked by units."))
        elif not _whole_between(units, 1, MAX_UNITS):
            _add(errors, "bookable_units", N_("Give a whole number of units from 1 to 1,000."))
    if buffer_days is not None and not _whole_between(buffer_days, 0, MAX_BUFFER_DAYS):
        _add(errors, "booking_buffer_days", N_("Give a whole number of days from 0 to 30."))


def check_listing(data: dict[str, Any], taxonomy: Taxonomy) -> dict[str, list[str]]:
    """Field errors of a complete listing content (after merging an update)."""
    errors: dict[str, list[str]] = {}
    if data.get("kind") not in KINDS:
        _add(errors, "kind", N_("Choose offer or need."))
    _check_category(data, taxonomy, errors)
    _check_texts(data, errors)
    _check_numbers(data, errors)
    _check_terms(data, errors)
    errors.update(check_coordinates(data.get("latitude"), data.get("longitude")))
    return errors


def check_coordinates(latitude: float | None, longitude: float | None) -> dict[str, list[str]]:
    if latitude is None and longitude is None:
        return {}
    if latitude is None or longitude is None:
        return {"latitude": [N_("Give both latitude and longitude, or neither.")]}
    if not in_range(latitude, longitude):
        return {"latitude": [N_("Coordinates out of range.")]}
    if not in_france(latitude, longitude):
        return {"latitude": [N_("This point is outside France.")]}
    return {}
