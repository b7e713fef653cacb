from __future__ import annotations

from marshmallow import Schema, fields

from ..api_base import PageSchema


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None)


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema))
