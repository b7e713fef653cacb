"""Storing a lifecycle decision's effects: one small handler per effect, looked up in `HANDLERS`.

`lifecycle.decide` says what follows an action as plain values (`outcomes`); each handler here
writes one of them inside the use case's transaction: a row (terms, approval, signature, report,
evaluation), a change to the agreement or its listings, or the notices it calls for. `data`
collects what the history row of the step should show.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from ..accounts.models import User
from ..i18n import N_
from ..listings.models import CONDITIONS, LOGISTICS
from ..paths import resource_dir
from . import listing_effects, notices
from . import outcomes as o
from .evaluation import Evaluation as ImpactEvaluation
from .evaluation import ImpactFactors, co2e_avoided, load_factors
from .models import Agreement, AgreementTerms, Approval, Evaluation, Report, Signature
from .state import territory_id_for_code
from .terms import normalise_terms, terms_base
from .vocabulary import ApprovalDecision, Status


@dataclass(frozen=True)
class SignedDocument:
    """What a signer signed: the SHA-256 of the exact PDF, where it is kept, and the issued
    convention it refers to (the same document for a signature in the app, not for a scan)."""

    pdf_sha256: str
    document_key: str | None
    convention_sha256: str


@dataclass
class Applying:
    """One decision being stored: where, by whom, when, and what the history row will show."""

    session: Session
    agreement: Agreement
    user: User | None
    decision: o.Decision
    now: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)
    # Set by the signing use case (agreements/signing.py) for a `sign` action.
    signed: SignedDocument | None = None
    # The storage key of the act attached to an approval (a PDF), if any.
    decision_document_key: str | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    def tell_side(self, side: str, kind: str, subject: str, body: str) -> None:
        users = notices.party_users(self.session, self.agreement, side)
        notices.tell(self.session, users, self.agreement, kind, subject, body)


def clean_terms(raw: Mapping[str, Any] | None, base: Mapping[str, Any]) -> dict[str, Any]:
    """`terms.normalise_terms` with the listings' vocabularies, which terms share."""
    return normalise_terms(raw, base, logistics=LOGISTICS, conditions=CONDITIONS)


def current_terms_base(agreement: Agreement) -> dict[str, Any]:
    current = agreement.current_terms()
    return terms_base(current.as_dict() if current is not None else None)


@cache
def impact_factors() -> ImpactFactors:
    with (resource_dir("config") / "impact_factors.toml").open("rb") as fh:
        return load_factors(tomllib.load(fh))


def apply(step: Applying, effect: o.Effect) -> None:
    handler = HANDLERS.get(type(effect))
    if handler is None:  # pragma: no cover - a new effect must get its handler
        raise AssertionError(f"unhandled effect {effect!r}")
    handler(step, effect)


def _terms_version(step: Applying, effect: o.TermsVersionCreated) -> None:
    agreement, side = step.agreement, str(effect.proposer_side)
    clean = clean_terms(effect.terms, current_terms_base(agreement))
    step.session.add(
        AgreementTerms(
            agreement_id=agreement.id,
            version=effect.version,
            proposed_by_side=side,
            created_by_id=step.user_id,
            created_at=step.now,
            **clean,
        )
    )
    agreement.terms_version = effect.version
    agreement.last_proposer_side = side
    agreement.kind = clean["kind"]
    step.session.flush()
    step.session.expire(agreement, ["terms"])
    step.tell_side(
        str(effect.proposer_side.other),
        "agreement.proposal_received",
        N_("New terms proposed: %(title)s"),
        N_('The other party proposed terms for the agreement "%(title)s". Please answer them.'),
    )


def _listings(change: str) -> Callable[[Applying, o.Effect], None]:
    """Reserve, release or fulfil the agreement's listings (through the listings' own services)."""

    def handle(step: Applying, _effect: o.Effect) -> None:
        agreement = step.agreement
        listing_effects.apply(
            step.session, step.user_id, [agreement.offer, agreement.need], change, agreement.id
        )

    return handle


