"""Agreement pages: lists, the approval queue, creation from a listing, the agreement page with
its action forms, and the printable convention. Thin: parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ..errors import DomainError, RuleViolation
from ..listings.models import Listing
from ..ui import DashboardPanel, NavItem, add_nav, add_panel
from ..web import acting_user, db_session, page_from_args
from . import services
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


def _attach_errors(form, exc: DomainError) -> None:
    for name, messages in exc.fields.items():
        field = getattr(form, name.split(".")[-1] if name.startswith("lines.") else name, None)
        translated = [gettext(m) for m in messages]
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + translated
        else:
            flash(" ".join(translated), "danger")


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
        form.description.data = main.title
        form.quantity.data = main.quantity
        form.unit.data = main.unit
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
            _attach_errors(form, exc)
            flash(gettext(exc.message), "danger")
        else:
            flash(gettext("The draft agreement is created. Check the terms, then propose it."), "success")
            return redirect(url_for(".show", agreement_id=agreement.id))
    return render_template("agreements/new.html", form=form, offer=offer, need=need)


def _forms_for(agreement, user, failed: tuple[str, object] | None = None) -> list[tuple[str, object]]:
    forms = []
    for action in services.allowed_actions(agreement, user):
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
        ),
        status,
    )


@bp.route("/<int:agreement_id>")
@login_required
def show(agreement_id: int):
    user = acting_user()
    return _render_show(services.get(db_session(), user, agreement_id), user)


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
        try:
            services.transition(session, user, agreement_id, action, form.payload())
        except RuleViolation as exc:
            _attach_errors(form, exc)
            flash(gettext(exc.message), "danger")
        else:
            flash(gettext("Done: %(action)s.", action=ACTION_LABELS[action]), "success")
            return redirect(url_for(".show", agreement_id=agreement_id))
    session.expire_all()
    agreement = services.get(session, user, agreement_id)
    return _render_show(agreement, user, failed=(action, form), status=422)


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
