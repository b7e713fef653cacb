from __future__ import annotations

from marshmallow import Schema, fields, validate


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenResponseSchema(Schema):
    token = fields.String()
    token_type = fields.String(dump_default="Bearer")


class TerritoryRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    organisation = fields.String()
    role = fields.String()
    locale = fields.String(allow_none=True)
    territory = fields.Nested(TerritoryRefSchema)
