"""Saved searches pages: save the browse page's filters, list mine, delete one. Thin."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from ..errors import NotFound, RuleViolation, ValidationFailed
from ..web import acting_user, db_session
from . import alerts
from .alert_rules import FILTER_KEYS
from .forms import ActionForm, SaveSearchForm

# What the browse page's "save this search" form carries: the filters, and the commune picked.
CARRIED = (*FILTER_KEYS, "near_code")

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.route("/")
@login_required
def index():
    items = alerts.list_alerts(db_session(), acting_user())
    return render_template("listings/alerts.html", items=items, action_form=ActionForm())


def _browse_args(form: SaveSearchForm) -> dict[str, str]:
    return {key: getattr(form, key).data for key in CARRIED if getattr(form, key).data}


@bp.route("/", methods=["POST"])
@login_required
def create():
    form = SaveSearchForm()
    if not form.validate_on_submit():
        flash(gettext("The form has expired: please send it again."), "danger")
        return redirect(url_for("listings.browse", **_browse_args(form)))
    data = {key: getattr(form, key).data or None for key in (*CARRIED, "label")}
    try:
        alert, created = alerts.create_alert(db_session(), acting_user(), data)
    except (ValidationFailed, RuleViolation) as exc:
        messages = [gettext(m) for field in exc.fields.values() for m in field] or [gettext(exc.message)]
        flash(" ".join(messages), "danger")
        return redirect(url_for("listings.browse", **_browse_args(form)))
    if created:
        message = gettext(
            "Search saved: you will be told of new listings matching “%(label)s”.", label=alert.label
        )
    else:
        message = gettext("You saved this search already, as “%(label)s”.", label=alert.label)
    flash(message, "success" if created else "info")
    return redirect(url_for("alerts.index"))


@bp.route("/<int:alert_id>/delete", methods=["POST"])
@login_required
def delete(alert_id: int):
    if not ActionForm().validate_on_submit():
        flash(gettext("The form has expired: please send it again."), "danger")
        return redirect(url_for("alerts.index"))
    try:
        alerts.delete_alert(db_session(), acting_user(), alert_id)
    except NotFound:
        flash(gettext("No such saved search."), "warning")
    else:
        flash(gettext("Saved search deleted."), "success")
    return redirect(url_for("alerts.index"))


def browse_link(filters: dict) -> str:
    """The browse page showing what a saved search looks for."""
    return url_for("listings.browse", **filters)


def save_search_form() -> SaveSearchForm:
    """The browse page's "save this search" form, filled with the filters being shown."""
    return SaveSearchForm(formdata=None, data={k: v for k, v in request.args.items() if k in CARRIED})


@bp.app_context_processor
def _alert_helpers():
    return {"alert_browse_link": browse_link, "save_search_form": save_search_form}
