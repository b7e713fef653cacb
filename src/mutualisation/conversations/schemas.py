"""Shapes of the messages API. An author is a display name and a territory: never an e-mail."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..api_base import PageSchema
from .models import MAX_BODY


class MessageInSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))


class TerritoryRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class AuthorSchema(Schema):
    name = fields.String()
    territory = fields.Nested(TerritoryRefSchema, allow_none=True)


class MessageSchema(Schema):
    id = fields.Integer()
    conversation_id = fields.Integer()
    author = fields.Method("_author")
    body = fields.String()
    created_at = fields.DateTime()

    def _author(self, message) -> dict:
        territory = message.author_territory
        return AuthorSchema().dump(
            {
                "name": message.author.display_name if message.author is not None else None,
                "territory": {"code": territory.code, "name": territory.name} if territory else None,
            }
        )


class ThreadSchema(Schema):
    conversation_id = fields.Integer(allow_none=True)
    title = fields.String()
    items = fields.List(fields.Nested(MessageSchema))


class ConversationSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    about = fields.Method("_about")
    listing_id = fields.Integer(allow_none=True)
    agreement_id = fields.Integer(allow_none=True)
    last_message_at = fields.DateTime()
    last_message = fields.Method("_last")

    def _about(self, conversation) -> str:
        return "agreement" if conversation.agreement_id is not None else "listing"

    def _last(self, conversation) -> dict | None:
        messages = conversation.messages
        return MessageSchema().dump(messages[-1]) if messages else None


class ConversationListSchema(PageSchema):
    items = fields.List(fields.Nested(ConversationSchema))
