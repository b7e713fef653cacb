from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..accounts.schemas import TerritoryRefSchema
from ..api_base import PageSchema

EMAIL = validate.Length(min=3, max=254)


class ResetRequestSchema(Schema):
    email = fields.String(required=True, validate=EMAIL)


class ResetConfirmSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class InvitationCreateSchema(Schema):
    email = fields.String(required=True, validate=EMAIL)
    role = fields.String(required=True, validate=validate.OneOf(("technician", "official", "actor")))
    territory = fields.String(required=True, validate=validate.Length(min=1, max=9))


class InvitationSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    territory = fields.Nested(TerritoryRefSchema)
    status = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class InvitationPageSchema(PageSchema):
    items = fields.List(fields.Nested(InvitationSchema))


class JoinRequestCreateSchema(Schema):
    territory = fields.String(required=True, validate=validate.Length(min=1, max=9))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.String(required=True, validate=EMAIL)
    motivation = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class JoinRequestSchema(Schema):
    id = fields.Integer()
    territory = fields.Nested(TerritoryRefSchema)
    name = fields.String()
    email = fields.String()
    motivation = fields.String()
    role = fields.String()
    status = fields.String()
    created_at = fields.DateTime()


class JoinRequestPublicSchema(Schema):
    """What the public sender gets back: nothing more than what they sent, and the status."""

    id = fields.Integer()
    territory = fields.Nested(TerritoryRefSchema)
    status = fields.String()


class JoinRequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(JoinRequestSchema))
