from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

FREQUENCY_LABELS = {
    "immediate": _l("Immediately"),
    "daily": _l("Daily summary"),
    "weekly": _l("Weekly summary"),
    "none": _l("No e-mail (in the app only)"),
}


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: one button that confirms an action."""


def preferences_form(rows, formdata=None):
    """One select per notification kind; field names are the kind codes with dots replaced."""

    class PreferencesForm(FlaskForm):
        pass

    for row in rows:
        setattr(
            PreferencesForm,
            field_name(row.kind),
            SelectField(row.label, choices=list(FREQUENCY_LABELS.items()), default=row.frequency),
        )
    return PreferencesForm(formdata=formdata) if formdata is not None else PreferencesForm()


def field_name(kind: str) -> str:
    return "kind__" + kind.replace(".", "__")