def _approvals_requested(step: Applying, effect: o.ApprovalsRequested) -> None:
    for code in sorted(effect.territory_codes):
        notices.tell(
            step.session,
            notices.officials(step.session, territory_id_for_code(step.agreement, code)),
            step.agreement,
            "agreement.approval_requested",
            N_("Approval requested: %(title)s"),
            N_('Both parties agreed on the terms of "%(title)s". Your approval is awaited.'),
        )


def _add_approval(step: Applying, code: str, decision: ApprovalDecision, **values: Any) -> None:
    step.session.add(
        Approval(
            agreement_id=step.agreement.id,
            territory_id=territory_id_for_code(step.agreement, code),
            decision=decision,
            official_id=step.user_id,
            terms_version=step.agreement.terms_version,
            amendment=step.agreement.amendment,
            at=step.now,
            **values,
        )
    )


def _approval(step: Applying, effect: o.ApprovalRecorded) -> None:
    ref, act = effect.decision_reference, effect.act
    _add_approval(
        step,
        effect.territory_code,
        ApprovalDecision.APPROVE,
        decision_reference=ref,
        decision_kind=act.kind,
        decision_date=act.date,
        decision_document_key=step.decision_document_key,
    )
    step.data.update(
        territory=effect.territory_code,
        decision_reference=ref,
        decision_kind=act.kind,
        decision_date=act.date.isoformat() if act.date else None,
    )


def _refusal(step: Applying, effect: o.RefusalRecorded) -> None:
    code, reason, ref = effect.territory_code, effect.reason, effect.decision_reference
    _add_approval(
        step,
        code,
        ApprovalDecision.REFUSE,
        reason=reason,
        decision_reference=ref,
        decision_kind=effect.act.kind,
        decision_date=effect.act.date,
    )
    step.data.update(territory=code, reason=reason, decision_reference=ref)
    notices.tell_parties(
        step.session,
        step.agreement,
        "agreement.refused",
        N_("Agreement refused: %(title)s"),
        N_('An elected official refused the agreement "%(title)s".'),
    )


def _convention(step: Applying, _effect: o.ConventionDocumentRequested) -> None:
    step.agreement.approved_terms_version = step.agreement.terms_version
    step.agreement.convention_generated_at = step.now
    notices.tell_parties(
        step.session,
        step.agreement,
        "agreement.approved",
        N_("Agreement approved: %(title)s"),
        N_('The agreement "%(title)s" is approved. Its document is ready to print and sign.'),
    )


def _signature(step: Applying, effect: o.SignatureRecorded) -> None:
    agreement, signed = step.agreement, step.signed
    step.session.add(
        Signature(
            agreement_id=agreement.id,
            side=str(effect.side),
            user_id=step.user_id,
            at=step.now,
            method=effect.method,
            pdf_sha256=signed.pdf_sha256 if signed else None,
            document_key=signed.document_key if signed else None,
            convention_sha256=signed.convention_sha256 if signed else None,
            amendment=agreement.amendment,
        )
    )
    step.data.update(method=effect.method, pdf_sha256=signed.pdf_sha256 if signed else None)
    if step.decision.target_status == Status.SIGNED:
        # Both parties signed: the convention is frozen, and its fingerprint is the one of the
        # PDF issued for signature (the bytes each in-app signer checked).
        agreement.convention_sha256 = agreement.convention_pdf_sha256
        agreement.convention_frozen_at = step.now
        step.data.update(convention_sha256=agreement.convention_sha256)
        notices.tell_parties(
            step.session,
            step.agreement,
            "agreement.signed",
            N_("Agreement signed: %(title)s"),
            N_('Both parties signed the agreement "%(title)s".'),
        )


def _amendment(step: Applying, _effect: o.AmendmentStarted) -> None:
    """A new round of approvals and signatures; the previous one stays, with its fingerprint."""
    agreement = step.agreement
    step.data.update(previous_convention_sha256=agreement.convention_sha256)
    agreement.amendment += 1
    agreement.convention_generated_at = None
    agreement.convention_pdf_key = None
    agreement.convention_pdf_sha256 = None
    agreement.convention_sha256 = None
    agreement.convention_frozen_at = None
    step.data.update(amendment=agreement.amendment)


