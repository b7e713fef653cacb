"""Suggestions in the JSON API."""

from __future__ import annotations

from flask_smorest import Blueprint

from ..agreements.api import detail as agreement_detail
from ..agreements.schemas import AgreementSchema
from ..api_base import PageQuerySchema
from ..web import Page, api_user, db_session, paginated
from . import services
from .schemas import DismissSchema, SuggestionPageSchema, SuggestionSchema

blp = Blueprint(
    "matching_api", __name__, url_prefix="/api/v1", description="Suggestions of the matching engine"
)


@blp.route("/listings/<int:listing_id>/suggestions")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, SuggestionPageSchema)
@blp.alt_response(403, description="The caller may not read this listing", schema="Error")
@blp.alt_response(404, description="Unknown listing", schema="Error")
def listing_suggestions(args, listing_id: int):
    """The suggestions of one listing, best first."""
    views = services.suggestions_for_listing(db_session(), api_user(), listing_id)
    page = Page(args["page"], args["per_page"])
    items = [v.suggestion for v in views[page.offset : page.offset + page.per_page]]
    return paginated(items, page, len(views))


@blp.route("/suggestions/<int:suggestion_id>/dismiss", methods=["POST"])
@blp.arguments(DismissSchema)
@blp.response(200, SuggestionSchema)
@blp.alt_response(403, description="The caller manages neither the offer nor the need", schema="Error")
def dismiss(data, suggestion_id: int):
    """Dismiss a suggestion with a reason: already_found, too_far, wrong_item, dates_dont_fit, other."""
    return services.dismiss(db_session(), api_user(), suggestion_id, data["reason"], data["text"])


@blp.route("/suggestions/<int:suggestion_id>/accept", methods=["POST"])
@blp.response(201, AgreementSchema)
@blp.alt_response(403, description="The caller manages neither the offer nor the need", schema="Error")
def accept(suggestion_id: int):
    """Accept a suggestion: 201 with the agreement draft (the same one if accepted twice)."""
    user = api_user()
    _suggestion, agreement = services.accept(db_session(), user, suggestion_id)
    return agreement_detail(agreement, user)
