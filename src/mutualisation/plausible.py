"""One bound for every number a person types: API schemas and web forms share these fields, so a
quantity of 1e400 (Infinity once stored), NaN or 99,999,999,999,999 is refused the same way
everywhere, with a field message, before a service or a numeric column sees it.

The bounds are generous ceilings for what a territory can lend or report, far inside what the
columns hold (numeric(12,2) overflows at 10^10). Signs and finer ranges stay the services' rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from marshmallow import ValidationError, fields
from wtforms import DecimalField, FloatField
from wtforms.validators import Optional, StopValidation

from .i18n import N_

NOT_FINITE = N_("Enter a finite number.")
TOO_LARGE = N_("This number is too large to be plausible.")
TOO_SMALL = N_("This number cannot be negative.")


@dataclass(frozen=True)
class Bound:
    maximum: float
    minimum: float | None = None  # None: the sign is left to the service's own rule


QUANTITY = Bound(1_000_000)
EUROS = Bound(10_000_000)
KILOMETRES = Bound(40_000)
KILOGRAMS = Bound(10_000_000)
# How far around a commune a search may reach: the API's own limit, mainland France's width.
SEARCH_RADIUS_KM = Bound(1_000, minimum=0)


def problem(value: Any, bound: Bound) -> str | None:
    """Why `value` is not a plausible number within `bound`, or None (None itself is fine)."""
    if value is None:
        return None
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if not finite:
        return NOT_FINITE
    if abs(value) > bound.maximum:
        return TOO_LARGE
    if bound.minimum is not None and value < bound.minimum:
        return TOO_SMALL
    return None


class PlausibleNumber(fields.Float):
    """A marshmallow number within `bound`, never NaN or infinite."""

    def __init__(self, bound: Bound, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"minimum": bound.minimum, "maximum": bound.maximum, **kwargs["metadata"]}
        if bound.minimum is None:
            kwargs["metadata"]["minimum"] = -bound.maximum
        super().__init__(
            allow_nan=False, error_messages={"special": NOT_FINITE, "too_large": TOO_LARGE}, **kwargs
        )
        self.bound = bound

    def _validated(self, value: Any) -> float:
        number = super()._validated(value)
        message = problem(number, self.bound)
        if message:
            raise ValidationError(message)
        return number


class PlausibleValidator:
    """WTForms validator: stops the chain on a non-finite or implausible number, so that no later
    comparison (NumberRange) ever meets a NaN."""

    def __init__(self, bound: Bound) -> None:
        self.bound = bound

    def __call__(self, _form: Any, field: Any) -> None:
        message = problem(field.data, self.bound)
        if message:
            field.errors[:] = []
            raise StopValidation(gettext(message))


def _chain(bound: Bound, validators: list[Any] | None) -> list[Any]:
    return [Optional(), PlausibleValidator(bound), *(validators or [])]


def _attributes(bound: Bound, kw: dict[str, Any]) -> dict[str, Any]:
    """The bound, told to the browser too (`max`, and `min` when the sign is part of it), so that a
    number input refuses an implausible value before it is even sent."""
    render_kw = {"max": bound.maximum, "step": "any", **kw.get("render_kw", {})}
    if bound.minimum is not None:
        render_kw.setdefault("min", bound.minimum)
    return {**kw, "render_kw": render_kw}


class PlausibleFloatField(FloatField):
    def __init__(self, label: Any = None, *, bound: Bound, validators: list[Any] | None = None, **kw: Any):
        super().__init__(label, validators=_chain(bound, validators), **_attributes(bound, kw))


class PlausibleDecimalField(DecimalField):
    def __init__(self, label: Any = None, *, bound: Bound, validators: list[Any] | None = None, **kw: Any):
        kw.setdefault("places", None)
        super().__init__(label, validators=_chain(bound, validators), **_attributes(bound, kw))
