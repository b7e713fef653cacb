"""Open-data exports of listings, agreements and their impact.

Only what is public by nature leaves: published listings (never drafts), agreements once an
official has approved them, and the evaluations of those agreements. No person is named:
parties appear as territories, and a local actor as "local actor of <territory>" (GDPR).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..agreements.models import Agreement, AgreementTerms, Approval, Evaluation
from ..listings.models import Listing
from ..listings.vocabulary import CONTENT_FIELDS
from ..territories.models import Territory
from .exports import line, point

PUBLIC_LISTING_STATUSES = ("published", "reserved", "fulfilled")
PUBLIC_AGREEMENT_STATUSES = ("approved", "signed", "in_progress", "returned", "completed", "evaluated")

# A resident's address is personal data: the open data places a listing by its coordinates only.
PRIVATE_LISTING_FIELDS = frozenset({"address"})
LISTING_COLUMNS = (
    "id",
    *(name for name in CONTENT_FIELDS if name not in PRIVATE_LISTING_FIELDS),
    "status",
    "territory_code",
    "territory_name",
    "published_at",
)
AGREEMENT_COLUMNS = (
    "id",
    "kind",
    "status",
    "provider_territory_code",
    "provider_territory_name",
    "provider_party",
    "beneficiary_territory_code",
    "beneficiary_territory_name",
    "beneficiary_party",
    "starts_on",
    "ends_on",
    "conditions",
    "decision_references",
    "created_at",
)
IMPACT_COLUMNS = (
    "agreement_id",
    "kind",
    "status",
    "category",
    "provider_territory_code",
    "beneficiary_territory_code",
    "evaluations",
    "satisfaction_mean",
    "money_saved_eur",
    "kg_diverted",
    "km_travelled",
    "co2e_avoided_kg",
    "co2e_transport_kg",
    "co2e_net_kg",
    "lessons_learned",
)


def listing_rows(session: Session) -> list[dict[str, Any]]:
    query = (
        select(Listing, Territory.code, Territory.name)
        .join(Territory, Listing.territory_id == Territory.id)
        .where(Listing.status.in_(PUBLIC_LISTING_STATUSES))
        .order_by(Listing.id)
    )
    rows = []
    for listing, code, name in session.execute(query):
        row = {c: getattr(listing, c, None) for c in LISTING_COLUMNS if hasattr(listing, c)}
        row.update(territory_code=code, territory_name=name)
        row["_geometry"] = point(listing.longitude, listing.latitude)
        rows.append(row)
    return rows


def _party(actor_id: int | None) -> str:
    return "local_actor" if actor_id is not None else "territory"


def agreement_rows(session: Session) -> list[dict[str, Any]]:
    provider, beneficiary = aliased(Territory), aliased(Territory)
    query = (
        select(Agreement, provider, beneficiary)
        .join(provider, Agreement.provider_territory_id == provider.id)
        .join(beneficiary, Agreement.beneficiary_territory_id == beneficiary.id)
        .where(Agreement.status.in_(PUBLIC_AGREEMENT_STATUSES))
        .order_by(Agreement.id)
    )
    found = session.execute(query).all()
    ids = [a.id for a, _p, _b in found]
    terms = _approved_terms(session, found)
    references = defaultdict(list)
    for agreement_id, reference in session.execute(
        select(Approval.agreement_id, Approval.decision_reference).where(
            Approval.agreement_id.in_(ids), Approval.decision == "approve"
        )
    ):
        if reference:
            references[agreement_id].append(reference)
    rows = []
    for agreement, prov, bene in found:
        t = terms.get(agreement.id)
        rows.append(
            {
                "id": agreement.id,
                "kind": agreement.kind,
                "status": agreement.status,
                "provider_territory_code": prov.code,
                "provider_territory_name": prov.name,
                "provider_party": _party(agreement.provider_actor_id),
                "beneficiary_territory_code": bene.code,
                "beneficiary_territory_name": bene.name,
                "beneficiary_party": _party(agreement.beneficiary_actor_id),
                "starts_on": t.starts_on if t else None,
                "ends_on": (agreement.extended_ends_on or t.ends_on) if t else None,
                "conditions": t.conditions if t else None,
                "decision_references": ", ".join(references[agreement.id]),
                "created_at": agreement.created_at,
                "_geometry": line(point(prov.longitude, prov.latitude), point(bene.longitude, bene.latitude)),
            }
        )
    return rows


def _approved_terms(session: Session, found) -> dict[int, AgreementTerms]:
    wanted = {(a.id, a.approved_terms_version) for a, _p, _b in found if a.approved_terms_version is not None}
    if not wanted:
        return {}
    ids = [agreement_id for agreement_id, _v in wanted]
    terms = session.scalars(select(AgreementTerms).where(AgreementTerms.agreement_id.in_(ids)))
    return {t.agreement_id: t for t in terms if (t.agreement_id, t.version) in wanted}


def impact_rows(session: Session) -> list[dict[str, Any]]:
    agreements = {row["id"]: row for row in agreement_rows(session)}
    evaluations = session.scalars(
        select(Evaluation).where(Evaluation.agreement_id.in_(list(agreements))).order_by(Evaluation.id)
    ).all()
    grouped: dict[int, list[Evaluation]] = defaultdict(list)
    for evaluation in evaluations:
        grouped[evaluation.agreement_id].append(evaluation)
    categories = dict(
        session.execute(
            select(Agreement.id, Listing.category)
            .join(Listing, Listing.id == Agreement.offer_id)
            .where(Agreement.id.in_(list(grouped)))
        ).all()
    )
    rows = []
    for agreement_id, items in grouped.items():
        agreement = agreements[agreement_id]
        rows.append(
            {
                "agreement_id": agreement_id,
                "kind": agreement["kind"],
                "status": agreement["status"],
                "category": categories.get(agreement_id),
                "provider_territory_code": agreement["provider_territory_code"],
                "beneficiary_territory_code": agreement["beneficiary_territory_code"],
                "evaluations": len(items),
                "satisfaction_mean": round(sum(e.satisfaction for e in items) / len(items), 2),
                "money_saved_eur": _sum(e.money_saved_eur for e in items),
                "kg_diverted": _sum(e.kg_diverted for e in items),
                "km_travelled": _sum(e.km_travelled for e in items),
                "co2e_avoided_kg": _sum(e.co2e_avoided_kg for e in items),
                "co2e_transport_kg": _sum(e.co2e_transport_kg for e in items),
                "co2e_net_kg": _sum(e.co2e_net_kg for e in items),
                "lessons_learned": "\n\n".join(e.lessons_learned for e in items if e.lessons_learned),
                "_geometry": agreement["_geometry"],
            }
        )
    return rows


def _sum(values) -> float:
    return round(sum(v or 0.0 for v in values), 3)


EXPORTS = {
    "listings": (listing_rows, LISTING_COLUMNS),
    "agreements": (agreement_rows, AGREEMENT_COLUMNS),
    "impact": (impact_rows, IMPACT_COLUMNS),
}
