"""Pages of the way in: forgotten password, invitations, join requests. Thin doors."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user

from ..db import utcnow
from ..errors import DomainError, PermissionDenied
from ..extensions import limiter
from ..territories import services as territories
from ..ui import MANAGE, VISITOR, DashboardPanel, NavItem
from ..web import acting_user, db_session, page_from_args, show_form_errors
from . import invitations, join, notify, pages, reset, rules
from .forms import AcceptInvitationForm, ConfirmForm, ForgotForm, InviteForm, JoinForm, NewPasswordForm
from .page_views import bp as pages_bp
from .people import public_name

bp = Blueprint("welcome", __name__)
bp.register_blueprint(pages_bp)  # public pages, nested: the app registers one blueprint per domain

# Declared by welcome/domain.py; create_app adds them to the shared layout.
NAV_ITEMS = (
    NavItem(
        "welcome.invitations_page",
        _l("Invitations"),
        roles=("admin", "technician", "official"),
        order=85,
        menu=MANAGE,
    ),
    NavItem(
        "welcome.join_requests",
        _l("Join requests"),
        roles=("admin", "technician", "official"),
        order=86,
        menu=MANAGE,
    ),
    # What a visitor may open without an account (the experience sheets and impact declare theirs).
    NavItem("core.home", _l("Home"), roles=(VISITOR,), order=1),
    NavItem("welcome.pages.explore", _l("Offers and needs"), roles=(VISITOR,), order=10),
    NavItem("welcome.join_page", _l("Ask to join"), roles=(VISITOR,), order=99),
)


def _staff_panel(session, user) -> dict:
    return {"requests": join.list_requests(session, user, status="pending", per_page=1)[1]}


PANELS = (
    DashboardPanel("core/_actor_panel.html", pages.actor_overview, roles=("actor",), order=5),
    DashboardPanel(
        "core/_welcome_staff_panel.html", _staff_panel, roles=("admin", "technician", "official"), order=80
    ),
)


def reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def join_limit() -> str:
    return current_app.config["JOIN_REQUEST_RATE_LIMIT"]


def _min_length() -> int:
    return current_app.config["PASSWORD_MIN_LENGTH"]


def _errors(form, exc: DomainError) -> None:
    show_form_errors(form, exc, min=_min_length(), with_message=not exc.fields)


# Password reset -------------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        notify.send_reset(reset.request_reset(db_session(), form.email.data))
        # The same words whether or not the address is known.
        flash(gettext("If this address has an account, an e-mail with a link is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def reset_password(token: str):
    if reset.find_valid_reset(db_session(), token) is None:
        return render_template("accounts/link_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            reset.confirm_reset(db_session(), token, form.password.data, min_length=_min_length())
        except DomainError as exc:
            _errors(form, exc)
        else:
            session.clear()
            flash(gettext("Your password was changed; every session was closed. Log in again."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


# Invitations ---------------------------------------------------------------------------------


@bp.route("/invitations", methods=["GET", "POST"])
@login_required
def invitations_page():
    user = acting_user()
    if user.role not in (rules.ADMIN, *rules.STAFF):
        raise PermissionDenied(gettext("You are not allowed to see invitations."))
    prefill = {k: v for k in ("email", "role") if (v := request.args.get(k))}
    form = InviteForm(**prefill)
    if request.method == "GET":
        form.territory.prefill(request.args.get("territory") or user.territory.code)
    form.role.choices = [c for c in form.role.choices if c[0] in rules.roles_invitable_by(user.role)]
    if form.validate_on_submit():
        try:
            new = invitations.invite(
                db_session(),
                user,
                email=form.email.data,
                role=form.role.data,
                territory_code=form.territory.code,
            )
        except DomainError as exc:
            _errors(form, exc)
        else:
            _flash_sent(
                notify.send_invitation(new, public_name(user), user.locale or "fr"), new.invitation.email
            )
            return redirect(url_for("welcome.invitations_page"))
    page = page_from_args()
    items, total = invitations.list_invitations(db_session(), user, page=page.page, per_page=page.per_page)
    return render_template(
        "accounts/invitations.html", form=form, items=items, total=total, page=page, confirm=ConfirmForm()
    )


@bp.route("/invitations/new")
@login_required
def invitation_new():
    """The way to add someone (the admin users page links here): the invitation form, prefilled
    from the known fields only, so nothing else travels into the redirect."""
    prefill = {k: v for k in ("email", "role", "territory") if (v := (request.args.get(k) or "").strip())}
    return redirect(url_for("welcome.invitations_page", **prefill) + "#inv-new")


def _flash_sent(sent: bool, email: str) -> None:
    if sent:
        flash(gettext("Invitation sent to %(email)s.", email=email), "success")
    else:
        flash(
            gettext("The invitation was saved but the e-mail could not be sent; revoke it and try again."),
            "warning",
        )


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(invitation_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        invitations.revoke(db_session(), acting_user(), invitation_id)
    except DomainError as exc:
        flash(gettext(exc.message), "danger")
    else:
        flash(gettext("The invitation was revoked."), "info")
    return redirect(url_for("welcome.invitations_page"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def accept_invitation(token: str):
    invitation = invitations.find_pending(db_session(), token)
    if invitation is None:
        return render_template("accounts/link_invalid.html"), 404
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept(
                db_session(),
                token,
                name=form.name.data,
                organisation=form.organisation.data or "",
                job_title=form.job_title.data or "",
                password=form.password.data,
                min_length=_min_length(),
            )
        except DomainError as exc:
            _errors(form, exc)
        else:
            session.clear()
            login_user(user)
            session.permanent = True
            flash(gettext("Welcome, %(name)s.", name=public_name(user)), "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/accept_invitation.html", form=form, invitation=invitation)


# Join requests -------------------------------------------------------------------------------


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(join_limit, methods=["POST"])
def join_page():
    form = JoinForm()
    query = (request.args.get("q") or "").strip()[:100]
    found = territories.search(db_session(), query, limit=10)[0] if query else []
    if form.validate_on_submit():
        try:
            join.submit(
                db_session(),
                territory_code=form.territory.code,
                name=form.name.data,
                email=form.email.data,
                motivation=form.motivation.data,
            )
        except DomainError as exc:
            _errors(form, exc)
        else:
            flash(
                gettext("Thank you: your request was sent. You will receive an e-mail once it is accepted."),
                "success",
            )
            return redirect(url_for("core.home"))
    chosen = _chosen_territory(form.territory, request.args.get("territory", ""))
    return render_template("accounts/join.html", form=form, query=query, found=found, chosen=chosen)


def _chosen_territory(field, code: str):
    """The territory the form designates: resolved by its validation, or picked in step 1 (a
    link with its code), which then fills the field with its name."""
    if field.territory is not None or not code or request.method == "POST":
        return field.territory
    try:
        chosen = territories.get_by_code(db_session(), code)
    except DomainError:
        return None
    field.show(chosen)
    return chosen


@bp.route("/join-requests")
@login_required
def join_requests():
    status = request.args.get("status") or "pending"
    status = status if status in ("pending", "accepted", "declined") else "pending"
    page = page_from_args()
    items, total = join.list_requests(
        db_session(), acting_user(), status=status, page=page.page, per_page=page.per_page
    )
    return render_template(
        "accounts/join_requests.html",
        items=items,
        total=total,
        page=page,
        status=status,
        confirm=ConfirmForm(),
    )


@bp.route("/join-requests/<int:request_id>/<any(accept, decline):decision>", methods=["POST"])
@login_required
def decide_join_request(request_id: int, decision: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = acting_user()
    try:
        if decision == "accept":
            new = join.accept(db_session(), user, request_id)
            _flash_sent(notify.send_invitation(new, public_name(user), "fr"), new.invitation.email)
        else:
            join.decline(db_session(), user, request_id)
            flash(gettext("The request was declined."), "info")
    except DomainError as exc:
        flash(gettext(exc.message), "danger")
    return redirect(url_for("welcome.join_requests"))


STATUS_LABELS = {
    "pending": _l("Pending"),
    "accepted": _l("Accepted"),
    "revoked": _l("Revoked"),
    "expired": _l("Expired"),
}


@bp.app_context_processor
def _welcome_context():
    return {
        "now_utc": utcnow,
        "invitation_status_label": lambda code: str(STATUS_LABELS.get(code, code)),
        "public_name": public_name,
        "network_figures": lambda: pages.network_figures(db_session()),  # called by the home page only
    }
