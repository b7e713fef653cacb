"""The notification centre, e-mail preferences, and the one-click links from e-mails."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from ..errors import DomainError
from ..extensions import csrf
from ..web import acting_user, db_session, page_from_args, safe_redirect_target
from . import kinds, messages, services
from .forms import ConfirmForm, field_name, preferences_form
from .mail import read_unsubscribe_token

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _notifications_context():
    user = acting_user()
    if user is None:
        return {"unread_notifications": 0}
    return {"unread_notifications": services.unread_count(db_session(), user)}


def _safe_next(target: str | None) -> str:
    return safe_redirect_target(target, url_for("notifications.index"))


@bp.route("/notifications")
@login_required
def index():
    page = page_from_args()
    unread_only = request.args.get("unread") == "true"
    items, total = services.list_notifications(
        db_session(), acting_user(), unread_only=unread_only, offset=page.offset, limit=page.per_page
    )
    return render_template(
        "notifications/index.html",
        items=items,
        page=page,
        total=total,
        unread_only=unread_only,
        form=ConfirmForm(),
        kind_label=kinds.label,
        text_of=lambda n: messages.read(n.message, n.subject, n.body),
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    if ConfirmForm().validate_on_submit():
        notification = services.mark_read(db_session(), acting_user(), notification_id)
        if request.form.get("open") and notification.link:
            return redirect(_safe_next(notification.link))
        flash(gettext("Notification marked as read."), "success")
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    if ConfirmForm().validate_on_submit():
        count = services.mark_all_read(db_session(), acting_user())
        flash(gettext("%(n)d notifications marked as read.", n=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    session, user = db_session(), acting_user()
    rows = services.preferences(session, user)
    form = preferences_form(rows, request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        choices = {row.kind: getattr(form, field_name(row.kind)).data for row in rows}
        try:
            services.update_preferences(session, user, choices)
        except DomainError as exc:
            flash(gettext(exc.message), "danger")
        else:
            flash(gettext("Your preferences are saved."), "success")
            return redirect(url_for("notifications.preferences"))
    fields = [(row, getattr(form, field_name(row.kind))) for row in rows]
    return render_template("notifications/preferences.html", form=form, fields=fields)


@bp.route("/notifications/unsubscribe/<token>", methods=["GET"])
def unsubscribe_page(token: str):
    data = read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    if data is None:
        return render_template("notifications/link_invalid.html"), 404
    return render_template(
        "notifications/unsubscribe.html", token=token, kind_label=kinds.label(data[1]), done=False
    )


@bp.route("/notifications/unsubscribe/<token>", methods=["POST"])
# The signed token is the authority; mail clients' one-click POST (RFC 8058) carries no CSRF token.
@csrf.exempt
def unsubscribe(token: str):
    data = read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    if data is None:
        return render_template("notifications/link_invalid.html"), 404
    services.unsubscribe(db_session(), data[0], data[1])
    return render_template(
        "notifications/unsubscribe.html", token=token, kind_label=kinds.label(data[1]), done=True
    )
