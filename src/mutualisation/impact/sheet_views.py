"""Experience sheet pages: list and search, read (public once published), write, edit, publish,
react, versions and their diffs, drafting from an evaluated agreement. Thin doors."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required
from sqlalchemy import select

from ..accounts.permissions import allowed
from ..errors import Conflict, DomainError, RuleViolation
from ..i18n import reader_language
from ..listings.services import taxonomy
from ..pdf import pdf_response
from ..territories.models import Territory
from ..web import acting_user, db_session, page_from_args, show_form_errors, show_rule_errors_too
from . import sheets
from .forms import REACTION_LABELS, SECTION_LABELS, ActionForm, ReactionForm, SheetForm
from .models import Sheet
from .sheet_rules import SECTIONS
from .views import bp, category_label


def _setup(form: SheetForm) -> SheetForm:
    form.themes.choices = [(t.code, t.label(reader_language())) for t in sheets.themes()]
    form.category.choices = [("", gettext("No category"))] + [
        (c.code, category_label(c.code)) for c in taxonomy().categories
    ]
    return form


def _territories_with_sheets():
    return (
        db_session()
        .scalars(
            select(Territory)
            .where(Territory.id.in_(select(Sheet.territory_id).where(Sheet.status == "published")))
            .order_by(Territory.name)
        )
        .all()
    )


@bp.route("/sheets")
def sheet_list():
    """Published sheets, searchable (accents and French word forms ignored) and filtered."""
    page = page_from_args()
    args = {k: (request.args.get(k) or "").strip() or None for k in ("q", "theme", "territory", "category")}
    session = db_session()
    items, total = sheets.search_published(
        session, sheets.SheetFilters(**args), page=page.page, per_page=page.per_page
    )
    return render_template(
        "sheets/index.html",
        items=items,
        total=total,
        page=page,
        args=args,
        themes=sheets.themes(),
        categories=taxonomy().categories,
        territories=_territories_with_sheets(),
        contradictions=sheets.contradiction_count(session, [s.id for s in items]),
        drafts=sheets.drafts_for(session, acting_user()),
        can_create=allowed(acting_user(), "sheets:create"),
    )


@bp.route("/sheets/<int:sheet_id>")
def sheet_detail(sheet_id: int):
    session = db_session()
    user = acting_user()
    sheet = sheets.get(session, user, sheet_id)
    return render_template(
        "sheets/detail.html",
        sheet=sheet,
        sections=[(name, SECTION_LABELS[name], getattr(sheet, name)) for name in SECTIONS],
        results=sheets.results(session, sheet),
        contradictions=[r for r in sheet.reactions if r.kind == "contradiction"],
        others=[r for r in sheet.reactions if r.kind != "contradiction"],
        reaction_labels=REACTION_LABELS,
        can_edit=allowed(user, "sheets:edit", sheet),
        can_publish=sheet.status == "draft" and allowed(user, "sheets:publish", sheet),
        can_react=allowed(user, "sheets:react", sheet),
        reaction_form=ReactionForm(),
        action_form=ActionForm(),
    )


@bp.route("/sheets/<int:sheet_id>.pdf")
def sheet_pdf(sheet_id: int):
    """The sheet as a PDF to print or keep: the same permission as its page (public once published)."""
    session = db_session()
    sheet = sheets.get(session, acting_user(), sheet_id)
    html = render_template(
        "sheets/print.html",
        sheet=sheet,
        sections=[(name, SECTION_LABELS[name], getattr(sheet, name)) for name in SECTIONS],
        results=sheets.results(session, sheet),
    )
    return pdf_response(html, request.url_root, f"fiche-{sheet.id}.pdf")


@bp.route("/sheets/new", methods=["GET", "POST"])
@login_required
def sheet_new():
    form = _setup(SheetForm())
    if form.validate_on_submit():
        try:
            sheet = sheets.create(db_session(), acting_user(), form.content())
        except RuleViolation as exc:
            show_form_errors(form, exc, with_message=True)
        else:
            flash(gettext("Draft saved. An official of your territory publishes it."), "success")
            return redirect(url_for("impact.sheet_detail", sheet_id=sheet.id))
    elif request.method == "POST":
        show_rule_errors_too(form, sheets.rule_errors(form.content()))
    elif request.method == "GET" and not allowed(acting_user(), "sheets:create"):
        flash(gettext("Only technicians, officials and local actors write sheets."), "warning")
        return redirect(url_for("impact.sheet_list"))
    return render_template("sheets/form.html", form=form, sheet=None)


@bp.route("/sheets/<int:sheet_id>/edit", methods=["GET", "POST"])
@login_required
def sheet_edit(sheet_id: int):
    session = db_session()
    sheet = sheets.get(session, acting_user(), sheet_id)
    form = _setup(SheetForm(obj=sheet) if request.method == "GET" else SheetForm())
    if request.method == "GET":
        form.version.data = sheet.version
        form.comment.data = ""
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
            sheet = sheets.update(session, acting_user(), sheet_id, form.content(), version=version)
        except Conflict as exc:
            flash(gettext(exc.message), "danger")
        except RuleViolation as exc:
            show_form_errors(form, exc, with_message=True)
        else:
            flash(gettext("Sheet saved: version %(n)d.", n=sheet.version), "success")
            return redirect(url_for("impact.sheet_detail", sheet_id=sheet.id))
    elif request.method == "POST":
        show_rule_errors_too(form, sheets.rule_errors(form.content()))
    return render_template("sheets/form.html", form=form, sheet=sheet)


def _act(sheet_id: int, do, done: str):
    if ActionForm().validate_on_submit():
        try:
            do()
        except DomainError as exc:
            messages = [gettext(exc.message)] + [gettext(m) for ms in exc.fields.values() for m in ms]
            flash(" ".join(messages), "danger")
        else:
            flash(done, "success")
    return redirect(url_for("impact.sheet_detail", sheet_id=sheet_id))


@bp.route("/sheets/<int:sheet_id>/publish", methods=["POST"])
@login_required
def sheet_publish(sheet_id: int):
    return _act(
        sheet_id,
        lambda: sheets.publish(db_session(), acting_user(), sheet_id),
        gettext("Sheet published: the whole network can read it."),
    )


@bp.route("/sheets/<int:sheet_id>/reactions", methods=["POST"])
@login_required
def sheet_react(sheet_id: int):
    form = ReactionForm()
    if not form.validate_on_submit():
        flash(gettext("The form has expired: please send it again."), "danger")
        return redirect(url_for("impact.sheet_detail", sheet_id=sheet_id))
    try:
        sheets.react(db_session(), acting_user(), sheet_id, form.kind.data, form.body.data)
    except DomainError as exc:
        messages = [gettext(m) for ms in exc.fields.values() for m in ms] or [gettext(exc.message)]
        flash(" ".join(messages), "danger")
    else:
        flash(gettext("Thank you: your reaction is published beside the sheet."), "success")
    return redirect(url_for("impact.sheet_detail", sheet_id=sheet_id) + "#reactions")


@bp.route("/sheets/<int:sheet_id>/revisions")
def sheet_revisions(sheet_id: int):
    """Every version; `?from=&to=` shows the readable diff between two of them."""
    session = db_session()
    user = acting_user()
    sheet = sheets.get(session, user, sheet_id)
    revisions = sheets.revisions(session, user, sheet_id)
    new = request.args.get("to", type=int) or sheet.version
    old = request.args.get("from", type=int) or max(new - 1, 1)
    changes = sheets.diff(session, user, sheet_id, old, new) if old != new else []
    return render_template(
        "sheets/revisions.html",
        sheet=sheet,
        revisions=revisions,
        changes=changes,
        old=old,
        new=new,
        field_labels={**SECTION_LABELS, "title": gettext("Title"), "themes": gettext("Themes")},
    )


@bp.route("/sheets/<int:sheet_id>/revisions/<int:version>")
def sheet_revision(sheet_id: int, version: int):
    """An older version, as it was."""
    session = db_session()
    sheet = sheets.get(session, acting_user(), sheet_id)
    revision = sheets.revision(session, acting_user(), sheet_id, version)
    sections = [(name, SECTION_LABELS[name], revision.content.get(name, "")) for name in SECTIONS]
    return render_template("sheets/revision.html", sheet=sheet, revision=revision, sections=sections)


@bp.route("/sheets/from-agreement/<int:agreement_id>", methods=["POST"])
@login_required
def sheet_from_agreement(agreement_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("agreements.show", agreement_id=agreement_id))
    try:
        sheet = sheets.draft_from_agreement(db_session(), acting_user(), agreement_id)
    except RuleViolation as exc:
        flash(gettext(exc.message), "danger")
        return redirect(url_for("agreements.show", agreement_id=agreement_id))
    flash(
        gettext(
            "A draft sheet was prefilled from the agreement: complete it, then ask an official to publish it."
        ),
        "success",
    )
    return redirect(url_for("impact.sheet_edit", sheet_id=sheet.id))
