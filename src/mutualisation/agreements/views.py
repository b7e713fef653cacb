"""Agreement pages: lists, the approval queue, creation from a listing, the agreement page with
its action forms, and the printable convention. Thin: parse, call one service, render."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy.orm.exc import StaleDataError

from ..db import utcnow
from ..errors import Conflict, InvalidTransition, PermissionDenied, RuleViolation
from ..listings.bookings import BookingConflict
from ..listings.permissions import get_visible_listing
from ..page_cache import cached_page
from ..settings import settings_of
from ..storage import Storage, storage_for
from ..ui import DashboardPanel, NavItem
from ..web import acting_user, db_session, page_from_args, show_form_errors
from . import confirmations, convention_document, drafts, photos, queries, services, signing
from .api import pdf_answer
from .forms import ACTION_FORMS, CreateForm, TermsForm
from .labels import (
    ACTION_LABELS,
    DECISION_KIND_LABELS,
    DESTRUCTIVE_ACTIONS,
    EVENT_LABELS,
    FIELD_LABELS,
    KIND_LABELS,
    SIDE_LABELS,
    SIGNATURE_METHOD_LABELS,
    STATUS_LABELS,
)
from .state import allowed_actions, awaited_parties, side_of_user
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
        "decision_kind_labels": DECISION_KIND_LABELS,
        "signature_method_labels": SIGNATURE_METHOD_LABELS,
        "iso_date": _iso_date,
        "agreement_destructive_actions": DESTRUCTIVE_ACTIONS,
    }


def _iso_date(value):
    """A date the history keeps as ISO text (JSON), back to a date for the `day` filter."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return None


@bp.route("")
@login_required
@cached_page
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


def _prefill(form: CreateForm, offer, need) -> None:
    """The same first terms the service would write: both listings' window, quantity and needs."""
    form.fill_terms(drafts.initial_terms(offer, need, utcnow()))


def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None


def _prefill_picked_dates(form: CreateForm, offer) -> None:
    """Dates picked on a bookable offer's calendar (listings/calendar.html): one unit, those days."""
    starts_on, ends_on = _date_arg("starts_on"), _date_arg("ends_on")
    if starts_on is not None:
        form.starts_on.data = starts_on
        form.ends_on.data = ends_on if ends_on is not None and ends_on >= starts_on else starts_on
    if offer is not None and offer.bookable_units is not None:
        form.fill_lines([{"description": offer.title, "quantity": 1, "unit": offer.unit}])


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    offer, need = _listing_arg("offer_id"), _listing_arg("need_id")
    if offer is None and need is None:
        abort(404)
    form = CreateForm()
    if request.method == "GET":
        _prefill(form, offer, need)
        _prefill_picked_dates(form, offer)
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
            show_form_errors(form, exc, field_for=_field_for, with_message=True)
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
        if action == "sign":
            # The signer's page carries the hash of the PDF they can read: signing checks it.
            form.document_sha256.data = _convention_file(agreement.id, user).sha256
        forms.append((action, form))
    return forms


def _convention_file(agreement_id: int, user) -> signing.ConventionFile:
    return signing.convention_file(
        db_session(), user, agreement_id, convention_document.render, _upload_root()
    )


def _edit_form(agreement, user, failed=None):
    """The draft's own terms form, for its author side only, until it is proposed."""
    if failed is not None:
        return failed
    if agreement.status != Status.DRAFT or side_of_user(agreement, user) != agreement.author_side:
        return None
    form = TermsForm(prefix="edit", formdata=None)
    form.version.data = str(agreement.terms_version)
    form.fill(agreement.current_terms())
    return form


def _render_show(agreement, user, failed=None, status=200, edit_failed=None):
    session = db_session()
    events = confirmations.timeline(queries.history(session, user, agreement.id))
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
            edit_form=_edit_form(agreement, user, edit_failed),
            my_side=side_of_user(agreement, user),
            awaited=awaited_parties(agreement),
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


def _max_pdf_bytes() -> int:
    return settings_of(current_app).agreements.max_pdf_bytes


def _read_pdf(upload) -> bytes | None:
    """The uploaded file's bytes, one past the limit at most (enough to refuse it)."""
    return None if upload is None else upload.stream.read(_max_pdf_bytes() + 1)


