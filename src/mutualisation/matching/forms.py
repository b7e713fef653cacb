from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

DISMISS_CHOICES = [
    ("already_found", _l("Already found")),
    ("too_far", _l("Too far")),
    ("wrong_item", _l("Not the right item")),
    ("dates_dont_fit", _l("Dates don't fit")),
    ("other", _l("Other")),
]
REASON_LABELS = dict(DISMISS_CHOICES)


class AcceptForm(FlaskForm):
    next = HiddenField()


class DismissForm(FlaskForm):
    next = HiddenField()
    reason = SelectField(_l("Reason"), choices=DISMISS_CHOICES, validators=[DataRequired()])
    text = TextAreaField(_l("Details (optional)"), validators=[Optional(), Length(max=1000)])


class WidenForm(FlaskForm):
    """The 'widen the radius to N km' button of a listing without suggestions."""

    next = HiddenField()
    radius_km = FloatField(validators=[DataRequired(), NumberRange(min=0)])
    version = IntegerField(validators=[DataRequired()])
