"""The agreements JSON API: thin doors over services (`/api/v1/agreements`)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from flask_smorest import Blueprint

from ..storage import storage_for
from ..web import Page, api_user, db_session, paginated
from . import convention_document, drafts, queries, services, signing
from .lifecycle_state import awaited
from .models import Agreement
from .schemas import (
    AgreementCreateSchema,
    AgreementHistoryPageSchema,
    AgreementPageSchema,
    AgreementPatchSchema,
    AgreementQuerySchema,
    AgreementSchema,
    AgreementTransitionSchema,
)
from .state import allowed_actions, state_of

blp = Blueprint(
    "agreements_api",
    __name__,
    url_prefix="/api/v1/agreements",
    description="Agreements (conventions de mutualisation) and their lifecycle",
)


def _user_ref(user) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "name": user.display_name}


def parties(agreement: Agreement) -> list[dict[str, Any]]:
    result = []
    for side in ("provider", "beneficiary"):
        territory, actor = agreement.territory_of(side), agreement.actor_of(side)
        result.append(
            {
                "side": side,
                "kind": "actor" if actor is not None else "territory",
                "territory": {"code": territory.code, "name": territory.name},
                "actor": _user_ref(actor),
            }
        )
    return result


def summary(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "title": agreement.title,
        "status": agreement.status,
        "kind": agreement.kind,
        "terms_version": agreement.terms_version,
        "parties": parties(agreement),
        "updated_at": agreement.updated_at,
    }


def _document_url(agreement: Agreement, kind: str, item_id: int, key: str | None) -> str | None:
    """Where a stored decision act or signed PDF is read (the page's door), if there is one."""
    if not key:
        return None
    return url_for("agreements.stored_pdf", agreement_id=agreement.id, kind=kind, item_id=item_id)


def _approval(agreement: Agreement, a) -> dict[str, Any]:
    return {
        "territory": a.territory.code,
        "decision": a.decision,
        "official": _user_ref(a.official),
        "reason": a.reason,
        "decision_reference": a.decision_reference,
        "decision_kind": a.decision_kind,
        "decision_date": a.decision_date,
        "decision_document_url": _document_url(agreement, "approval", a.id, a.decision_document_key),
        "terms_version": a.terms_version,
        "amendment": a.amendment,
        "at": a.at,
    }


def _signature(agreement: Agreement, s) -> dict[str, Any]:
    return {
        "side": s.side,
        "user": _user_ref(s.user),
        "at": s.at,
        "method": s.method,
        "pdf_sha256": s.pdf_sha256,
        "convention_sha256": s.convention_sha256,
        "document_url": _document_url(agreement, "signature", s.id, s.document_key),
        "amendment": s.amendment,
    }


def _awaiting(agreement: Agreement) -> dict[str, list[str]]:
    """Whom the agreement waits for, as the page names them: territories' INSEE codes, and sides."""
    found = awaited(state_of(agreement))
    return {
        "approvals": list(found.approvals),
        "signatures": [str(side) for side in found.signatures],
        "evaluations": [str(side) for side in found.evaluations],
    }


def detail(agreement: Agreement, user) -> dict[str, Any]:
    terms = agreement.current_terms()
    ready = agreement.convention_generated_at is not None
    return {
        **summary(agreement),
        "author_side": agreement.author_side,
        "offer_id": agreement.offer_id,
        "need_id": agreement.need_id,
        "terms": terms.as_dict() if terms else None,
        "approvals": [_approval(agreement, a) for a in agreement.approvals],
        "signatures": [_signature(agreement, s) for s in agreement.signatures],
        "evaluations": agreement.evaluations,
        "extended_ends_on": agreement.extended_ends_on,
        "allowed_actions": allowed_actions(agreement, user),
        "awaiting": _awaiting(agreement),
        "convention_url": url_for("agreements.convention", agreement_id=agreement.id) if ready else None,
        "convention_pdf_url": url_for(".convention_pdf", agreement_id=agreement.id) if ready else None,
        "convention_document_sha256": agreement.convention_pdf_sha256,
        "convention_sha256": agreement.convention_sha256,
        "amendment": agreement.amendment,
        "created_at": agreement.created_at,
    }


@blp.route("")
@blp.arguments(AgreementQuerySchema, location="query")
@blp.response(200, AgreementPageSchema)
@blp.alt_response(401, description="Not authenticated", schema="Error")
def list_agreements(args):
    """The agreements the caller may read (parties and admins), most recently changed first."""
    user = api_user()
    page = Page(args["page"], args["per_page"])
    statuses = [args["status"]] if args.get("status") else None
    items, total = queries.list_for(
        db_session(), user, statuses=statuses, limit=page.per_page, offset=page.offset
    )
    return paginated([summary(a) for a in items], page, total)


@blp.route("", methods=["POST"])
@blp.arguments(AgreementCreateSchema)
@blp.response(201, AgreementSchema)
@blp.alt_response(
    200, description="The caller's party already had this draft open: the same draft", schema=AgreementSchema
)
@blp.alt_response(403, description="Not allowed", schema="Error")
@blp.alt_response(
    404, description="Unknown offer or need (or a draft the caller may not see)", schema="Error"
)
@blp.alt_response(422, description="Invalid offer, need or terms", schema="Error")
def create_agreement(data):
    """Create a draft from an offer and/or a need; the caller's party is its author.

    Idempotent: while the caller's party has an open draft for the same offer/need pair, posting
    again answers that draft with 200 instead of creating a second one (a retry is safe).
    """
    user = api_user()
    draft = services.create_draft(
        db_session(),
        user,
        offer_id=data.get("offer_id"),
        need_id=data.get("need_id"),
        terms=data.get("terms"),
    )
    return detail(draft.agreement, user), 201 if draft.created else 200


@blp.route("/<int:agreement_id>")
@blp.response(200, AgreementSchema)
@blp.alt_response(403, description="Not a party", schema="Error")
@blp.alt_response(404, description="Unknown agreement", schema="Error")
def get_agreement(agreement_id: int):
    """One agreement, with the actions the caller may take now."""
    user = api_user()
    return detail(queries.get(db_session(), user, agreement_id), user)


@blp.route("/<int:agreement_id>", methods=["PATCH"])
@blp.arguments(AgreementPatchSchema)
@blp.response(200, AgreementSchema)
@blp.alt_response(403, description="Not the draft's author side", schema="Error")
@blp.alt_response(409, description="Stale terms version, or no longer a draft", schema="Error")
@blp.alt_response(422, description="Invalid terms", schema="Error")
def edit_draft(data, agreement_id: int):
    """Edit a draft's terms before proposing it (its author side only); a new terms version is kept."""
    user = api_user()
    agreement = drafts.edit_draft(
        db_session(),
        user,
        agreement_id,
        version=data["version"],
        terms=data["terms"],
        comment=data.get("comment"),
    )
    return detail(agreement, user)


@blp.route("/<int:agreement_id>/transitions", methods=["POST"])
@blp.arguments(AgreementTransitionSchema)
@blp.response(200, AgreementSchema)
@blp.alt_response(403, description="Not allowed for this caller", schema="Error")
@blp.alt_response(409, description="invalid_transition, or conflict (stale terms version)", schema="Error")
@blp.alt_response(422, description="Missing or invalid fields", schema="Error")
def transition(data, agreement_id: int):
    """Perform one lifecycle action. `version` is the terms version the caller saw (stale → 409)."""
    user = api_user()
    action = data.pop("action")
    if action == "sign":
        agreement = signing.sign(
            db_session(),
            user,
            agreement_id,
            signing.SignRequest(data),
            render=convention_document.render,
            storage=storage_for(current_app),
        )
    else:
        agreement = services.transition(db_session(), user, agreement_id, action, data)
    return detail(agreement, user)


@blp.route("/<int:agreement_id>/convention.pdf")
@blp.alt_response(200, description="The convention as a PDF (application/pdf)")
@blp.alt_response(403, description="Not a party", schema="Error")
@blp.alt_response(404, description="Unknown agreement, or not approved yet", schema="Error")
def convention_pdf(agreement_id: int):
    """The convention PDF, for the parties and admins: the exact bytes issued for signature, then,
    once both parties have signed, the frozen convention with its SHA-256 fingerprint printed."""
    found = signing.convention_file(
        db_session(), api_user(), agreement_id, convention_document.render, storage_for(current_app)
    )
    return pdf_answer(found, agreement_id)


def pdf_answer(found: signing.ConventionFile, agreement_id: int) -> Response:
    response = Response(found.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="convention-{agreement_id}.pdf"'
    response.headers["Cache-Control"] = "private, no-cache"
    # The fingerprint of the issued document (to sign), or of the signed one once frozen.
    response.headers["X-Convention-SHA256"] = found.sha256
    return response


@blp.route("/<int:agreement_id>/history")
@blp.response(200, AgreementHistoryPageSchema)
@blp.alt_response(403, description="Not a party", schema="Error")
def agreement_history(agreement_id: int):
    """The append-only history: who, role, when, from, to, terms version, comment."""
    events = queries.history(db_session(), api_user(), agreement_id)
    return {"items": events}
