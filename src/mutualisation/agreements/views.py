"""Agreement pages: lists, the approval queue, creation from a listing, the agreement page with
its action forms, and the printable convention. Thin: parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict, InvalidTransition, RuleViolation
from ..listings.permissions import get_visible_listing
from ..storage import Storage, storage_for
from ..ui import DashboardPanel, NavItem
from ..web import acting_user, db_session, page_from_args, show_form_errors
from . import photos, queries, services
from .forms import ACTION_FORMS, CreateForm
from .labels import ACTION_LABELS, EVENT_LABELS, FIELD_LABELS, KIND_LABELS, SIDE_LABELS, STATUS_LABELS
from .state import allowed_actions, kind_for, side_of_user
from .terms import terms_diff
from .vocabulary import Status

bp = Blueprint("agreements", __name__, url_prefix="/agreements")

# Ready-to-use lists per role: what each person usually looks for.
LIST_TABS: dict[str, tuple[Status, ...]] = {
    "open": (Status.DRAFT, Status.PROPOSED, Status.NEGOTIATING),
    "approval": (Status.PENDING_APPROVAL, Status.APPROVED),
    "running": (Status.SIGNED, Status.IN_PROGRESS, Status.RETURNED, Status.COMPLETED),
    "closed": (Status.EVALUATED, Status.REFUSED, Status.WITHDRAWN, Status.EXPIRED, Status.CANCELLED),
}
TAB_LABELS = {
    "open": _l("Being negotiated"),
    "approval": _l("Approval and signature"),
    "running": _l("Under way"),
    "closed": _l("Closed"),
}

# Declared by agreements/domain.py; create_app adds them to the shared layout.
NAV_ITEMS = (
    NavItem("agreements.index", _l("Agreements"), order=30),
    NavItem("agreements.approvals", _l("Approvals"), roles=("official",), order=31),
)


def _panel(session, user) -> dict:
    items, total = queries.list_for(
        session, user, statuses=[*LIST_TABS["open"], *LIST_TABS["running"]], limit=5
    )
    return {"queue": queries.approval_queue(session, user), "agreements": items, "total": total}


PANELS = (DashboardPanel("agreements/_panel.html", _panel, order=30),)


@bp.app_context_processor
def _labels():
    return {
        "agreement_status_labels": STATUS_LABELS,
        "agreement_action_labels": ACTION_LABELS,
        "agreement_event_labels": EVENT_LABELS,
        "agreement_kind_labels": KIND_LABELS,
        "agreement_side_labels": SIDE_LABELS,
    }


@bp.route("")
@login_required
def index() -> str:
    tab = request.args.get("tab", "open")
    status = request.args.get("status")
    if status and status in set(Status):
        statuses: tuple[str, ...] = (status,)
    else:
        status = None
        statuses = LIST_TABS.get(tab, LIST_TABS["open"])
    page = page_from_args()
    items, total = queries.list_for(
        db_session(), acting_user(), statuses=statuses, limit=page.per_page, offset=page.offset
    )
    return render_template(
        "agreements/index.html", items=items, total=total, page=page, tab=tab, status=status, tabs=TAB_LABELS
    )


@bp.route("/approvals")
@login_required
def approvals():
    return render_template(
        "agreements/approvals.html", items=queries.approval_queue(db_session(), acting_user())
    )


def _int_arg(name: str) -> int | None:
    raw = request.values.get(name) or None
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        abort(404)


def _field_for(form, name: str):
    """The form field a service error names: "lines.1.quantity" is the second filled row's quantity."""
    parts = name.split(".")
    if parts[0] == "lines" and hasattr(form, "filled_rows"):
        rows = form.filled_rows()
        if len(parts) == 1:
            return form.lines.entries[0].form.description
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            return getattr(form.lines.entries[rows[int(parts[1])]].form, parts[2], None)
        return None
    return getattr(form, name, None)


def _listing_arg(name: str):
    """The listing named by this query argument, if the user may see it; 404 otherwise (no leak)."""
    listing_id = _int_arg(name)
    if listing_id is None:
        return None
    return get_visible_listing(db_session(), acting_user(), listing_id)


def _prefill(form: CreateForm, main) -> None:
    form.fill_lines([{"description": main.title, "quantity": main.quantity, "unit": main.unit}])
    form.kind.data = kind_for(main)
    form.logistics.data = main.logistics or ""
    form.conditions.data = main.conditions or ""
    form.deposit_eur.data = main.deposit_eur
    form.insurance_required.data = main.insurance_required


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    offer, need = _listing_arg("offer_id"), _listing_arg("need_id")
    if offer is None and need is None:
        abort(404)
    form = CreateForm()
    if request.method == "GET":
        _prefill(form, offer or need)
    if form.validate_on_submit():
        try:
            draft = services.create_draft(
                db_session(),
                acting_user(),
                offer_id=offer.id if offer else None,
                need_id=need.id if need else None,
                terms=form.terms(),
            )
        except RuleViolation as exc:
            show_form_errors(form, exc, field_for=_field_for)
            flash(gettext(exc.message), "danger")
        else:
            if draft.created:
                flash(gettext("The draft agreement is created. Check the terms, then propose it."), "success")
            else:
                flash(gettext("You already have a draft agreement for this listing: here it is."), "info")
            return redirect(url_for(".show", agreement_id=draft.agreement.id))
    return render_template("agreements/new.html", form=form, offer=offer, need=need)


