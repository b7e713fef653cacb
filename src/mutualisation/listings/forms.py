from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from ..plausible import (
    EUROS,
    KILOMETRES,
    QUANTITY,
    SEARCH_RADIUS_KM,
    PlausibleFloatField,
)
from ..territories.forms import CommuneField
from .availability import MAX_BUFFER_DAYS, MAX_UNITS
from .categories import taxonomy
from .labels import (
    CONDITIONS_LABELS,
    KIND_LABELS,
    LOGISTICS_LABELS,
    STATUS_LABELS,
    WITHDRAWAL_REASON_LABELS,
    choices,
)
from .lifecycle import PUBLISHED
from .vocabulary import Logistics

KIND_CHOICES = choices(KIND_LABELS)
# The most flexible answer first: it is the default.
LOGISTICS_CHOICES = choices(LOGISTICS_LABELS, order=(Logistics.BOTH, Logistics.PICKUP, Logistics.DELIVERY))
CONDITIONS_CHOICES = choices(CONDITIONS_LABELS)
REASON_CHOICES = choices(WITHDRAWAL_REASON_LABELS)
# Browsing shows published listings unless asked otherwise: "published" is the blank choice.
STATUS_FILTER_CHOICES = [("", STATUS_LABELS[PUBLISHED])] + [
    (code, text) for code, text in choices(STATUS_LABELS) if code != PUBLISHED
]


def category_choices(locale: str, blank: Any = None) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [(c.code, c.label(locale)) for c in taxonomy().categories]
    return ([("", blank)] if blank else []) + pairs


def subcategory_choices(locale: str, blank: Any = None) -> dict[str, list[tuple[str, Any]]]:
    """Grouped by category; the page's script narrows the list to the chosen category."""
    groups: dict[str, list[tuple[str, Any]]] = {}
    if blank:
        groups[""] = [("", blank)]
    for category in taxonomy().categories:
        groups[category.label(locale)] = [(s.code, s.label(locale)) for s in category.subcategories]
    return groups


CHOOSE = _l("Choose…")
# The listing form starts on "Choose…" for what it is: a default kind or subcategory filed
# needs as offers and chippers under "podium" when people did not notice it.
KIND_FORM_CHOICES = [("", CHOOSE), *KIND_CHOICES]


class ListingForm(FlaskForm):
    kind = SelectField(
        _l("Type"), choices=KIND_FORM_CHOICES, validators=[DataRequired(message=_l("Choose offer or need."))]
    )
    category = SelectField(_l("Category"), validators=[DataRequired(message=_l("Choose a category."))])
    subcategory = SelectField(
        _l("Subcategory"),
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose a subcategory."))],
    )
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("A title is required."))])
    description = TextAreaField(_l("Description"), render_kw={"rows": 6})
    quantity = PlausibleFloatField(_l("Quantity"), bound=QUANTITY, render_kw={"min": 0})
    unit = StringField(_l("Unit"))
    available_from = DateField(_l("Available from"), validators=[Optional()])
    available_until = DateField(_l("Available until"), validators=[Optional()])
    recurring = BooleanField(_l("Recurring"))
    inexhaustible = BooleanField(_l("Inexhaustible (skills and know-how only)"))
    remote_possible = BooleanField(_l("Remote possible (skills and know-how only)"))
    # Bounds from the booking rules (availability.py), shown to the browser as min/max too;
    # the service checks them again with its own French message.
    bookable_units = IntegerField(
        _l("Lent again and again: number of units (equipment offers only)"),
        validators=[Optional()],
        render_kw={"min": 1, "max": MAX_UNITS},
    )
    booking_buffer_days = IntegerField(
        _l("Days kept after each return (cleaning, checks)"),
        validators=[Optional()],
        render_kw={"min": 0, "max": MAX_BUFFER_DAYS},
    )
    logistics = SelectField(_l("Logistics"), choices=LOGISTICS_CHOICES)
    max_distance_km = PlausibleFloatField(_l("Maximum distance (km)"), bound=KILOMETRES, render_kw={"min": 0})
    conditions = SelectField(_l("Conditions"), choices=CONDITIONS_CHOICES)
    deposit_eur = PlausibleFloatField(_l("Deposit (EUR)"), bound=EUROS, render_kw={"min": 0})
    insurance_required = BooleanField(_l("Insurance required"))
    qualified_operator_required = BooleanField(_l("Qualified operator required"))
    network_only = BooleanField(_l("Keep private to the network's members (hidden from visitors)"))
    address = StringField(_l("Address (optional)"))
    # Their range is the service's rule, with its own messages ("outside France").
    latitude = FloatField(_l("Latitude"), validators=[Optional()])
    longitude = FloatField(_l("Longitude"), validators=[Optional()])
    version = HiddenField()

    def content(self) -> dict[str, Any]:
        names = [f.name for f in self if f.name not in ("csrf_token", "version")]
        return {name: self[name].data for name in names}


class WithdrawForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=REASON_CHOICES)
    reason_text = StringField(_l("Details (required for another reason)"))


class RenewForm(FlaskForm):
    available_until = DateField(_l("New end date (optional)"), validators=[Optional()])


class ActionForm(FlaskForm):
    """A bare form: just the CSRF token, for one-click actions."""


class BrowseForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(
        _l("Type"), choices=[("", _l("Offers and needs")), *KIND_CHOICES], validate_choice=False
    )
    category = SelectField(_l("Category"), validate_choice=False)
    subcategory = SelectField(_l("Subcategory"), validate_choice=False)
    q = StringField(_l("Text"))
    near = CommuneField(_l("Near (commune, postcode or INSEE code)"))
    radius_km = PlausibleFloatField(_l("Within (km)"), bound=SEARCH_RADIUS_KM)
    status = SelectField(
        _l("Status"),
        choices=STATUS_FILTER_CHOICES,
        validate_choice=False,
    )
    # Relevance first, the default: without a text searched it is the newest first.
    sort = SelectField(
        _l("Sort by"),
        choices=[("relevance", _l("Relevance")), ("newest", _l("Newest")), ("nearest", _l("Nearest"))],
        validate_choice=False,
    )
    available_from = DateField(_l("Available from"), validators=[Optional()])
    available_to = DateField(_l("Available to"), validators=[Optional()])


class SaveSearchForm(FlaskForm):
    """Save the browse page's current filters (carried as hidden fields) under an optional name."""

    kind = HiddenField()
    category = HiddenField()
    subcategory = HiddenField()
    q = HiddenField()
    near = HiddenField()
    near_code = HiddenField()  # the commune picked on the browse page when `near` matched several
    radius_km = HiddenField()
    label = StringField(_l("Name of this search (optional)"))
