"""Suggestions in the JSON API."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from ..agreements.api import detail as agreement_detail
from ..agreements.schemas import AgreementSchema
from ..api_base import PageQuerySchema
from ..notifications.messages import translate
from ..web import Page, api_user, db_session, paginated
from . import no_match, services
from .config import MatchingConfig
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
    """The suggestions of one listing, best first.

    A published listing without an active suggestion also gets `no_match_reasons` (why, e.g.
    compatible offers beyond its radius) and `widen_to_km` (the radius that would let the nearest in).
    """
    session, user = db_session(), api_user()
    views = services.suggestions_for_listing(session, user, listing_id)
    page = Page(args["page"], args["per_page"])
    items = [v.suggestion for v in views[page.offset : page.offset + page.per_page]]
    body = paginated(items, page, len(views))
    cfg = MatchingConfig.from_mapping(current_app.config.get("matching", {}))
    found = no_match.no_match_for(session, user, listing_id, cfg)
    reasons = found.reasons if found else []
    body["no_match_reasons"] = [{"code": r.code, "message": translate(r.msgid, r.params)} for r in reasons]
    body["widen_to_km"] = found.widen_to_km if found else None
    return body


@blp.route("/suggestions/<int:suggestion_id>/dismiss", methods=["POST"])
@blp.arguments(DismissSchema)
@blp.response(200, SuggestionSchema)
@blp.alt_response(403, description="The caller manages neither the offer nor the need", schema="Error")
def dismiss(data, suggestion_id: int):
    """Dismiss a suggestion with a reason: already_found, too_far, wrong_item, dates_dont_fit, other."""
    return services.dismiss(db_session(), api_user(), suggestion_id, data["reason"], data["text"])


@blp.route("/suggestions/<int:suggestion_id>/restore", methods=["POST"])
@blp.response(200, SuggestionSchema)
@blp.alt_response(403, description="The caller manages neither the offer nor the need", schema="Error")
@blp.alt_response(409, description="Not dismissed, or no longer ranked by either listing", schema="Error")
def restore(suggestion_id: int):
    """Take a dismissal back: the suggestion is active again (an active one is answered as it is)."""
    return services.restore(db_session(), api_user(), suggestion_id)


@blp.route("/suggestions/<int:suggestion_id>/accept", methods=["POST"])
@blp.response(201, AgreementSchema)
@blp.alt_response(403, description="The caller manages neither the offer nor the need", schema="Error")
def accept(suggestion_id: int):
    """Accept a suggestion: 201 with the agreement draft (the same one if accepted twice)."""
    user = api_user()
    _suggestion, agreement = services.accept(db_session(), user, suggestion_id)
    return agreement_detail(agreement, user)