def _forms_for(agreement, user, failed: tuple[str, object] | None = None) -> list[tuple[str, object]]:
    forms = []
    allowed = allowed_actions(agreement, user)
    if failed is not None and failed[0] not in allowed:
        # The action is no longer possible (InvalidTransition): keep the form and what the user
        # typed in it, so that nothing is lost, next to the message that says why.
        forms.append(failed)
    for action in allowed:
        if failed is not None and failed[0] == action:
            forms.append(failed)
            continue
        form = ACTION_FORMS[action](prefix=action, formdata=None)
        form.version.data = str(agreement.terms_version)
        if hasattr(form, "fill"):
            form.fill(agreement.current_terms())
        forms.append((action, form))
    return forms


def _render_show(agreement, user, failed=None, status=200):
    session = db_session()
    events = queries.history(session, user, agreement.id)
    diffs = []
    previous = None
    for terms in agreement.terms:
        diffs.append((terms, terms_diff(previous.as_dict(), terms.as_dict()) if previous is not None else []))
        previous = terms
    return (
        render_template(
            "agreements/show.html",
            agreement=agreement,
            events=events,
            diffs=diffs,
            forms=_forms_for(agreement, user, failed),
            my_side=side_of_user(agreement, user),
            field_labels=FIELD_LABELS,
            max_photo_mib=_mib(_max_photo_bytes()),
        ),
        status,
    )


@bp.route("/<int:agreement_id>")
@login_required
def show(agreement_id: int):
    user = acting_user()
    return _render_show(queries.get(db_session(), user, agreement_id), user)


def _upload_root() -> Storage:
    return storage_for(current_app)


def _max_photo_bytes() -> int:
    return int(current_app.config.get("agreements", {}).get("max_photo_bytes", photos.DEFAULT_MAX_BYTES))


def _mib(size: int) -> str:
    return format_decimal(round(size / 1048576, 2) or 0.01)


def _checked_photos(form) -> list[photos.Photo] | None:
    """The uploaded photos, checked; None (with French field errors on the form) if any is refused."""
    if not hasattr(form, "uploads"):
        return []
    limit = _max_photo_bytes()
    checked, errors = [], []
    for upload in form.uploads():
        # Read one byte past the limit: enough to refuse without holding a huge file in memory.
        result = photos.check(upload.stream.read(limit + 1), limit)
        if isinstance(result, str):
            message = gettext(result, mib=_mib(limit))
            errors.append(gettext("%(label)s: %(value)s", label=upload.filename, value=message))
        else:
            checked.append(result)
    if errors:
        form.photos.errors = list(form.photos.errors) + errors
        return None
    return checked


@bp.route("/<int:agreement_id>/actions/<action>", methods=["POST"])
@login_required
def act(agreement_id: int, action: str):
    user = acting_user()
    session = db_session()
    agreement = queries.get(session, user, agreement_id)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        abort(404)
    form = form_class(prefix=action)
    if form.validate_on_submit():
        report_photos = _checked_photos(form)
        try:
            if report_photos is None:
                raise RuleViolation("Please correct the highlighted fields.")
            services.transition(
                session,
                user,
                agreement_id,
                action,
                form.payload(),
                report_photos=report_photos,
                upload_root=_upload_root(),
            )
        except (Conflict, StaleDataError):
            # The terms changed under the user: show them the current ones rather than an error page.
            session.rollback()
            flash(
                gettext(
                    "The terms have changed since you read them. Here is the current version: "
                    "please check it before acting again."
                ),
                "warning",
            )
            return redirect(url_for(".show", agreement_id=agreement_id))
        except (RuleViolation, InvalidTransition) as exc:
            session.rollback()
            show_form_errors(form, exc, field_for=_field_for)
            flash(gettext(exc.message), "danger")
        else:
            flash(gettext("Done: %(action)s.", action=ACTION_LABELS[action]), "success")
            return redirect(url_for(".show", agreement_id=agreement_id))
    if form.version.errors:  # a hidden field shows no message of its own: say it above the forms
        flash(str(form.version.errors[0]), "danger")
    session.expire_all()
    agreement = queries.get(session, user, agreement_id)
    return _render_show(agreement, user, failed=(action, form), status=422)


@bp.route("/<int:agreement_id>/photos/<name>")
@login_required
def photo(agreement_id: int, name: str):
    data, media_type = queries.photo_file(db_session(), acting_user(), agreement_id, name, _upload_root())
    response = current_app.response_class(data, mimetype=media_type)
    # Private to the parties: never kept by a shared cache.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/<int:agreement_id>/convention")
@login_required
def convention(agreement_id: int):
    agreement = queries.get(db_session(), acting_user(), agreement_id)
    if agreement.convention_generated_at is None:
        abort(404)
    return render_template(
        "agreements/convention.html",
        agreement=agreement,
        terms=agreement.terms_at(agreement.approved_terms_version),
        approvals=[a for a in agreement.approvals if a.decision == "approve"],
    )