def _report(step: Applying, effect: o.ReportRecorded) -> None:
    side = step.decision.acting_side
    text = (effect.text or "").strip() or None
    step.session.add(
        Report(
            agreement_id=step.agreement.id,
            kind=effect.kind,
            side=str(side) if side else None,
            user_id=step.user_id,
            text=text,
            at=step.now,
        )
    )
    step.data.update(report=text)


def _mediation(step: Applying, _effect: o.MediationRequested) -> None:
    session, agreement = step.session, step.agreement
    notices.tell(
        session,
        notices.admins(session) + notices.both_parties(session, agreement),
        agreement,
        "agreement.incident",
        N_("Incident reported: %(title)s"),
        N_('An incident was reported on the agreement "%(title)s".'),
        skip=step.user,
    )


def _extension_requested(step: Applying, effect: o.ExtensionRequested) -> None:
    agreement = step.agreement
    agreement.extension_requested_by = str(effect.side)
    agreement.extension_ends_on = effect.ends_on
    agreement.extension_beyond_approval = effect.beyond_approval
    step.data.update(ends_on=effect.ends_on, beyond_approval=effect.beyond_approval)
    step.tell_side(
        str(effect.side.other),
        "agreement.extension_requested",
        N_("Extension requested: %(title)s"),
        N_('The other party asks to extend the agreement "%(title)s".'),
    )


def _extension_decided(step: Applying, effect: o.ExtensionDecided) -> None:
    agreement = step.agreement
    if effect.approved:
        agreement.extended_ends_on = agreement.extension_ends_on
    step.data.update(approved=effect.approved, ends_on=agreement.extension_ends_on)
    agreement.extension_requested_by = None
    agreement.extension_ends_on = None
    agreement.extension_beyond_approval = False


def _evaluation(step: Applying, effect: o.EvaluationRecorded) -> None:
    agreement, fields = step.agreement, effect.fields
    listing = agreement.listing
    impact = co2e_avoided(
        ImpactEvaluation.from_fields(
            agreement.kind,
            listing.category if listing else None,
            listing.subcategory if listing else None,
            fields,
        ),
        impact_factors(),
    )
    step.session.add(
        Evaluation(
            agreement_id=agreement.id,
            side=str(effect.side),
            user_id=step.user_id,
            satisfaction=fields["satisfaction"],
            money_saved_eur=impact.money_saved_eur,
            kg_diverted=fields.get("kg_diverted"),
            km_travelled=fields.get("km_travelled"),
            vehicle=fields.get("vehicle"),
            lessons_learned=(fields.get("lessons_learned") or "").strip() or None,
            co2e_method=fields.get("co2e_method") or "avoided_purchase",
            lifetime_share=fields.get("lifetime_share"),
            co2e_avoided_kg=impact.avoided_kg,
            co2e_transport_kg=impact.transport_kg,
            co2e_net_kg=impact.net_kg,
            method_fr=impact.method_fr,
            method_en=impact.method_en,
            at=step.now,
        )
    )
    step.data.update(co2e_net_kg=round(impact.net_kg, 3))


def _reason(step: Applying, effect: o.ReasonGiven) -> None:
    step.data.update(reason=effect.reason)


def _passed_through(_step: Applying, _effect: o.PassedThrough) -> None:
    """Nothing to store: the history writes the intermediate step (see `services._record_steps`)."""


HANDLERS: Mapping[type[o.Effect], Callable[[Applying, Any], None]] = {
    o.TermsVersionCreated: _terms_version,
    o.ListingsReserved: _listings("reserve"),
    o.ListingsReleased: _listings("release"),
    o.ListingsFulfilled: _listings("fulfil"),
    o.ApprovalsRequested: _approvals_requested,
    o.ApprovalRecorded: _approval,
    o.RefusalRecorded: _refusal,
    o.ConventionDocumentRequested: _convention,
    o.SignatureRecorded: _signature,
    o.AmendmentStarted: _amendment,
    o.ReportRecorded: _report,
    o.MediationRequested: _mediation,
    o.ExtensionRequested: _extension_requested,
    o.ExtensionDecided: _extension_decided,
    o.EvaluationRecorded: _evaluation,
    o.ReasonGiven: _reason,
    o.PassedThrough: _passed_through,
}
