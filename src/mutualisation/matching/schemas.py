from __future__ import annotations

from marshmallow import Schema, fields, validate

from .models import DISMISS_REASONS


class ContributionSchema(Schema):
    criterion = fields.String()
    value = fields.Float()
    message_fr = fields.String()
    message_en = fields.String()


class SuggestionSchema(Schema):
    id = fields.Integer()
    offer_id = fields.Integer()
    need_id = fields.Integer()
    score = fields.Float()
    distance_km = fields.Float()
    breakdown = fields.List(fields.Nested(ContributionSchema))
    status = fields.String()
    dismiss_reason = fields.String(allow_none=True)
    agreement_id = fields.Integer(allow_none=True)


class SuggestionPageSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class DismissSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(DISMISS_REASONS))
    text = fields.String(load_default="", validate=validate.Length(max=1000))
