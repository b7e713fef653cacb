"""Shapes of the sheets, impact and open-data API (types only; the rules live in the services).

A sheet's public face never names a person: its author and each reaction's author appear as a
role and a territory.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..api_base import PageQuerySchema, PageSchema
from .sheet_rules import REACTION_KINDS, SECTIONS


class SheetTerritorySchema(Schema):
    code = fields.String()
    name = fields.String()


class SheetReactionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    body = fields.String()
    author_role = fields.String()
    territory = fields.Nested(SheetTerritorySchema)
    sheet_version = fields.Integer()
    created_at = fields.DateTime()


class ImpactFiguresSchema(Schema):
    agreements_completed = fields.Integer()
    evaluations = fields.Integer()
    money_saved_eur = fields.Float()
    kg_diverted = fields.Float()
    co2e_kg = fields.Float()
    km_travelled = fields.Float()
    satisfaction_mean = fields.Float(allow_none=True)


class ImpactMonthSchema(ImpactFiguresSchema):
    month = fields.String()


class ImpactSchema(ImpactFiguresSchema):
    by_month = fields.List(fields.Nested(ImpactMonthSchema))


class ImpactQuerySchema(Schema):
    territory = fields.String(validate=validate.Length(max=9))
    category = fields.String(validate=validate.Length(max=30))
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))


class SheetSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    themes = fields.List(fields.String())
    category = fields.String(allow_none=True)
    territory = fields.Nested(SheetTerritorySchema)
    status = fields.String()
    version = fields.Integer()
    licence = fields.String()
    population = fields.Integer(allow_none=True)
    started_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    author_role = fields.String(allow_none=True)
    agreement_ids = fields.List(fields.Integer())
    results = fields.Nested(ImpactFiguresSchema, allow_none=True)
    reactions = fields.List(fields.Nested(SheetReactionSchema))
    contradictions = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    context = fields.String()
    what_shared = fields.String()
    method = fields.String()
    success_conditions = fields.String()
    pitfalls = fields.String()
    results_text = fields.String()
    contacts = fields.String()


class SheetPageSchema(PageSchema):
    items = fields.List(fields.Nested(SheetSchema))


class SheetQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=200))
    theme = fields.String(validate=validate.Length(max=40))
    territory = fields.String(validate=validate.Length(max=9))
    category = fields.String(validate=validate.Length(max=30))


def _writable(required_title: bool) -> dict[str, fields.Field]:
    text = {name: fields.String(allow_none=True) for name in SECTIONS}
    return {
        "title": fields.String(required=required_title),
        "themes": fields.List(fields.String()),
        "category": fields.String(allow_none=True),
        "population": fields.Integer(allow_none=True),
        "started_on": fields.String(allow_none=True),
        "ended_on": fields.String(allow_none=True),
        **text,
    }


SheetCreateSchema = Schema.from_dict(_writable(True), name="SheetCreate")
SheetPatchSchema = Schema.from_dict(
    {**_writable(False), "version": fields.Integer(required=True), "comment": fields.String()},
    name="SheetPatch",
)


class SheetReactionCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(REACTION_KINDS))
    body = fields.String(required=True)


class SheetFieldDiffSchema(Schema):
    field = fields.String()
    diff = fields.String(attribute="unified")


class SheetRevisionSchema(Schema):
    version = fields.Integer()
    author_role = fields.String()
    author_territory = fields.Nested(SheetTerritorySchema, allow_none=True)
    comment = fields.String()
    created_at = fields.DateTime()
    content = fields.Dict()
    changes = fields.List(fields.Nested(SheetFieldDiffSchema))


class SheetRevisionListSchema(Schema):
    items = fields.List(fields.Nested(SheetRevisionSchema))


def sheet_dict(sheet: Any, results: dict[str, Any] | None) -> dict[str, Any]:
    """What SheetSchema dumps: the sheet, its figures, and its reactions (oldest first)."""
    data = {
        name: getattr(sheet, name)
        for name in (
            "id",
            "title",
            "themes",
            "category",
            "territory",
            "status",
            "version",
            "licence",
            "population",
            "started_on",
            "ended_on",
            "agreement_ids",
            "reactions",
            "created_at",
            "updated_at",
            "published_at",
            *SECTIONS,
        )
    }
    data["author_role"] = sheet.author.role if sheet.author else None
    data["results"] = results
    data["contradictions"] = sum(1 for r in sheet.reactions if r.kind == "contradiction")
    return data
