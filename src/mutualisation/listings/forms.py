from __future__ import annotations

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
from wtforms.validators import Optional

from . import lifecycle
from .services import taxonomy

KIND_CHOICES = [("offer", _l("Offer")), ("need", _l("Need"))]
LOGISTICS_CHOICES = [
    ("both", _l("Pickup or delivery")),
    ("pickup", _l("Pickup")),
    ("delivery", _l("Delivery")),
]
CONDITIONS_CHOICES = [
    ("free", _l("Free")),
    ("loan", _l("Loan")),
    ("exchange", _l("Exchange")),
    ("cost_sharing", _l("Cost sharing")),
]
STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "reserved": _l("Reserved"),
    "fulfilled": _l("Fulfilled"),
    "expired": _l("Expired"),
    "withdrawn": _l("Withdrawn"),
}
REASON_CHOICES = [(code, _l(label)) for code, label in lifecycle.WITHDRAWAL_REASON_LABELS.items()]


def category_choices(locale: str, blank=None):
    choices = [(c.code, c.label(locale)) for c in taxonomy().categories]
    return ([("", blank)] if blank else []) + choices


def subcategory_choices(locale: str, blank=None):
    """Grouped by category; the page's script narrows the list to the chosen category."""
    groups: dict = {}
    if blank:
        groups[""] = [("", blank)]
    for category in taxonomy().categories:
        groups[category.label(locale)] = [(s.code, s.label(locale)) for s in category.subcategories]
    return groups


class ListingForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=KIND_CHOICES)
    category = SelectField(_l("Category"))
    subcategory = SelectField(_l("Subcategory"), validate_choice=False)
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 6})
    quantity = FloatField(_l("Quantity"), validators=[Optional()])
    unit = StringField(_l("Unit"))
    available_from = DateField(_l("Available from"), validators=[Optional()])
    available_until = DateField(_l("Available until"), validators=[Optional()])
    recurring = BooleanField(_l("Recurring"))
    inexhaustible = BooleanField(_l("Inexhaustible (skills and know-how only)"))
    remote_possible = BooleanField(_l("Remote possible (skills and know-how only)"))
    logistics = SelectField(_l("Logistics"), choices=LOGISTICS_CHOICES)
    max_distance_km = FloatField(_l("Maximum distance (km)"), validators=[Optional()])
    conditions = SelectField(_l("Conditions"), choices=CONDITIONS_CHOICES)
    deposit_eur = FloatField(_l("Deposit (EUR)"), validators=[Optional()])
    insurance_required = BooleanField(_l("Insurance required"))
    qualified_operator_required = BooleanField(_l("Qualified operator required"))
    network_only = BooleanField(_l("Keep private to the network's members (hidden from visitors)"))
    address = StringField(_l("Address (optional)"))
    latitude = FloatField(_l("Latitude"), validators=[Optional()])
    longitude = FloatField(_l("Longitude"), validators=[Optional()])
    version = HiddenField()

    def content(self) -> dict:
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
    near = StringField(_l("Near (commune or INSEE code)"))
    radius_km = IntegerField(_l("Within (km)"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[("", _l("Published"))] + [(k, v) for k, v in STATUS_LABELS.items() if k != "published"],
        validate_choice=False,
    )
    sort = SelectField(
        _l("Sort by"), choices=[("newest", _l("Newest")), ("nearest", _l("Nearest"))], validate_choice=False
    )
