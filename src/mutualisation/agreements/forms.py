"""One small form per lifecycle action, each with only the fields that action needs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..listings.labels import CONDITIONS_LABELS, LOGISTICS_LABELS, choices
from ..plausible import EUROS, KILOGRAMS, KILOMETRES, QUANTITY, PlausibleDecimalField
from .labels import DECISION_KIND_LABELS, KIND_LABELS, SIGNATURE_METHOD_LABELS
from .vocabulary import Action

KIND_CHOICES = [(str(kind), label) for kind, label in KIND_LABELS.items()]
LOGISTICS_CHOICES = [("", _l("Not specified")), *choices(LOGISTICS_LABELS)]
CONDITIONS_CHOICES = [("", _l("Not specified")), *choices(CONDITIONS_LABELS)]
VEHICLE_CHOICES = [("none", _l("No vehicle")), ("car", _l("Car")), ("van", _l("Van")), ("truck", _l("Truck"))]


class ActionForm(FlaskForm):
    # The terms version the page showed: required, so that nobody acts on terms they never saw.
    version = HiddenField(
        validators=[InputRequired(_l("The terms version is missing. Please reload the agreement."))]
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=5000)])

    def payload(self) -> dict:
        data = {"comment": self.comment.data or None}
        if self.version.data not in (None, ""):
            try:
                data["version"] = int(self.version.data)
            except ValueError:
                data["version"] = -1
        return data


class LineForm(Form):
    """One resource line of the terms (a plain Form: the CSRF token belongs to the outer form)."""

    description = StringField(_l("Designation"), validators=[Optional(), Length(max=300)])
    quantity = PlausibleDecimalField(_l("Quantity"), bound=QUANTITY, validators=[NumberRange(min=0)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])

    def is_blank(self) -> bool:
        return not (self.description.data or "").strip() and self.quantity.data is None and not self.unit.data


# Blank rows offered for new lines, without JavaScript: a blank row is simply ignored.
SPARE_LINES = 2
MAX_LINES = 50


def _num(value):
    return None if value is None else float(value)


class TermsForm(ActionForm):
    lines = FieldList(FormField(LineForm), min_entries=1 + SPARE_LINES, max_entries=MAX_LINES)
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    ends_on = DateField(_l("End date"), validators=[Optional()])
    kind = SelectField(_l("Kind of agreement"), choices=KIND_CHOICES)
    logistics = SelectField(_l("Logistics"), choices=LOGISTICS_CHOICES, validators=[Optional()])
    conditions = SelectField(_l("Conditions"), choices=CONDITIONS_CHOICES, validators=[Optional()])
    deposit_eur = PlausibleDecimalField(_l("Deposit (€)"), bound=EUROS, validators=[NumberRange(min=0)])
    insurance_required = BooleanField(_l("Insurance certificate required"))
    qualified_operator_required = BooleanField(_l("Qualified operator required (e.g. CACES)"))

    def fill_lines(self, lines) -> None:
        """Show `lines` (dicts), plus spare blank rows for new ones."""
        while len(self.lines.entries) < min(len(lines) + SPARE_LINES, MAX_LINES):
            self.lines.append_entry()
        for entry, line in zip(self.lines.entries, lines, strict=False):
            entry.form.description.data = line.get("description")
            entry.form.quantity.data = line.get("quantity")
            entry.form.unit.data = line.get("unit")

    def fill(self, terms) -> None:
        if terms is not None:
            self.fill_terms(terms.as_dict())

    def fill_terms(self, terms: dict) -> None:
        """Show terms given as a dict (`drafts.initial_terms`), as `fill` shows a stored version."""
        self.fill_lines(terms.get("lines") or [])
        self.starts_on.data = terms.get("starts_on")
        self.ends_on.data = terms.get("ends_on")
        self.kind.data = terms.get("kind")
        self.logistics.data = terms.get("logistics") or ""
        self.conditions.data = terms.get("conditions") or ""
        self.deposit_eur.data = terms.get("deposit_eur")
        self.insurance_required.data = bool(terms.get("insurance_required"))
        self.qualified_operator_required.data = bool(terms.get("qualified_operator_required"))

    def filled_rows(self) -> list[int]:
        """The indexes of the rows the user filled in (the service numbers lines in this order)."""
        return [i for i, entry in enumerate(self.lines.entries) if not entry.form.is_blank()]

    def terms(self) -> dict:
        rows = [self.lines.entries[i].form for i in self.filled_rows()]
        return {
            "lines": [
                {
                    "description": row.description.data,
                    "quantity": _num(row.quantity.data),
                    "unit": row.unit.data,
                }
                for row in rows
            ],
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "kind": self.kind.data,
            "logistics": self.logistics.data or None,
            "conditions": self.conditions.data or None,
            "deposit_eur": _num(self.deposit_eur.data),
            "insurance_required": bool(self.insurance_required.data),
            "qualified_operator_required": bool(self.qualified_operator_required.data),
        }

    def payload(self) -> dict:
        return {**super().payload(), "terms": self.terms()}


class CreateForm(TermsForm):
    version = None  # a new draft has no terms version yet (WTForms drops a field set to None)
    offer_id = HiddenField()
    need_id = HiddenField()


class ConfirmedForm(ActionForm):
    """A destructive action (refuse, cancel, withdraw): the person ticks that they mean it.

    A checkbox rather than a JavaScript dialog: it works without scripts and the server checks it.
    """

    confirm = BooleanField(
        _l("I confirm: this cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class ReasonForm(ConfirmedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])

    def payload(self) -> dict:
        return {**super().payload(), "reason": self.reason.data}


class OptionalReasonForm(ConfirmedForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])

    def payload(self) -> dict:
        return {**super().payload(), "reason": self.reason.data or None}


class ApproveForm(ActionForm):
    """The act that carries the decision: the approval is dated by it, not by the click."""

    decision_kind = SelectField(
        _l("Kind of decision"),
        choices=[("", _l("Choose…")), *((str(k), label) for k, label in DECISION_KIND_LABELS.items())],
        validators=[DataRequired(_l("Choose the kind of decision."))],
    )
    decision_reference = StringField(
        _l("Decision number"),
        validators=[DataRequired(_l("Enter the number of the decision.")), Length(max=200)],
    )
    decision_date = DateField(
        _l("Date of the decision"), validators=[DataRequired(_l("Enter the date of the decision."))]
    )
    # Checked by the view (magic bytes, size), which hands the service plain bytes.
    decision_document = FileField(_l("The decision as a PDF (optional)"))

    def payload(self) -> dict:
        return {
            **super().payload(),
            "decision_kind": self.decision_kind.data,
            "decision_reference": self.decision_reference.data or None,
            "decision_date": self.decision_date.data,
        }

    def upload(self):
        data = self.decision_document.data
        return data if getattr(data, "filename", "") else None


class RefuseForm(ReasonForm):
    decision_reference = StringField(
        _l("Decision reference (arrêté or délibération number, optional)"),
        validators=[Optional(), Length(max=200)],
    )

    def payload(self) -> dict:
        return {**super().payload(), "decision_reference": self.decision_reference.data or None}


class SignForm(ActionForm):
    """Sign in the app, or upload the scan of the copy signed by hand; either way the hash of the
    convention read (a hidden field) must still be the issued one."""

    method = SelectField(
        _l("How do you sign?"),
        choices=[(str(k), label) for k, label in SIGNATURE_METHOD_LABELS.items()],
        default="in_app",
    )
    document_sha256 = HiddenField()
    scan = FileField(_l("The convention signed by hand, scanned as a PDF (for an upload)"))

    def payload(self) -> dict:
        return {
            **super().payload(),
            "method": self.method.data,
            "document_sha256": self.document_sha256.data or None,
        }

    def upload(self):
        data = self.scan.data
        return data if getattr(data, "filename", "") else None


class AmendForm(TermsForm):
    """An avenant: new terms for a signed convention, approved and signed again."""


class ReportForm(ActionForm):
    report = TextAreaField(
        _l("Report (condition of the items, remarks)"), validators=[Optional(), Length(max=10000)]
    )

    # Checked by the view (magic bytes, size), which hands the service plain bytes.
    photos = MultipleFileField(_l("Photos (JPEG or PNG, optional)"))
    # Shown only after the view warned about the date (timing.py): ticked, it records anyway.
    confirm = BooleanField(_l("Record it anyway"))

    def payload(self) -> dict:
        return {**super().payload(), "report": self.report.data or None}

    def uploads(self) -> list:
        """The files actually chosen (a browser sends one empty part when none is)."""
        return [f for f in (self.photos.data or []) if getattr(f, "filename", "")]


class ExtensionForm(ActionForm):
    ends_on = DateField(_l("New end date"), validators=[DataRequired()])

    def payload(self) -> dict:
        return {**super().payload(), "ends_on": self.ends_on.data}


class DecideExtensionForm(ActionForm):
    decision = SelectField(
        _l("Decision"),
        choices=[("approve", _l("Accept the extension")), ("refuse", _l("Refuse the extension"))],
    )

    def payload(self) -> dict:
        return {**super().payload(), "decision": self.decision.data}


class EvaluationForm(ActionForm):
    satisfaction = SelectField(
        _l("Satisfaction (1 to 5)"), choices=[(str(i), str(i)) for i in range(5, 0, -1)]
    )
    money_saved_eur = PlausibleDecimalField(
        _l("Money saved (€)"), bound=EUROS, validators=[NumberRange(min=0)]
    )
    kg_diverted = PlausibleDecimalField(
        _l("Mass of the item lent or given, in kg (what a new purchase would have weighed)"),
        bound=KILOGRAMS,
        validators=[NumberRange(min=0)],
    )
    co2e_method = SelectField(
        _l("CO2e method"),
        default="avoided_purchase",
        choices=[
            ("avoided_purchase", _l("Avoided purchase: without the loan, we would have bought it")),
            ("shared_use", _l("Shared use: we used a share of the item's lifetime")),
        ],
    )
    lifetime_share_percent = DecimalField(
        _l("Share of the item's lifetime used (%), for shared use"),
        places=None,
        validators=[Optional(), NumberRange(min=0.01, max=100)],
    )
    km_travelled = PlausibleDecimalField(
        _l("Kilometres travelled"), bound=KILOMETRES, validators=[NumberRange(min=0)]
    )
    vehicle = SelectField(_l("Vehicle"), choices=VEHICLE_CHOICES)
    lessons_learned = TextAreaField(_l("Lessons learned"), validators=[Optional(), Length(max=10000)])

    def payload(self) -> dict:
        def num(value):
            return None if value is None else float(value)

        return {
            **super().payload(),
            "satisfaction": int(self.satisfaction.data),
            "money_saved_eur": num(self.money_saved_eur.data),
            "kg_diverted": num(self.kg_diverted.data),
            "km_travelled": num(self.km_travelled.data),
            "vehicle": self.vehicle.data,
            "lessons_learned": self.lessons_learned.data or None,
            "co2e_method": self.co2e_method.data,
            "lifetime_share": num(self.lifetime_share_percent.data) / 100
            if self.lifetime_share_percent.data is not None
            else None,
        }


ACTION_FORMS: dict[str, type[ActionForm]] = {
    Action.PROPOSE: ActionForm,
    Action.COUNTER_PROPOSE: TermsForm,
    Action.ACCEPT: ActionForm,
    Action.APPROVE: ApproveForm,
    Action.REFUSE: RefuseForm,
    Action.SIGN: SignForm,
    Action.START: ReportForm,
    Action.REPORT_INCIDENT: ReportForm,
    Action.REQUEST_EXTENSION: ExtensionForm,
    Action.DECIDE_EXTENSION: DecideExtensionForm,
    Action.RETURN: ReportForm,
    Action.COMPLETE: ActionForm,
    Action.EVALUATE: EvaluationForm,
    Action.WITHDRAW: OptionalReasonForm,
    Action.CANCEL: ReasonForm,
    Action.AMEND: AmendForm,
}
