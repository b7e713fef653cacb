"""Agreement pages: lists, the approval queue, creation from a listing, the agreement page with
its action forms, and the printable convention. Thin: parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict, InvalidTransition, RuleViolation
from ..listings.models import Listing
from ..storage import Storage, storage_for
from ..ui import DashboardPanel, NavItem, add_nav, add_panel
from ..web import acting_user, db_session, page_from_args, show_form_errors
from . import photos, services
from .forms import ACTION_FORMS, CreateForm
from .models import STATUSES

bp = Blueprint("agreements", __name__, url_prefix="/agreements")

STATUS_LABELS = {
    "draft": _l("Draft"),
    "proposed": _l("Proposed"),
    "negotiating": _l("Under discussion"),
    "accepted": _l("Technical agreement"),
    "pending_approval": _l("Awaiting approval"),
    "approved": _l("Approved"),
    "signed": _l("Signed"),
    "in_progress": _l("In progress"),
    "returned": _l("Returned"),
    "completed": _l("Completed"),
    "evaluated": _l("Evaluated"),
    "refused": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}
ACTION_LABELS = {
    "create": _l("Draft created"),
    "propose": _l("Propose"),
    "counter_propose": _l("Counter-propose new terms"),
    "accept": _l("Accept these terms"),
    "approve": _l("Approve on behalf of my territory"),
    "refuse": _l("Refuse on behalf of my territory"),
    "sign": _l("Sign the convention"),
    "start": _l("Record the handover"),
    "report_incident": _l("Report an incident"),
    "request_extension": _l("Ask for an extension"),
    "decide_extension": _l("Decide on the extension"),
    "return": _l("Record the return"),
    "complete": _l("Close the agreement"),
    "evaluate": _l("File my evaluation"),
    "withdraw": _l("Withdraw"),
    "cancel": _l("Cancel the agreement"),
    "expire": _l("Expired without an answer"),
    "auto_complete": _l("Closed automatically"),
}
# The history speaks in the past tense: what happened, not the button that did it.
EVENT_LABELS = {
    "create": _l("Draft created"),
    "propose": _l("Terms proposed"),
    "counter_propose": _l("New terms counter-proposed"),
    "accept": _l("Terms accepted"),
    "approve": _l("Approval on behalf of a territory"),
    "refuse": _l("Refusal on behalf of a territory"),
    "sign": _l("Convention signed"),
    "start": _l("Handover recorded"),
    "report_incident": _l("Incident reported"),
    "request_extension": _l("Extension requested"),
    "decide_extension": _l("Extension decided"),
    "return": _l("Return recorded"),
    "complete": _l("Agreement closed"),
    "evaluate": _l("Evaluation filed"),
    "withdraw": _l("Withdrawn by its author"),
    "cancel": _l("Agreement cancelled"),
    "expire": _l("Expired without an answer"),
    "auto_complete": _l("Closed automatically"),
}
KIND_LABELS = {
    "loan": _l("Loan of equipment"),
    "service": _l("Provision of a service"),
    "know_how": _l("Transfer of know-how"),
}
SIDE_LABELS = {"provider": _l("Provider"), "beneficiary": _l("Beneficiary")}
FIELD_LABELS = {
    "lines": _l("Resources"),
    "starts_on": _l("Start date"),
    "ends_on": _l("End date"),
    "logistics": _l("Logistics"),
    "conditions": _l("Conditions"),
    "deposit_eur": _l("Deposit (€)"),
    "insurance_required": _l("Insurance certificate required"),
    "kind": _l("Kind of agreement"),
}
# Ready-to-use lists per role: what each person usually looks for.
LIST_TABS = {
    "open": ("draft", "proposed", "negotiating"),
    "approval": ("pending_approval", "approved"),
    "running": ("signed", "in_progress", "returned", "completed"),
    "closed": ("evaluated", "refused", "withdrawn", "expired", "cancelled"),
}
TAB_LABELS = {
    "open": _l("Being negotiated"),
    "approval": _l("Approval and signature"),
    "running": _l("Under way"),
    "closed": _l("Closed"),
}

add_nav(NavItem("agreements.index", _l("Agreements"), order=30))
add_nav(NavItem("agreements.approvals", _l("Approvals"), roles=("official",), order=31))


def _panel(session, user) -> dict:
    items, total = services.list_for(
        session, user, statuses=[*LIST_TABS["open"], *LIST_TABS["running"]], limit=5
    )
    return {"queue": services.approval_queue(session, user), "agreements": items, "total": total}


add_panel(DashboardPanel("agreements/_panel.html", _panel, order=30))


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
def index():
    tab = request.args.get("tab", "open")
    status = request.args.get("status")
    if status and status in STATUSES:
        statuses: tuple[str, ...] = (status,)
    else:
        status = None
        statuses = LIST_TABS.get(tab, LIST_TABS["open"])
    page = page_from_args()
    items, total = services.list_for(
        db_session(), acting_user(), statuses=statuses, limit=page.per_page, offset=page.offset
    )
    return render_template(
        "agreements/index.html", items=items, total=total, page=page, tab=tab, status=status, tabs=TAB_LABELS
    )


@bp.route("/approvals")
@login_required
def approvals():
    return render_template(
        "agreements/approvals.html", items=services.approval_queue(db_session(), acting_user())
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


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    session = db_session()
    offer_id, need_id = _int_arg("offer_id"), _int_arg("need_id")
    offer = session.get(Listing, offer_id) if offer_id else None
    need = session.get(Listing, need_id) if need_id else None
    if offer is None and need is None:
        abort(404)
    form = CreateForm()
    if request.method == "GET":
        main = offer or need
        form.fill_lines([{"description": main.title, "quantity": main.quantity, "unit": main.unit}])
        form.kind.data = {"equipment": "loan", "know_how": "know_how"}.get(main.category, "service")
        form.logistics.data = main.logistics or ""
        form.conditions.data = main.conditions or ""
        form.deposit_eur.data = main.deposit_eur
        form.insurance_required.data = main.insurance_required
    if form.validate_on_submit():
        try:
            agreement = services.create(
                session, acting_user(), offer_id=offer_id, need_id=need_id, terms=form.terms()
            )
        except RuleViolation as exc:
            show_form_errors(form, exc, field_for=_field_for)
            flash(gettext(exc.message), "danger")
        else:
            flash(gettext("The draft agreement is created. Check the terms, then propose it."), "success")
            return redirect(url_for(".show", agreement_id=agreement.id))
    return render_template("agreements/new.html", form=form, offer=offer, need=need)


def _forms_for(agreement, user, failed: tuple[str, object] | None = None) -> list[tuple[str, object]]:
    forms = []
    allowed = services.allowed_actions(agreement, user)
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
    events = services.history(session, user, agreement.id)
    diffs = []
    previous = None
    for terms in agreement.terms:
        diffs.append((terms, services.terms_diff(previous, terms) if previous is not None else []))
        previous = terms
    return (
        render_template(
            "agreements/show.html",
            agreement=agreement,
            events=events,
            diffs=diffs,
            forms=_forms_for(agreement, user, failed),
            my_side=services.side_of_user(agreement, user),
            field_labels=FIELD_LABELS,
            max_photo_mib=_mib(_max_photo_bytes()),
        ),
        status,
    )


@bp.route("/<int:agreement_id>")
@login_required
def show(agreement_id: int):
    user = acting_user()
    return _render_show(services.get(db_session(), user, agreement_id), user)


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
            errors.append(f"{upload.filename} : {message}")
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
    agreement = services.get(session, user, agreement_id)
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
    session.expire_all()
    agreement = services.get(session, user, agreement_id)
    return _render_show(agreement, user, failed=(action, form), status=422)


@bp.route("/<int:agreement_id>/photos/<name>")
@login_required
def photo(agreement_id: int, name: str):
    data, media_type = services.photo_file(db_session(), acting_user(), agreement_id, name, _upload_root())
    response = current_app.response_class(data, mimetype=media_type)
    # Private to the parties: never kept by a shared cache.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/<int:agreement_id>/convention")
@login_required
def convention(agreement_id: int):
    agreement = services.get(db_session(), acting_user(), agreement_id)
    if agreement.convention_generated_at is None:
        abort(404)
    return render_template(
        "agreements/convention.html",
        agreement=agreement,
        terms=agreement.terms_at(agreement.approved_terms_version),
        approvals=[a for a in agreement.approvals if a.decision == "approve"],
    )
