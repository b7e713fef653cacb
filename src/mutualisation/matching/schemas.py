from __future__ import annotations

from marshmallow import Schema, fields, pre_dump, validate

from ..api_base import PageSchema
from ..i18n import reader_language
from .breakdown import render
from .models import DISMISS_REASONS


class ContributionSchema(Schema):
    criterion = fields.String(
        metadata={"description": "subcategory, distance, window, quantity or cooperation"}
    )
    value = fields.Float(metadata={"description": "Contribution to the score (the values sum to it)"})
    points = fields.Float(metadata={"description": "The contribution out of 100, as pages show scores"})
    label = fields.String(metadata={"description": "What the contribution is about (reader's language)"})
    message = fields.String(metadata={"description": "Explanation in the reader's language"})
    message_fr = fields.String(metadata={"description": "Explanation in French"})
    message_en = fields.String(metadata={"description": "Explanation in English"})


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

    @pre_dump
    def _explain(self, suggestion, **_kwargs):
        # The stored breakdown is compact; the explanation is rendered for the reader here.
        names = (
            "id",
            "offer_id",
            "need_id",
            "score",
            "distance_km",
            "status",
            "dismiss_reason",
            "agreement_id",
        )
        data = {name: getattr(suggestion, name) for name in names}
        data["breakdown"] = render(suggestion.breakdown, suggestion.distance_km, reader_language())
        return data


class NoMatchReasonSchema(Schema):
    code = fields.String(
        metadata={
            "description": "beyond, beyond_theirs, subcategory, window, quantity, own, low_score, "
            "none, not_located"
        }
    )
    message = fields.String(metadata={"description": "The reason in the reader's language"})


class SuggestionPageSchema(PageSchema):
    items = fields.List(fields.Nested(SuggestionSchema))
    no_match_reasons = fields.List(
        fields.Nested(NoMatchReasonSchema),
        metadata={"description": "Why a published listing has no active suggestion (empty otherwise)"},
    )
    widen_to_km = fields.Float(
        allow_none=True,
        metadata={"description": "The radius letting the nearest counterpart in"},
    )


class DismissSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(DISMISS_REASONS))
    text = fields.String(load_default="", validate=validate.Length(max=1000))
