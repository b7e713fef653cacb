"""The messages JSON API: a listing's question thread, an agreement's thread, one's conversations."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..api_base import PageQuerySchema
from ..web import Page, api_user, db_session, paginated
from . import services
from .schemas import ConversationListSchema, MessageInSchema, MessageSchema, ThreadSchema

blp = Blueprint("conversations_api", __name__, url_prefix="/api/v1", description="Conversations and messages")


def _thread(thread: services.Thread) -> dict:
    conversation = thread.conversation
    return {
        "conversation_id": conversation.id if conversation else None,
        "title": thread.title,
        "items": thread.messages,
    }


@blp.route("/listings/<int:listing_id>/messages")
@blp.response(200, ThreadSchema)
@blp.alt_response(404, description="Unknown listing, or one the caller may not see", schema="Error")
@blp.alt_response(422, description="The caller's own listing", schema="Error")
def listing_messages(listing_id: int):
    """The caller's conversation about a listing, oldest message first (empty before the first)."""
    return _thread(services.listing_thread(db_session(), api_user(), listing_id))


@blp.route("/listings/<int:listing_id>/messages", methods=["POST"])
@blp.arguments(MessageInSchema)
@blp.response(201, MessageSchema)
@blp.alt_response(403, description="The caller may not ask", schema="Error")
@blp.alt_response(404, description="Unknown listing, or one the caller may not see", schema="Error")
@blp.alt_response(422, description="Empty or too long message, or the caller's own listing", schema="Error")
def ask_about_listing(data, listing_id: int):
    """Ask the listing's territory a question: opens the caller's conversation, or continues it."""
    return services.ask_about_listing(db_session(), api_user(), listing_id, data["body"])


@blp.route("/agreements/<int:agreement_id>/messages")
@blp.response(200, ThreadSchema)
@blp.alt_response(403, description="Not a party", schema="Error")
@blp.alt_response(404, description="Unknown agreement", schema="Error")
def agreement_messages(agreement_id: int):
    """The agreement's thread, open to all its parties, oldest message first."""
    return _thread(services.agreement_thread(db_session(), api_user(), agreement_id))


@blp.route("/agreements/<int:agreement_id>/messages", methods=["POST"])
@blp.arguments(MessageInSchema)
@blp.response(201, MessageSchema)
@blp.alt_response(403, description="Not a party", schema="Error")
@blp.alt_response(404, description="Unknown agreement", schema="Error")
@blp.alt_response(422, description="Empty or too long message", schema="Error")
def post_agreement_message(data, agreement_id: int):
    """Write in the agreement's thread; the other parties are notified."""
    return services.post_about_agreement(db_session(), api_user(), agreement_id, data["body"])


@blp.route("/conversations")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ConversationListSchema)
def conversations(args):
    """The caller's conversations (listings asked about, their listings' questions, agreements)."""
    page = Page(args["page"], args["per_page"])
    items, total = services.conversations_for(
        db_session(), api_user(), limit=page.per_page, offset=page.offset
    )
    return paginated(items, page, total)


@blp.route("/conversations/<int:conversation_id>/messages")
@blp.response(200, ThreadSchema)
@blp.alt_response(404, description="Unknown conversation, or one the caller takes no part in", schema="Error")
def conversation_messages(conversation_id: int):
    """One conversation's messages (how a listing's territory reads the questions it received)."""
    return _thread(services.conversation_thread(db_session(), api_user(), conversation_id))


@blp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
@blp.arguments(MessageInSchema)
@blp.response(201, MessageSchema)
@blp.alt_response(404, description="Unknown conversation, or one the caller takes no part in", schema="Error")
@blp.alt_response(422, description="Empty or too long message", schema="Error")
def reply(data, conversation_id: int):
    """Answer in a conversation one takes part in (how a listing's territory answers a question)."""
    return services.reply(db_session(), api_user(), conversation_id, data["body"])
