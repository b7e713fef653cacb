from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..api_base import PageQuerySchema, PageSchema


class TerritorySchema(Schema):
    code = fields.String()
    kind = fields.String()
    name = fields.String()
    department = fields.String(attribute="department_code", allow_none=True)
    department_name = fields.String(allow_none=True)
    region = fields.String(attribute="region_code", allow_none=True)
    region_name = fields.String(allow_none=True)
    population = fields.Integer(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    postcodes = fields.List(fields.String(), attribute="postcode_list")
    epci = fields.String(attribute="epci_code", allow_none=True)


class TerritoryQuerySchema(PageQuerySchema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))


class TerritoryPageSchema(PageSchema):
    items = fields.List(fields.Nested(TerritorySchema))
