from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from ..extensions import account_key, limiter
from ..web import api_user, db_session
from . import services
from .schemas import MeSchema, TokenRequestSchema, TokenResponseSchema

blp = Blueprint(
    "accounts_api", __name__, url_prefix="/api/v1", description="Authentication and the current user"
)


def _token_limit() -> str:
    return current_app.config["API_TOKEN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"]


def _refused(response) -> bool:
    return response.status_code == 401  # wrong e-mail or password: a guess, counted per account


@blp.route("/auth/tokens", methods=["POST"])
@limiter.limit(_token_limit)
@limiter.limit(_account_limit, key_func=account_key, deduct_when=_refused)
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenResponseSchema)
@blp.alt_response(401, description="Wrong e-mail or password", schema="Error")
def create_token(data):
    """Exchange an e-mail and a password for a Bearer token."""
    session = db_session()
    user = services.authenticate(session, data["email"], data["password"])
    _token, clear = services.create_token(session, user, "API")
    return {"token": clear, "token_type": "Bearer"}


@blp.route("/me")
@blp.response(200, MeSchema)
@blp.alt_response(401, description="Not authenticated", schema="Error")
def me():
    """The calling user, their role and territory."""
    return api_user()
