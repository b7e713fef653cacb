"""Public pages: a territory's page, the network's public listings; a person's public card."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import login_required
from sqlalchemy import func, select

from ..errors import DomainError, PermissionDenied
from ..listings.models import Listing
from ..web import acting_user, db_session, page_from_args, show_form_errors
from . import pages
from .forms import PresentationForm, PublicProfileForm

bp = Blueprint("pages", __name__)


@bp.route("/territories/<code>")
def territory(code: str):
    page = pages.territory_page(db_session(), code[:9], acting_user())
    return render_template("territories/show.html", page=page)


@bp.route("/territories/<code>/presentation", methods=["GET", "POST"])
@login_required
def edit_presentation(code: str):
    page = pages.territory_page(db_session(), code[:9], acting_user())
    if not page.can_edit:  # the service checks again; here it spares showing a form that cannot work
        raise PermissionDenied(gettext("Only this territory's officials and technicians may edit its page."))
    profile = page.profile
    form = PresentationForm(
        presentation=profile.presentation if profile else "", version=profile.version if profile else ""
    )
    if form.validate_on_submit():
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            text = form.presentation.data or ""
            pages.update_presentation(db_session(), acting_user(), code, text, version)
        except DomainError as exc:
            show_form_errors(form, exc, with_message=True)
        else:
            flash(gettext("The presentation was saved."), "success")
            return redirect(url_for("welcome.pages.territory", code=page.territory.code))
    return render_template("territories/edit.html", page=page, form=form)


@bp.route("/explore/<int:listing_id>")
def public_listing(listing_id: int):
    """A published listing as a visitor sees it: its territory, never its owner's name or e-mail.
    Drafts and listings kept to the network answer 404, as if they did not exist."""
    session = db_session()
    listing = session.scalar(
        select(Listing).where(Listing.id == listing_id, pages.public_listings_filter(acting_user()))
    )
    if listing is None:
        abort(404)
    return render_template("territories/listing.html", listing=listing)


@bp.route("/explore")
def explore():
    """Published listings, browsable without an account; owners are never named here."""
    page = page_from_args()
    session = db_session()
    condition = pages.public_listings_filter(acting_user())
    total = session.scalar(select(func.count()).select_from(Listing).where(condition)) or 0
    items = session.scalars(
        select(Listing).where(condition).order_by(Listing.id.desc()).offset(page.offset).limit(page.per_page)
    ).all()
    return render_template("territories/explore.html", items=items, total=total, page=page)


@bp.route("/profile/public", methods=["GET", "POST"])
@login_required
def public_profile():
    user = acting_user()
    form = PublicProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            pages.update_public_profile(
                db_session(),
                user,
                name=form.name.data,
                job_title=form.job_title.data or "",
                organisation=form.organisation.data or "",
                email_public=bool(form.email_public.data),
            )
        except DomainError as exc:
            show_form_errors(form, exc)
        else:
            flash(gettext("Your public profile was saved."), "success")
            return redirect(url_for("welcome.pages.public_profile"))
    return render_template("accounts/public_profile.html", form=form)
