"""Login, logout, profile and the admin's user pages. Thin: parse, call a service, render."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user, logout_user

from ..errors import DomainError, PermissionDenied, Unauthorized
from ..extensions import account_key, limiter
from ..i18n import N_
from ..ui import MANAGE, NavItem
from ..web import acting_user, db_session, page_from_args, safe_redirect_target, show_form_errors
from . import directory, services
from .forms import LocaleForm, LoginForm, PasswordChangeForm, TokenForm, UserUpdateForm
from .permissions import can_manage_users

bp = Blueprint("accounts", __name__)

# Declared by accounts/domain.py; create_app adds it to the shared layout.
NAV_ITEMS = (NavItem("accounts.admin_users", _l("Users"), roles=("admin",), order=90, menu=MANAGE),)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"]


def _login_failed(response) -> bool:
    # A successful login redirects; a refused one shows the form again. Only refusals count
    # against the account, so its owner is not locked out by their own daily logins.
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    return safe_redirect_target(target, url_for("core.home"))


def _submitted(form) -> bool:
    """Several prefixed forms share the profile page: tell which one was sent."""
    return request.method == "POST" and any(key.startswith(form._prefix) for key in request.form)


def _policy() -> services.PasswordPolicy:
    return services.PasswordPolicy(min_length=current_app.config["PASSWORD_MIN_LENGTH"])


def _form_errors(form, exc: DomainError) -> None:
    show_form_errors(form, exc, min=current_app.config["PASSWORD_MIN_LENGTH"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=account_key, deduct_when=_login_failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(db_session(), form.email.data, form.password.data)
        except Unauthorized:
            flash(gettext("Wrong e-mail or password."), "danger")
        else:
            session.clear()  # a fresh session on login: no fixation
            login_user(user)
            session.permanent = True
            flash(gettext("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.logout(db_session(), acting_user())
    logout_user()
    session.clear()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = acting_user()
    password_form = PasswordChangeForm(prefix="pw")
    token_form = TokenForm(prefix="tk")
    locale_form = LocaleForm(prefix="lc", locale=user.locale or "fr")
    new_token = None
    if _submitted(password_form) and password_form.validate_on_submit():
        try:
            services.change_password(
                db_session(),
                user,
                password_form.current_password.data,
                password_form.new_password.data,
                _policy(),
            )
        except DomainError as exc:
            _form_errors(password_form, exc)
        else:
            login_user(user)  # keep this session alive with the rotated token
            flash(gettext("Your password was changed; your other sessions are closed."), "success")
            return redirect(url_for("accounts.profile"))
    elif _submitted(token_form) and token_form.validate_on_submit():
        _token, new_token = services.create_token(db_session(), user, token_form.name.data)
        flash(gettext("Copy this token now: it will not be shown again."), "warning")
    elif _submitted(locale_form) and locale_form.validate_on_submit():
        services.set_locale(db_session(), user, locale_form.locale.data, current_app.config["LANGUAGES"])
        flash(gettext("Your language preference was saved."), "success")
        return redirect(url_for("accounts.profile"))
    tokens = services.list_tokens(db_session(), user)
    return render_template(
        "accounts/profile.html",
        password_form=password_form,
        token_form=token_form,
        locale_form=locale_form,
        tokens=tokens,
        new_token=new_token,
    )


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    services.revoke_token(db_session(), acting_user(), token_id)
    flash(gettext("The token was revoked."), "info")
    return redirect(url_for("accounts.profile"))


def _require_admin():
    if not can_manage_users(acting_user()):
        raise PermissionDenied(N_("This page is for the network facilitators."))


# Issue 14: facilitators no longer type a password for someone; "New user" sends an invitation
# (welcome.invitation_new). Operators keep `mutualisation users create` on the command line.
@bp.route("/admin/users")
@login_required
def admin_users():
    _require_admin()
    page = page_from_args()
    filters = directory.UserFilters.from_args(request.args)  # issue 14: search and filters
    users, total = directory.search_users(
        db_session(), acting_user(), filters, page=page.page, per_page=page.per_page
    )
    return render_template("accounts/admin_users.html", users=users, total=total, page=page, filters=filters)


@bp.route("/admin/users/<int:user_id>", methods=["POST"])
@login_required
def admin_update_user(user_id: int):
    _require_admin()
    form = UserUpdateForm()
    if form.validate_on_submit():
        try:
            services.update_user(
                db_session(), acting_user(), user_id, role=form.role.data, active=bool(form.active.data)
            )
        except DomainError as exc:
            flash(gettext(exc.message), "danger")
        else:
            flash(gettext("The user was updated."), "success")
    else:
        flash(gettext("The form is not valid."), "danger")
    return redirect(url_for("accounts.admin_users"))
