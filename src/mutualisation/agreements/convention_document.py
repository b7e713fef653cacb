"""The convention document: facts read from the stored agreement, the model from `config/`, and
the HTML (on screen) and PDF (WeasyPrint, `pdf.render_pdf`) made from them.

`agreements/convention.py` holds the rules (articles, numbering, French wording); this module is
the door between them and the stored rows and templates. The PDF issued for signature is stored
(`signing.py`), so its SHA-256 is the one of the exact bytes served; the frozen PDF prints that
fingerprint.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template, request

from ..accounts.models import User
from ..paths import resource_dir
from ..pdf import render_pdf
from .convention import (
    WORDING,
    Convention,
    build_convention,
    french_amount,
    french_date,
    lines_text,
    model_for,
    signature_line,
)
from .models import Agreement, Approval

PARIS = ZoneInfo("Europe/Paris")

_CONDITIONS_FR = {
    "free": "gratuit",
    "loan": "gratuit, au titre d'un prêt",
    "exchange": "gracieux, en contrepartie d'un échange de biens ou de services",
    "cost_sharing": "onéreux, par partage des coûts",
}
_LOGISTICS_DEFAULT = "selon les modalités convenues entre les parties"
_LOGISTICS_FR = {
    "pickup": "sur place, l'enlèvement et le retour étant assurés par le bénéficiaire",
    "delivery": "par livraison assurée par le fournisseur",
    "both": "par enlèvement ou par livraison, selon l'accord des parties",
}


def load_model(name: str) -> dict[str, Any]:
    """A convention model, read at each use so that the facilitator's edits apply at once."""
    with (resource_dir("config") / "conventions" / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _approval_of(agreement: Agreement, side: str) -> Approval | None:
    territory_id = agreement.territory_id_of(side)
    return next(
        (
            a
            for a in agreement.current_approvals()
            if a.decision == "approve" and a.territory_id == territory_id
        ),
        None,
    )


def _person(user: User | None, default_capacity: str) -> dict[str, str]:
    if user is None:
        return {"name": "…", "capacity": default_capacity}
    return {"name": user.display_name, "capacity": user.job_title or default_capacity}


def party_facts(agreement: Agreement, side: str) -> dict[str, Any]:
    """Who a party is, who represents it, and the decision that authorises them."""
    territory, actor = agreement.territory_of(side), agreement.actor_of(side)
    if actor is not None:
        name = actor.organisation or actor.display_name
        return {
            "name": f"{name} ({territory.name})",
            "territory": territory.name,
            "representative": _person(actor, ""),
            "decision": None,
        }
    approval = _approval_of(agreement, side)
    decision = None
    if approval is not None and approval.decision_kind:
        decision = {
            "kind": approval.decision_kind,
            "reference": approval.decision_reference,
            "date": approval.decision_date,
        }
    return {
        "name": f"La commune de {territory.name}",
        "territory": territory.name,
        "representative": _person(approval.official if approval else None, "maire"),
        "decision": decision,
    }


def _signed_on(agreement: Agreement) -> dt.date | None:
    signatures = agreement.current_signatures()
    if agreement.convention_sha256 is None or not signatures:
        return None
    return max(s.at for s in signatures).astimezone(PARIS).date()


def facts_of(agreement: Agreement) -> dict[str, Any]:
    """The plain values the model's texts are filled with (see `convention.build_convention`)."""
    terms = agreement.terms_at(agreement.approved_terms_version) or agreement.current_terms()
    assert terms is not None
    return {
        "number": agreement.id,
        "amendment": agreement.amendment,
        "title": agreement.title,
        "provider": party_facts(agreement, "provider"),
        "beneficiary": party_facts(agreement, "beneficiary"),
        "lines": lines_text(terms.lines or []),
        "starts_on": french_date(terms.starts_on),
        "ends_on": french_date(terms.ends_on),
        "has_deposit": bool(terms.deposit_eur),
        "deposit": french_amount(terms.deposit_eur),
        "conditions": _CONDITIONS_FR.get(terms.conditions or "", "gratuit"),
        "logistics": _LOGISTICS_FR.get(terms.logistics or "", _LOGISTICS_DEFAULT),
        "insurance_required": terms.insurance_required,
        "place": agreement.provider_territory.name,
        "signed_on": _signed_on(agreement),
    }


def convention_of(agreement: Agreement) -> Convention:
    listing = agreement.listing
    model = load_model(model_for(agreement.kind, bool(listing and listing.recurring)))
    return build_convention(model, facts_of(agreement))


def signature_lines(agreement: Agreement) -> dict[str, str]:
    """The recorded signatures as printed, once the convention is frozen (side -> line)."""
    if agreement.convention_sha256 is None:
        return {}
    return {
        s.side: signature_line(
            s.method,
            s.user.display_name if s.user else "…",
            s.at.astimezone(PARIS).date(),
            s.pdf_sha256,
        )
        for s in agreement.current_signatures()
    }


def context(agreement: Agreement) -> dict[str, Any]:
    """What the convention's body template needs, on screen and in the PDF."""
    return {
        "agreement": agreement,
        "doc": convention_of(agreement),
        "wording": WORDING,
        "signature_lines": signature_lines(agreement),
    }


def render_html(agreement: Agreement) -> str:
    """The standalone document that WeasyPrint lays out (French legal text, print stylesheet)."""
    return render_template("agreements/convention_document.html", **context(agreement))


def render(agreement: Agreement) -> bytes:
    """The convention's PDF (the fingerprint is printed once the convention is frozen)."""
    return render_pdf(render_html(agreement), request.url_root)
