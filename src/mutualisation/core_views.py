"""Pages that belong to no single domain: home dashboard, health check, language switch, API docs,
the accessibility statement."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import text

from .accounts.names import ROLE_LABELS, role_label
from .api_base import api
from .page_cache import cached_page
from .search_words import query_words
from .settings import settings_of
from .ui import nav_for, panels_for
from .web import acting_user, db_session, safe_redirect_target

bp = Blueprint("core", __name__)


@bp.app_context_processor
def _layout_context():
    user = acting_user()
    return {
        "current_nav": nav_for(user),
        "acting_user": user,
        "role_label": role_label,
        "get_locale": get_locale,
        "role_choices": [(code, role_label(code)) for code in ROLE_LABELS],
        "query_words": query_words,
    }


@bp.route("/")
@cached_page
def home():
    user = acting_user()
    if user is None:
        return render_template("core/landing.html")
    session = db_session()
    panels = [(panel.template, panel.loader(session, user)) for panel in panels_for(user)]
    return render_template("core/dashboard.html", panels=panels)


@bp.route("/healthz")
def healthz():
    try:
        db_session().execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "unavailable", never a 500
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/lang/<code>")
def set_language(code: str):
    target = safe_redirect_target(request.args.get("next"), url_for("core.home"))
    response = make_response(redirect(target))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            "lang",
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


@bp.route("/api/v1/docs")
def api_docs():
    """Interactive reference rendered from the OpenAPI document itself (no CDN)."""
    spec = api.spec.to_dict()
    return render_template("core/api_docs.html", spec=spec)


@bp.route("/accessibilite")
def accessibility():
    """The accessibility statement a public body owes (RGAA 4.1 model), linked from every footer;
    what it declares comes from the `[accessibility]` settings."""
    declared = settings_of(current_app).accessibility
    return render_template(
        "core/accessibility.html",
        declared=declared,
        audited=declared.audited,
        base_url=current_app.config["PUBLIC_BASE_URL"],
    )
