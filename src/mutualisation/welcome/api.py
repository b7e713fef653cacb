"""JSON doors of the way in: password reset, invitations, join requests."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_smorest import Blueprint

from ..api_base import PageQuerySchema
from ..db import utcnow
from ..errors import RuleViolation, ValidationFailed
from ..extensions import limiter
from ..web import Page, api_user, db_session, paginated
from . import invitations, join, notify, reset
from .people import public_name
from .schemas import (
    InvitationCreateSchema,
    InvitationPageSchema,
    InvitationSchema,
    JoinRequestCreateSchema,
    JoinRequestPageSchema,
    JoinRequestPublicSchema,
    ResetConfirmSchema,
    ResetRequestSchema,
)
from .views import join_limit, reset_limit

blp = Blueprint(
    "welcome_api", __name__, url_prefix="/api/v1", description="Password reset, invitations, joining"
)


def _min_length() -> int:
    return current_app.config["PASSWORD_MIN_LENGTH"]


def _with_params(exc: RuleViolation) -> ValidationFailed:
    """Field messages that take the minimum length, translated here where it is known."""
    fields = {k: [gettext(m, min=_min_length()) for m in v] for k, v in exc.fields.items()}
    return ValidationFailed(exc.message, fields)


@blp.route("/auth/password-reset", methods=["POST"])
@limiter.limit(reset_limit)
@blp.arguments(ResetRequestSchema)
@blp.response(202)
def request_password_reset(data):
    """Send a reset link to this address if it has an account; the answer is the same either way."""
    notify.send_reset(reset.request_reset(db_session(), data["email"]))
    return ""


@blp.route("/auth/password-reset/confirm", methods=["POST"])
@limiter.limit(reset_limit)
@blp.arguments(ResetConfirmSchema)
@blp.response(204)
@blp.alt_response(422, description="Invalid or expired token, or weak password", schema="Error")
def confirm_password_reset(data):
    """Set a new password with the e-mailed token: every session and API token of the user ends."""
    try:
        reset.confirm_reset(db_session(), data["token"], data["password"], min_length=_min_length())
    except RuleViolation as exc:
        raise _with_params(exc) from exc
    return ""


def _invitation_out(invitation) -> dict:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "territory": invitation.territory,
        "status": invitation.status(utcnow()),
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
        "revoked_at": invitation.revoked_at,
    }


@blp.route("/invitations", methods=["POST"])
@blp.arguments(InvitationCreateSchema)
@blp.response(201, InvitationSchema)
@blp.alt_response(403, description="Not allowed to invite this role here", schema="Error")
def create_invitation(data):
    """Invite someone (who may invite whom: see issue 14); the e-mail links to /invitations/<token>."""
    user = api_user()
    new = invitations.invite(
        db_session(), user, email=data["email"], role=data["role"], territory_code=data["territory"]
    )
    notify.send_invitation(new, public_name(user), user.locale or "fr")
    return _invitation_out(new.invitation)


@blp.route("/invitations", methods=["GET"])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, InvitationPageSchema)
def list_invitations(args):
    """Invitations the caller may see: all for the facilitator, their territory's for its staff."""
    page = Page(args["page"], args["per_page"])
    items, total = invitations.list_invitations(
        db_session(), api_user(), page=page.page, per_page=page.per_page
    )
    return paginated([_invitation_out(i) for i in items], page, total)


@blp.route("/invitations/<int:invitation_id>", methods=["DELETE"])
@blp.response(204)
def revoke_invitation(invitation_id: int):
    """Revoke a pending invitation: its link stops working."""
    invitations.revoke(db_session(), api_user(), invitation_id)
    return ""


@blp.route("/join-requests", methods=["POST"])
@limiter.limit(join_limit)
@blp.arguments(JoinRequestCreateSchema)
@blp.response(201, JoinRequestPublicSchema)
def create_join_request(data):
    """Public: a commune or EPCI (INSEE or SIREN code) asks to join, or an actor of a member territory."""
    return join.submit(
        db_session(),
        territory_code=data["territory"],
        name=data["name"],
        email=data["email"],
        motivation=data["motivation"],
    )


@blp.route("/join-requests", methods=["GET"])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, JoinRequestPageSchema)
def list_join_requests(args):
    """Pending requests the caller may decide (the facilitator: all)."""
    page = Page(args["page"], args["per_page"])
    items, total = join.list_requests(
        db_session(), api_user(), status="pending", page=page.page, per_page=page.per_page
    )
    return paginated(items, page, total)


@blp.route("/join-requests/<int:request_id>/accept", methods=["POST"])
@blp.response(201, InvitationSchema)
def accept_join_request(request_id: int):
    """Accept: open the territory's space and invite the contact."""
    user = api_user()
    new = join.accept(db_session(), user, request_id)
    notify.send_invitation(new, public_name(user), "fr")
    return _invitation_out(new.invitation)
