"""Listing pages: browse, map, create, edit, detail, my listings and status actions. Thin."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ..accounts.permissions import allowed, require
from ..declarations import now_paris
from ..errors import Conflict, RuleViolation, ValidationFailed
from ..i18n import N_, reader_language
from ..page_cache import cached_page
from ..territories.geocoding import current_geocoder
from ..ui import DashboardPanel, NavItem
from ..web import (
    Page,
    acting_user,
    db_session,
    page_from_args,
    safe_redirect_target,
    show_form_errors,
    show_rule_errors_too,
)
from . import browse as browsing
from . import editing, lifecycle, transitions
from .categories import category_label, category_tree
from .expiry import read_renewal_token, renew_listing
from .forms import (
    CHOOSE,
    ActionForm,
    BrowseForm,
    ListingForm,
    RenewForm,
    WithdrawForm,
    category_choices,
    subcategory_choices,
)
from .labels import template_helpers
from .permissions import get_for_management, get_visible_listing

bp = Blueprint("listings", __name__, url_prefix="/listings")
# The one-click renewal link already sent in e-mails lives under /notifications: its address must not change.
renewal_bp = Blueprint("listing_renewal", __name__)

# Declared by listings/domain.py; create_app adds them to the shared layout.
NAV_ITEMS = (
    NavItem("listings.browse", _l("Offers and needs"), order=10),
    NavItem("listings.map_view", _l("Map"), order=11),
    NavItem("listings.mine", _l("My listings"), order=12),
)


def _panel(session, user) -> dict:
    items, _total = browsing.my_listings(session, user, per_page=5)
    return {"counts": browsing.status_counts(session, user), "recent": items}


PANELS = (DashboardPanel("listings/panel.html", _panel, order=10),)


@bp.app_context_processor
def _listing_helpers():
    """The label helpers (status, logistics, conditions, kind, withdrawal reason) and categories."""
    return template_helpers() | {
        "category_label": _category_label,
        "can_create_listing": lambda: allowed(acting_user(), "listings:create"),
    }


def _category_label(category: str, subcategory: str | None = None) -> str:
    return category_label(category, subcategory, reader_language())


def _tree_json() -> str:
    return json.dumps(category_tree(reader_language()), ensure_ascii=False)


def _setup_form(form: ListingForm) -> ListingForm:
    form.category.choices = category_choices(reader_language(), blank=CHOOSE)
    form.subcategory.choices = subcategory_choices(reader_language(), blank=CHOOSE)
    return form


def _flash_saved(listing, saved: str) -> None:
    """One message for the save: a warning that says why when the address was not located (the
    listing then stands at the town hall), never a success next to it that reads as if it had been."""
    warnings = [gettext(w) for w in getattr(listing, "warnings", [])]
    if warnings:
        approximate = gettext("Position shown as approximate: the town hall.")
        flash(" ".join([saved, *warnings, approximate]), "warning")
    else:
        flash(saved, "success")


@bp.route("/")
@login_required
def browse():
    form = BrowseForm(request.args)
    form.category.choices = category_choices(reader_language(), blank=gettext("All categories"))
    form.subcategory.choices = subcategory_choices(reader_language(), blank=gettext("All subcategories"))
    page = page_from_args()
    filters, errors = _filters_from_form(form)
    result, error = None, None
    if not errors:
        try:
            result = browsing.browse(
                db_session(), acting_user(), filters, page=page.page, per_page=page.per_page
            )
        except ValidationFailed as exc:
            show_form_errors(form, exc, with_message=True)
            error = True
    return render_template(
        "listings/browse.html",
        form=form,
        result=result,
        page=page,
        error=error or bool(errors),
        filtered=any(v for k, v in request.args.items() if k not in ("page", "per_page", "sort")),
        tree_json=_tree_json(),
    )


def _filters_from_form(form: BrowseForm):
    form.validate()
    errors = {k: v for k, v in form.errors.items()}
    filters = browsing.Filters(
        kind=form.kind.data or None,
        category=form.category.data or None,
        subcategory=form.subcategory.data or None,
        q=(form.q.data or "").strip() or None,
        near=form.near.code,
        radius_km=form.radius_km.data,
        status=form.status.data or None,
        sort=form.sort.data or None,
        available_from=form.available_from.data if "available_from" not in errors else None,
        available_to=form.available_to.data if "available_to" not in errors else None,
    )
    return filters, errors


@bp.route("/map")
@login_required
def map_view():
    form = BrowseForm(request.args)
    form.category.choices = category_choices(reader_language(), blank=gettext("All categories"))
    form.subcategory.choices = subcategory_choices(reader_language(), blank=gettext("All subcategories"))
    conf = current_app.config["map"]
    query = {k: v for k, v in request.args.items() if v and k not in ("page", "per_page")}
    form.validate()  # resolves "near" as the list does: its name shown, its code sent to the points
    if form.near.code:
        query.update(near=form.near.code, near_code=form.near.code)
    return render_template(
        "listings/map.html",
        form=form,
        tree_json=_tree_json(),
        points_url=url_for("listings_api.map_points", **query),
        tile_url=conf["tile_url"],
        tile_attribution=conf["tile_attribution"],
        tile_subdomains=conf["tile_subdomains"],
        territory=acting_user().territory,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    # Checked before the form is shown: the facilitator (admin) writes no listing.
    require(acting_user(), "listings:create", None, N_("You may not create listings."))
    form = _setup_form(ListingForm())
    if request.method == "GET":
        form.kind.data = request.args.get("kind", "")
    if form.validate_on_submit():
        try:
            listing = editing.create(db_session(), acting_user(), form.content(), geocoder=current_geocoder())
        except (RuleViolation, ValidationFailed) as exc:
            show_form_errors(form, exc, with_message=True)
        else:
            _flash_saved(listing, gettext("Draft saved. Publish it when it is ready."))
            return redirect(url_for("listings.detail", listing_id=listing.id))
    elif request.method == "POST":
        show_rule_errors_too(form, editing.rule_errors(form.content()))
    return render_template("listings/form.html", form=form, listing=None, tree_json=_tree_json())


@bp.route("/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int):
    session = db_session()
    listing = get_for_management(session, acting_user(), listing_id)
    form = _setup_form(ListingForm(obj=listing) if request.method == "GET" else ListingForm())
    if request.method == "GET":
        form.version.data = listing.version
        if listing.location_source != "coordinates":
            form.latitude.data = form.longitude.data = None
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
            listing = editing.update(
                session,
                acting_user(),
                listing_id,
                form.content(),
                version=version,
                geocoder=current_geocoder(),
            )
        except Conflict as exc:
            flash(gettext(exc.message), "danger")
        except (RuleViolation, ValidationFailed) as exc:
            show_form_errors(form, exc, with_message=True)
        else:
            _flash_saved(listing, gettext("Listing saved."))
            return redirect(url_for("listings.detail", listing_id=listing.id))
    elif request.method == "POST":
        show_rule_errors_too(form, editing.rule_errors(form.content()))
    return render_template("listings/form.html", form=form, listing=listing, tree_json=_tree_json())


@bp.route("/<int:listing_id>")
@login_required
@cached_page
def detail(listing_id: int):
    session = db_session()
    user = acting_user()
    listing = get_visible_listing(session, user, listing_id)
    can_manage = allowed(user, "listings:manage", listing)
    return render_template(
        "listings/detail.html",
        listing=listing,
        can_manage=can_manage,
        actions=lifecycle.allowed_actions(listing.status) if can_manage else [],
        editable=can_manage and listing.status in lifecycle.EDITABLE,
        events=editing.history(session, user, listing_id) if can_manage else [],
        action_form=ActionForm(),
        withdraw_form=WithdrawForm(),
        renew_form=RenewForm(),
    )


def _act(listing_id: int, do) -> object:
    try:
        do()
    except (RuleViolation, ValidationFailed, Conflict) as exc:
        msgs = [gettext(exc.message)] + [gettext(m) for ms in exc.fields.values() for m in ms]
        flash(" ".join(msgs), "danger")
    default = url_for("listings.detail", listing_id=listing_id)
    return redirect(safe_redirect_target(request.form.get("next"), default))


@bp.route("/<int:listing_id>/publish", methods=["POST"])
@login_required
def publish(listing_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("listings.detail", listing_id=listing_id))

    def do():
        transitions.publish(db_session(), acting_user(), listing_id)
        flash(gettext("Listing published."), "success")

    return _act(listing_id, do)


@bp.route("/<int:listing_id>/withdraw", methods=["POST"])
@login_required
def withdraw(listing_id: int):
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(gettext("A reason is required."), "danger")
        return redirect(url_for("listings.detail", listing_id=listing_id))

    def do():
        transitions.withdraw(db_session(), acting_user(), listing_id, form.reason.data, form.reason_text.data)
        flash(gettext("Listing withdrawn."), "success")

    return _act(listing_id, do)


@bp.route("/<int:listing_id>/renew", methods=["POST"])
@login_required
def renew(listing_id: int):
    form = RenewForm()
    if not form.validate_on_submit():
        return redirect(url_for("listings.detail", listing_id=listing_id))

    def do():
        transitions.renew(db_session(), acting_user(), listing_id, form.available_until.data)
        flash(gettext("Listing published again."), "success")

    return _act(listing_id, do)


@bp.route("/<int:listing_id>/duplicate", methods=["POST"])
@login_required
def duplicate(listing_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("listings.detail", listing_id=listing_id))
    copy = editing.duplicate(db_session(), acting_user(), listing_id)
    flash(gettext("Copy saved as a draft: review it, then publish it."), "success")
    return redirect(url_for("listings.edit", listing_id=copy.id))


@bp.route("/mine")
@login_required
def mine():
    page = page_from_args()
    status = request.args.get("status") or None
    if status not in (None, *lifecycle.STATUSES):
        status = None
    items, total = browsing.my_listings(
        db_session(), acting_user(), status=status, page=page.page, per_page=page.per_page
    )
    return render_template(
        "listings/mine.html",
        items=items,
        total=total,
        page=Page(page.page, page.per_page),
        status=status,
        statuses=lifecycle.STATUSES,
        counts=browsing.status_counts(db_session(), acting_user()),
        action_form=ActionForm(),
    )


@renewal_bp.route("/notifications/renew-listing/<token>", methods=["GET", "POST"], endpoint="renew")
def renew_by_link(token: str):
    secret = current_app.config["SECRET_KEY"]
    if read_renewal_token(secret, token) is None:
        return render_template("notifications/link_invalid.html"), 404
    form = ActionForm()
    if form.validate_on_submit():
        days = int(current_app.config["expiry"]["renewal_days"])
        listing = renew_listing(db_session(), secret, token, now_paris(), days)
        return render_template("listings/renewed.html", listing=listing)
    return render_template("listings/renew_link.html", form=form, token=token)