def _perform(session, user, agreement_id: int, action: str, form, report_photos) -> None:
    """One action through its use case: signing and approving carry their documents."""
    if action == "sign":
        request_ = signing.SignRequest(form.payload(), _read_pdf(form.upload()), _max_pdf_bytes())
        signing.sign(
            session, user, agreement_id, request_, render=convention_document.render, storage=_upload_root()
        )
    elif action == "approve":
        signing.approve(
            session,
            user,
            agreement_id,
            form.payload(),
            document=_read_pdf(form.upload()),
            storage=_upload_root(),
            max_bytes=_max_pdf_bytes(),
        )
    else:
        services.transition(
            session,
            user,
            agreement_id,
            action,
            form.payload(),
            report_photos=report_photos,
            upload_root=_upload_root(),
        )


def _max_photo_bytes() -> int:
    return settings_of(current_app).agreements.max_photo_bytes


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


def _conflict_message(exc: Exception) -> str:
    """A booking conflict names its dates; a stale version shows the current terms instead of an error."""
    if isinstance(exc, BookingConflict):
        return exc.message
    return gettext(
        "The terms have changed since you read them. Here is the current version: "
        "please check it before acting again."
    )


def _needs_confirmation(agreement, action: str, form) -> bool:
    """A handover before the start or a return after the end waits for the box to be ticked."""
    if not hasattr(form, "confirm") or form.confirm.data:
        return False
    warning = confirmations.warning_for(agreement, action)
    if warning is None:
        return False
    form.confirm.errors = [warning]
    flash(warning, "warning")
    return True


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
    if form.validate_on_submit() and not _needs_confirmation(agreement, action, form):
        report_photos = _checked_photos(form)
        try:
            if report_photos is None:
                raise RuleViolation("Please correct the highlighted fields.")
            _perform(session, user, agreement_id, action, form, report_photos)
        except (Conflict, StaleDataError) as exc:
            # The terms changed under the user, or the offer's units are taken on some days.
            session.rollback()
            flash(_conflict_message(exc), "warning")
            return redirect(url_for(".show", agreement_id=agreement_id))
        except (RuleViolation, InvalidTransition) as exc:
            session.rollback()
            show_form_errors(form, exc, field_for=_field_for, with_message=True)
        else:
            flash(confirmations.done_message(agreement, user, action), "success")
            return redirect(url_for(".show", agreement_id=agreement_id))
    if form.version.errors:  # a hidden field shows no message of its own: say it above the forms
        flash(str(form.version.errors[0]), "danger")
    session.expire_all()
    agreement = queries.get(session, user, agreement_id)
    return _render_show(agreement, user, failed=(action, form), status=422)


@bp.route("/<int:agreement_id>/edit", methods=["POST"])
@login_required
def edit(agreement_id: int):
    """Save the draft's terms (its author side), then show the draft again, ready to propose."""
    user, session = acting_user(), db_session()
    queries.get(session, user, agreement_id)
    form = TermsForm(prefix="edit")
    if form.validate_on_submit():
        try:
            drafts.edit_draft(
                session,
                user,
                agreement_id,
                version=form.payload().get("version", -1),
                terms=form.terms(),
                comment=form.comment.data,
            )
        except (Conflict, StaleDataError):
            session.rollback()
            flash(gettext("The draft has changed since you read it. Here is the current version."), "warning")
            return redirect(url_for(".show", agreement_id=agreement_id))
        except (RuleViolation, InvalidTransition, PermissionDenied) as exc:
            session.rollback()
            show_form_errors(form, exc, field_for=_field_for)
            flash(gettext(exc.message), "danger")
        else:
            flash(gettext("Draft saved. Propose it when the terms are right."), "success")
            return redirect(url_for(".show", agreement_id=agreement_id))
    session.expire_all()
    agreement = queries.get(session, user, agreement_id)
    return _render_show(agreement, user, status=422, edit_failed=form)


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
    """The convention on screen: the same legal body as the PDF, with the page's labels around it."""
    agreement = queries.get(db_session(), acting_user(), agreement_id)
    if agreement.convention_generated_at is None:
        abort(404)
    return render_template("agreements/convention.html", **convention_document.context(agreement))


@bp.route("/<int:agreement_id>/convention.pdf")
@login_required
def convention_pdf(agreement_id: int):
    return pdf_answer(_convention_file(agreement_id, acting_user()), agreement_id)


@bp.route("/<int:agreement_id>/documents/<any(approval, signature):kind>/<int:item_id>.pdf")
@login_required
def stored_pdf(agreement_id: int, kind: str, item_id: int):
    """A decision act attached to an approval, or the PDF a party signed (readers only)."""
    data = signing.stored_pdf(db_session(), acting_user(), agreement_id, kind, item_id, _upload_root())
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Cache-Control"] = "private, no-cache"
    return response
