"""Suggestions in the web UI: a listing's suggestions, accept / dismiss, the dashboard panel, admin counts."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ..errors import DomainError
from ..formatting import km
from ..i18n import reader_language
from ..notifications.messages import translate
from ..ui import MANAGE, DashboardPanel, NavItem
from ..web import acting_user, db_session, page_from_args, safe_redirect_target
from . import no_match, services, stats
from .breakdown import render
from .config import MatchingConfig
from .forms import DISMISS_CHOICES, REASON_LABELS, AcceptForm, DismissForm, WidenForm
from .rates import top_reasons

bp = Blueprint("matching", __name__)

# Declared by matching/domain.py; create_app adds them to the shared layout.
NAV_ITEMS = (NavItem("matching.admin", _l("Matching"), roles=("admin",), order=85, menu=MANAGE),)


def _config() -> MatchingConfig:
    return MatchingConfig.from_mapping(current_app.config.get("matching", {}))


def _translated(found: no_match.NoMatch) -> dict:
    """What `_no_match.html` shows: the reasons translated, and the widen button's values."""
    return {
        "listing_id": found.listing_id,
        "version": found.version,
        "reasons": [translate(r.msgid, r.params) for r in found.reasons],
        "widen_to_km": found.widen_to_km,
    }


def explain_no_match(listing_id: int) -> dict | None:
    """Why the listing has no suggestion, translated ({reasons, widen_to_km, …}); None if it has some."""
    user = acting_user()
    found = no_match.no_match_for(db_session(), user, listing_id, _config()) if user else None
    return None if found is None else _translated(found)


def _without(session, user) -> list[tuple]:
    """The user's listings without suggestions, each with why (one query for all their counterparts)."""
    listings = no_match.listings_without_suggestions_of(session, user)
    found = no_match.no_match_for_listings(session, user, listings, _config())
    return [(listing, _translated(f)) for listing, f in zip(listings, found, strict=True)]


def _panel(session, user) -> dict:
    suggestions = services.suggestions_for_user(session, user)
    return {
        "suggestions": suggestions,
        "without": [] if suggestions else _without(session, user),
        "lang": reader_language(),
        "accept_form": AcceptForm(),
        "dismiss_form": DismissForm(),
    }


PANELS = (
    DashboardPanel("matching/_panel.html", _panel, roles=("technician", "official", "actor"), order=20),
)


@bp.app_context_processor
def _template_helpers() -> dict:
    """Lets any page include `matching/_suggestions.html`, e.g. the listing detail page:

    {% with suggestions=matching_suggestions(listing.id) %}
      {% include "matching/_suggestions.html" %}
    {% endwith %}
    """

    def matching_suggestions(listing_id: int):
        user = acting_user()
        return services.suggestions_for_listing(db_session(), user, listing_id) if user else []

    def matching_breakdown(suggestion, lang: str | None = None) -> list[dict]:
        return render(suggestion.breakdown, suggestion.distance_km, lang or reader_language())

    return {
        "matching_suggestions": matching_suggestions,
        "matching_breakdown": matching_breakdown,
        "matching_no_match": explain_no_match,
        "matching_reasons": DISMISS_CHOICES,
        "matching_lang": reader_language,
    }


def _back(default: str) -> str:
    return safe_redirect_target(request.form.get("next"), default)


@bp.route("/listings/<int:listing_id>/suggestions")
@login_required
def listing_suggestions(listing_id: int):
    user = acting_user()
    views = services.suggestions_for_listing(db_session(), user, listing_id)
    return render_template(
        "matching/listing_suggestions.html",
        listing_id=listing_id,
        suggestions=views,
        accept_form=AcceptForm(),
        dismiss_form=DismissForm(),
        reasons=REASON_LABELS,
        lang=reader_language(),
        next_url=request.path,
    )


@bp.route("/suggestions/<int:suggestion_id>/accept", methods=["POST"])
@login_required
def accept(suggestion_id: int):
    form = AcceptForm()
    if not form.validate_on_submit():
        abort(400)
    _suggestion, agreement = services.accept(db_session(), acting_user(), suggestion_id)
    flash(gettext("Suggestion accepted: complete the draft agreement and send it."), "success")
    return redirect(url_for("agreements.show", agreement_id=agreement.id))


@bp.route("/suggestions/<int:suggestion_id>/dismiss", methods=["POST"])
@login_required
def dismiss(suggestion_id: int):
    form = DismissForm()
    if not form.validate_on_submit():
        flash(gettext("Choose a reason."), "danger")
        return redirect(_back(url_for("core.home")))
    try:
        services.dismiss(db_session(), acting_user(), suggestion_id, form.reason.data, form.text.data or "")
    except DomainError as exc:
        if exc.status != 422:
            raise
        flash(gettext(exc.message), "danger")
        return redirect(_back(url_for("core.home")))
    flash(gettext("Suggestion dismissed. Your listing's page lists it, should you want it back."), "success")
    return redirect(_back(url_for("core.home")))


@bp.route("/suggestions/<int:suggestion_id>/restore", methods=["POST"])
@login_required
def restore(suggestion_id: int):
    # No form to validate: the app-wide CSRF protection refuses a POST without its token (400).
    back = _back(url_for("core.home"))
    try:
        services.restore(db_session(), acting_user(), suggestion_id)
    except DomainError as exc:
        if exc.status != 409:
            raise
        flash(gettext(exc.message), "warning")
        return redirect(back)
    flash(gettext("Suggestion restored."), "success")
    return redirect(back)


@bp.route("/listings/<int:listing_id>/widen-radius", methods=["POST"])
@login_required
def widen_radius(listing_id: int):
    form = WidenForm()
    back = _back(url_for("listings.detail", listing_id=listing_id))
    if not form.validate_on_submit():
        flash(gettext("The radius could not be read."), "danger")
        return redirect(back)
    try:
        no_match.widen_radius(db_session(), acting_user(), listing_id, form.radius_km.data, form.version.data)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        flash(gettext(exc.message), "danger")
        return redirect(back)
    flash(gettext("Radius widened to %(km)s km.", km=km(form.radius_km.data)), "success")
    return redirect(back)


@bp.route("/admin/matching")
@login_required
def admin():
    user = acting_user()
    session = db_session()
    counts = services.dismissal_counts(session, user)
    page = page_from_args()
    without, total = no_match.listings_without_suggestions(session, user, page.page, page.per_page)
    return render_template(
        "matching/admin.html",
        counts=counts,
        top=top_reasons(counts),
        statuses=services.status_counts(session, user),
        by_category=stats.rates_by_category(session, user),
        by_territory=stats.rates_by_territory(session, user),
        without=without,
        without_total=total,
        page=page,
        reasons=REASON_LABELS,
    )
