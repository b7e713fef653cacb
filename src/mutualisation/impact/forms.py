"""Forms of the sheets pages (CSRF by Flask-WTF; the rules are checked by the services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Optional

from .sheet_rules import MAX_POPULATION, SECTIONS

SECTION_LABELS = {
    "context": _l("Context"),
    "what_shared": _l("What was shared, and how"),
    "method": _l("The method, step by step"),
    "success_conditions": _l("Conditions of success"),
    "pitfalls": _l("Pitfalls"),
    "results_text": _l("Results"),
    "contacts": _l("Contacts (roles and services, never personal e-mails)"),
}
REACTION_LABELS = {
    "reuse": _l("We took it up"),
    "comment": _l("Comment"),
    "contradiction": _l("Contradiction"),
}


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SheetForm(FlaskForm):
    title = StringField(_l("Title"))
    themes = CheckboxesField(_l("Themes"), validate_choice=False)
    category = SelectField(_l("Category"), validate_choice=False)
    population = IntegerField(
        _l("Population"), validators=[Optional()], render_kw={"min": 0, "max": MAX_POPULATION}
    )
    started_on = DateField(_l("Started on"), validators=[Optional()])
    ended_on = DateField(_l("Ended on"), validators=[Optional()])
    context = TextAreaField(SECTION_LABELS["context"], render_kw={"rows": 3})
    what_shared = TextAreaField(SECTION_LABELS["what_shared"], render_kw={"rows": 4})
    method = TextAreaField(SECTION_LABELS["method"], render_kw={"rows": 6})
    success_conditions = TextAreaField(SECTION_LABELS["success_conditions"], render_kw={"rows": 4})
    pitfalls = TextAreaField(SECTION_LABELS["pitfalls"], render_kw={"rows": 4})
    results_text = TextAreaField(SECTION_LABELS["results_text"], render_kw={"rows": 4})
    contacts = TextAreaField(SECTION_LABELS["contacts"], render_kw={"rows": 2})
    comment = StringField(_l("What did you change? (optional)"))
    version = HiddenField()

    def content(self) -> dict:
        data = {name: getattr(self, name).data for name in ("title", "themes", "population", *SECTIONS)}
        data["category"] = self.category.data or None
        data["started_on"] = self.started_on.data
        data["ended_on"] = self.ended_on.data
        data["comment"] = self.comment.data or ""
        return data


class ReactionForm(FlaskForm):
    kind = SelectField(_l("Kind of reaction"), choices=list(REACTION_LABELS.items()))
    body = TextAreaField(_l("Your message"), render_kw={"rows": 4})


class ActionForm(FlaskForm):
    """A button that changes state: only its CSRF token."""
