"""Shapes of the agreements API (the `/api/v1/agreements` endpoints)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from marshmallow.utils import get_value

from ..api_base import PageQuerySchema, PageSchema
from ..listings.models import CONDITIONS, LOGISTICS
from ..plausible import EUROS, KILOGRAMS, KILOMETRES, QUANTITY, PlausibleNumber
from .evaluation import VEHICLES
from .models import DECISION_KINDS, KINDS, SIGNATURE_METHODS, STATUSES
from .vocabulary import HUMAN_ACTIONS


class AgreementTermsLineSchema(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=300))
    quantity = PlausibleNumber(QUANTITY, validate=validate.Range(min=0))
    unit = fields.String(allow_none=True, validate=validate.Length(max=40))


class AgreementTermsInSchema(Schema):
    lines = fields.List(fields.Nested(AgreementTermsLineSchema), validate=validate.Length(max=50))
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    logistics = fields.String(allow_none=True, validate=validate.OneOf(LOGISTICS))
    conditions = fields.String(allow_none=True, validate=validate.OneOf(CONDITIONS))
    deposit_eur = PlausibleNumber(EUROS, validate=validate.Range(min=0))
    insurance_required = fields.Boolean()
    qualified_operator_required = fields.Boolean()
    kind = fields.String(validate=validate.OneOf(KINDS))


class AgreementTermsOutSchema(AgreementTermsInSchema):
    version = fields.Integer()
    proposed_by_side = fields.String()


class AgreementCreateSchema(Schema):
    offer_id = fields.Integer(allow_none=True)
    need_id = fields.Integer(allow_none=True)
    terms = fields.Nested(AgreementTermsInSchema, allow_none=True)


class AgreementPatchSchema(Schema):
    """An edit of a draft by its author side, before proposing it."""

    version = fields.Integer(required=True, metadata={"description": "The terms version the caller saw"})
    terms = fields.Nested(AgreementTermsInSchema, required=True)
    comment = fields.String(allow_none=True, validate=validate.Length(max=5000))


class AgreementTransitionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf([str(a) for a in HUMAN_ACTIONS]))
    # Required: without it a stale page or client could act on terms it never saw (409 otherwise).
    version = fields.Integer(required=True, metadata={"description": "The terms version the caller saw"})
    comment = fields.String(allow_none=True, validate=validate.Length(max=5000))
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))
    decision_reference = fields.String(allow_none=True, validate=validate.Length(max=200))
    decision_kind = fields.String(
        allow_none=True,
        validate=validate.OneOf(DECISION_KINDS),
        metadata={"description": "approve: the act that carries the decision"},
    )
    decision_date = fields.Date(
        allow_none=True,
        metadata={"description": "approve: the date of the act (the approval is dated by it)"},
    )
    method = fields.String(
        allow_none=True,
        validate=validate.OneOf(SIGNATURE_METHODS),
        metadata={"description": "sign: in_app (the default); an upload goes through the web page"},
    )
    document_sha256 = fields.String(
        allow_none=True,
        validate=validate.Length(equal=64),
        metadata={"description": "sign: the SHA-256 of the convention PDF read (stale → 409)"},
    )
    report = fields.String(allow_none=True, validate=validate.Length(max=10000))
    terms = fields.Nested(AgreementTermsInSchema, allow_none=True)
    ends_on = fields.Date(allow_none=True)
    decision = fields.String(allow_none=True, validate=validate.OneOf(("approve", "refuse")))
    satisfaction = fields.Integer(allow_none=True)
    money_saved_eur = PlausibleNumber(EUROS)
    replacement_value_eur = PlausibleNumber(EUROS)
    costs_eur = PlausibleNumber(EUROS)
    kg_diverted = PlausibleNumber(KILOGRAMS)
    km_travelled = PlausibleNumber(KILOMETRES)
    vehicle = fields.String(allow_none=True, validate=validate.OneOf(VEHICLES))
    lessons_learned = fields.String(allow_none=True, validate=validate.Length(max=10000))
    co2e_method = fields.String(allow_none=True, validate=validate.OneOf(("avoided_purchase", "shared_use")))
    lifetime_share = fields.Float(allow_none=True)


class AgreementQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class AgreementTerritoryRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class AgreementUserRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class AgreementPartySchema(Schema):
    side = fields.String()
    kind = fields.String(metadata={"description": "territory or actor"})
    territory = fields.Nested(AgreementTerritoryRefSchema)
    actor = fields.Nested(AgreementUserRefSchema, allow_none=True)


class AgreementApprovalSchema(Schema):
    territory = fields.String()
    decision = fields.String()
    official = fields.Nested(AgreementUserRefSchema, allow_none=True)
    reason = fields.String(allow_none=True)
    decision_reference = fields.String(allow_none=True)
    decision_kind = fields.String(
        allow_none=True, metadata={"description": "deliberation, arrete or delegation"}
    )
    decision_date = fields.Date(allow_none=True, metadata={"description": "The date of the act"})
    decision_document_url = fields.String(allow_none=True)
    terms_version = fields.Integer()
    amendment = fields.Integer(metadata={"description": "0 for the convention, n for the n-th avenant"})
    at = fields.DateTime(metadata={"description": "When the official recorded it"})


class AgreementSignatureSchema(Schema):
    side = fields.String()
    user = fields.Nested(AgreementUserRefSchema, allow_none=True)
    at = fields.DateTime()
    method = fields.String(metadata={"description": "in_app or upload"})
    pdf_sha256 = fields.String(allow_none=True, metadata={"description": "SHA-256 of the exact PDF signed"})
    convention_sha256 = fields.String(allow_none=True)
    document_url = fields.String(allow_none=True)
    amendment = fields.Integer()


class AgreementEvaluationSchema(Schema):
    side = fields.String()
    satisfaction = fields.Integer()
    money_saved_eur = fields.Float(allow_none=True)
    kg_diverted = fields.Float(allow_none=True)
    km_travelled = fields.Float(allow_none=True)
    vehicle = fields.String(allow_none=True)
    lessons_learned = fields.String(allow_none=True)
    co2e_method = fields.String()
    lifetime_share = fields.Float(allow_none=True)
    co2e_avoided_kg = fields.Float()
    co2e_transport_kg = fields.Float()
    co2e_net_kg = fields.Float()
    method_fr = fields.String()
    method_en = fields.String()


class AgreementAwaitingSchema(Schema):
    approvals = fields.List(
        fields.String(),
        metadata={"description": "INSEE codes of the territories whose official has not approved"},
    )
    signatures = fields.List(fields.String(), metadata={"description": "Sides that have not signed"})
    evaluations = fields.List(fields.String(), metadata={"description": "Sides that have not evaluated"})


class AgreementSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    status = fields.String()
    kind = fields.String()
    version = fields.Integer(attribute="terms_version", metadata={"description": "The current terms version"})
    # The same number under the name the suggestion-accept answer carried before it used this schema.
    terms_version = fields.Function(
        lambda agreement: get_value(agreement, "terms_version"), metadata={"description": "Same as `version`"}
    )
    author_side = fields.String()
    offer_id = fields.Integer(allow_none=True)
    need_id = fields.Integer(allow_none=True)
    parties = fields.List(fields.Nested(AgreementPartySchema))
    terms = fields.Nested(AgreementTermsOutSchema, allow_none=True)
    approvals = fields.List(fields.Nested(AgreementApprovalSchema))
    signatures = fields.List(fields.Nested(AgreementSignatureSchema))
    evaluations = fields.List(fields.Nested(AgreementEvaluationSchema))
    extended_ends_on = fields.Date(allow_none=True)
    allowed_actions = fields.List(fields.String())
    awaiting = fields.Nested(
        AgreementAwaitingSchema,
        metadata={"description": "Whom the agreement waits for where each party acts in turn"},
    )
    convention_url = fields.String(allow_none=True)
    convention_pdf_url = fields.String(allow_none=True)
    convention_document_sha256 = fields.String(
        allow_none=True, metadata={"description": "SHA-256 of the PDF issued for signature"}
    )
    convention_sha256 = fields.String(
        allow_none=True,
        metadata={"description": "The signed convention's fingerprint (null until both signed)"},
    )
    amendment = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class AgreementSummarySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    status = fields.String()
    kind = fields.String()
    version = fields.Integer(attribute="terms_version")
    parties = fields.List(fields.Nested(AgreementPartySchema))
    updated_at = fields.DateTime()


class AgreementPageSchema(PageSchema):
    items = fields.List(fields.Nested(AgreementSummarySchema))


class AgreementHistoryEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.Nested(AgreementUserRefSchema, allow_none=True)
    role = fields.String(attribute="actor_role")
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    terms_version = fields.Integer()
    comment = fields.String(allow_none=True)
    data = fields.Dict()


class AgreementHistoryPageSchema(Schema):
    items = fields.List(fields.Nested(AgreementHistoryEventSchema))
