"""One small form per lifecycle action, each with only the fields that action needs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

KIND_CHOICES = [
    ("loan", _l("Loan of equipment")),
    ("service", _l("Provision of a service")),
    ("know_how", _l("Transfer of know-how")),
]
LOGISTICS_CHOICES = [
    ("", _l("Not specified")),
    ("pickup", _l("Pickup")),
    ("delivery", _l("Delivery")),
    ("both", _l("Pickup or delivery")),
]
CONDITIONS_CHOICES = [
    ("", _l("Not specified")),
    ("free", _l("Free")),
    ("loan", _l("Loan")),
    ("exchange", _l("Exchange")),
    ("cost_sharing", _l("Cost sharing")),
]
VEHICLE_CHOICES = [("none", _l("No vehicle")), ("car", _l("Car")), ("van", _l("Van")), ("truck", _l("Truck"))]


class ActionForm(FlaskForm):
    version = HiddenField()
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=5000)])

    def payload(self) -> dict:
        data = {"comment": self.comment.data or None}
        if self.version.data not in (None, ""):
            try:
                data["version"] = int(self.version.data)
            except ValueError:
                data["version"] = -1
        return data


class TermsForm(ActionForm):
    description = StringField(_l("Resource"), validators=[DataRequired(), Length(max=300)])
    quantity = DecimalField(_l("Quantity"), places=None, validators=[Optional(), NumberRange(min=0)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    ends_on = DateField(_l("End date"), validators=[Optional()])
    kind = SelectField(_l("Kind of agreement"), choices=KIND_CHOICES)
    logistics = SelectField(_l("Logistics"), choices=LOGISTICS_CHOICES, validators=[Optional()])
    conditions = SelectField(_l("Conditions"), choices=CONDITIONS_CHOICES, validators=[Optional()])
    deposit_eur = DecimalField(_l("Deposit (€)"), places=None, validators=[Optional(), NumberRange(min=0)])
    insurance_required = BooleanField(_l("Insurance certificate required"))

    def fill(self, terms) -> None:
        if terms is None:
            return
        line = (terms.lines or [{}])[0]
        self.description.data = self.description.data or line.get("description")
        if self.quantity.data is None and line.get("quantity") is not None:
            self.quantity.data = line.get("quantity")
        self.unit.data = self.unit.data or line.get("unit")
        self.starts_on.data = self.starts_on.data or terms.starts_on
        self.ends_on.data = self.ends_on.data or terms.ends_on
        self.kind.data = terms.kind
        self.logistics.data = terms.logistics or ""
        self.conditions.data = terms.conditions or ""
        if self.deposit_eur.data is None and terms.deposit_eur is not None:
            self.deposit_eur.data = terms.deposit_eur
        self.insurance_required.data = terms.insurance_required

    def terms(self) -> dict:
        def num(value):
            return None if value is None else float(value)

        return {
            "lines": [
                {
                    "description": self.description.data,
                    "quantity": num(self.quantity.data),
                    "unit": self.unit.data,
                }
            ],
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "kind": self.kind.data,
            "logistics": self.logistics.data or None,
            "conditions": self.conditions.data or None,
            "deposit_eur": num(self.deposit_eur.data),
            "insurance_required": bool(self.insurance_required.data),
        }

    def payload(self) -> dict:
        return {**super().payload(), "terms": self.terms()}


class CreateForm(TermsForm):
    offer_id = HiddenField()
    need_id = HiddenField()


class ReasonForm(ActionForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])

    def payload(self) -> dict:
        return {**super().payload(), "reason": self.reason.data}


class OptionalReasonForm(ActionForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])

    def payload(self) -> dict:
        return {**super().payload(), "reason": self.reason.data or None}


class ApproveForm(ActionForm):
    decision_reference = StringField(
        _l("Decision reference (arrêté or délibération number, optional)"),
        validators=[Optional(), Length(max=200)],
    )

    def payload(self) -> dict:
        return {**super().payload(), "decision_reference": self.decision_reference.data or None}


class RefuseForm(ReasonForm, ApproveForm):
    def payload(self) -> dict:
        return {**ReasonForm.payload(self), "decision_reference": self.decision_reference.data or None}


class ReportForm(ActionForm):
    report = TextAreaField(
        _l("Report (condition of the items, remarks)"), validators=[Optional(), Length(max=10000)]
    )

    def payload(self) -> dict:
        return {**super().payload(), "report": self.report.data or None}


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
    money_saved_eur = DecimalField(
        _l("Money saved (€)"), places=None, validators=[Optional(), NumberRange(min=0)]
    )
    kg_diverted = DecimalField(
        _l("Mass kept out of waste or new purchase (kg)"),
        places=None,
        validators=[Optional(), NumberRange(min=0)],
    )
    km_travelled = DecimalField(
        _l("Kilometres travelled"), places=None, validators=[Optional(), NumberRange(min=0)]
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
        }


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "propose": ActionForm,
    "counter_propose": TermsForm,
    "accept": ActionForm,
    "approve": ApproveForm,
    "refuse": RefuseForm,
    "sign": ActionForm,
    "start": ReportForm,
    "report_incident": ReportForm,
    "request_extension": ExtensionForm,
    "decide_extension": DecideExtensionForm,
    "return": ReportForm,
    "complete": ActionForm,
    "evaluate": EvaluationForm,
    "withdraw": OptionalReasonForm,
    "cancel": ReasonForm,
}
