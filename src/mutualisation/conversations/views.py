"""Conversation pages: one's conversations, a thread, asking about a listing, and the agreement
page's thread (shown by the agreement page through the `agreement_thread` template global, so that
agreements never import conversations). Thin: parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ..errors import RuleViolation, ValidationFailed
from ..listings.permissions import get_visible_listing
from ..ui import BESIDE_BELL, ENVELOPE_ICON, NavItem
from ..web import acting_user, db_session, page_from_args, show_form_errors
from . import participants, services
from .forms import MessageForm

bp = Blueprint("conversations", __name__)

# Declared by conversations/domain.py; create_app adds it to the shared layout.
NAV_ITEMS = (NavItem("conversations.index", _l("Messages"), order=35, menu=BESIDE_BELL, icon=ENVELOPE_ICON),)


@bp.app_context_processor
def _globals():
    return {
        "agreement_thread": _agreement_thread,
        "can_ask_about": _can_ask_about,
        "message_form": MessageForm,
    }


def _agreement_thread(agreement) -> services.Thread | None:
    user = acting_user()
    if user is None:
        return None
    return services.agreement_thread(db_session(), user, agreement.id)


def _can_ask_about(listing) -> bool:
    user = acting_user()
    return user is not None and participants.may_ask(user, listing)


@bp.route("/conversations")
@login_required
def index():
    page = page_from_args()
    items, total = services.conversations_for(
        db_session(), acting_user(), limit=page.per_page, offset=page.offset
    )
    return render_template("conversations/index.html", items=items, page=page, total=total)


@bp.route("/conversations/<int:conversation_id>", methods=["GET", "POST"])
@login_required
def show(conversation_id: int):
    user, session = acting_user(), db_session()
    conversation = services.get(session, user, conversation_id)
    if conversation.agreement_id is not None:  # an agreement's thread lives on its page
        return redirect(
            url_for("agreements.show", agreement_id=conversation.agreement_id, _anchor="messages")
        )
    form = MessageForm()
    if form.validate_on_submit() and _sent(form, services.reply, conversation_id):
        return redirect(url_for(".show", conversation_id=conversation_id, _anchor="messages"))
    return render_template(
        "conversations/show.html",
        thread=services.thread(conversation, conversation.title),
        form=form,
        listing=conversation.listing,
        action=url_for(".show", conversation_id=conversation_id),
        can_write=participants.can_write(user, conversation),
    )


@bp.route("/listings/<int:listing_id>/ask", methods=["GET", "POST"])
@login_required
def ask(listing_id: int):
    """'Ask a question': the caller's conversation with the listing's territory."""
    form = MessageForm()
    if form.validate_on_submit() and _sent(form, services.ask_about_listing, listing_id):
        return redirect(url_for(".ask", listing_id=listing_id, _anchor="messages"))
    # Read once, after any refused message (its rollback leaves nothing stale to read again).
    thread = services.listing_thread(db_session(), acting_user(), listing_id)
    return render_template(
        "conversations/show.html",
        thread=thread,
        form=form,
        listing=thread.conversation.listing if thread.conversation else _listing(listing_id),
        action=url_for(".ask", listing_id=listing_id),
        can_write=True,
    )


def _listing(listing_id: int):
    return get_visible_listing(db_session(), acting_user(), listing_id)


@bp.route("/agreements/<int:agreement_id>/messages", methods=["POST"])
@login_required
def agreement_message(agreement_id: int):
    form = MessageForm()
    if form.validate_on_submit():
        _sent(form, services.post_about_agreement, agreement_id)
    else:
        flash(gettext("Write a message."), "danger")
    return redirect(url_for("agreements.show", agreement_id=agreement_id, _anchor="messages"))


def _sent(form: MessageForm, post, target_id: int) -> bool:
    """Post the form's message; on a refusal, keep the text and say why."""
    try:
        post(db_session(), acting_user(), target_id, form.body.data)
    except (ValidationFailed, RuleViolation) as exc:
        db_session().rollback()
        show_form_errors(form, exc)
        flash(gettext(exc.message), "danger")
        return False
    flash(gettext("Message sent. The other side is notified."), "success")
    return True
