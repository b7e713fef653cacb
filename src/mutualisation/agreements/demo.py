"""Demo agreements between the demo territories, one at every stage (idempotent: by listing title)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..listings import hooks
from ..listings.models import Listing
from . import services
from .models import Agreement
from .vocabulary import Status

# (listing title, subcategory, owner slug, requester slug, status to reach, evaluation lessons)
SCENARIOS = (
    ("Podium modulaire 6 x 4 m", "event_stage", "loos-en-gohelle", "malaunay", Status.PROPOSED, None),
    ("Désherbeur thermique à prêter", "green_weeding", "malaunay", "le-mene", Status.PENDING_APPROVAL, None),
    (
        "Barrières de sécurité (lot de 20)",
        "event_barriers",
        "grande-synthe",
        "loos-en-gohelle",
        Status.IN_PROGRESS,
        None,
    ),
    (
        "Tentes de réception 3 x 3 m",
        "event_tents",
        "le-mene",
        "grande-synthe",
        Status.EVALUATED,
        "Prévoir deux personnes pour le montage ; vérifier les sardines au retour.",
    ),
    ("Grilles d'exposition (lot de 12)", "event_furniture", "malaunay", "grande-synthe", Status.DRAFT, None),
    (
        "Remorque plateau 750 kg",
        "vehicle_utility",
        "grande-synthe",
        "loos-en-gohelle",
        Status.NEGOTIATING,
        None,
    ),
    (
        "Tables et bancs de fête (lot de 30)",
        "event_furniture",
        "loos-en-gohelle",
        "grande-synthe",
        Status.APPROVED,
        None,
    ),
    ("Tondeuse autoportée", "green_mowing", "le-mene", "malaunay", Status.SIGNED, None),
    ("Nettoyeur haute pression", "tools_building_site", "malaunay", "loos-en-gohelle", Status.RETURNED, None),
    ("Chapiteau 5 x 10 m", "event_tents", "grande-synthe", "malaunay", Status.COMPLETED, None),
    ("Groupe électrogène 20 kVA", "tools_building_site", "le-mene", "loos-en-gohelle", Status.REFUSED, None),
)
_ORDER = (
    Status.PROPOSED,
    Status.PENDING_APPROVAL,
    Status.APPROVED,
    Status.SIGNED,
    Status.IN_PROGRESS,
    Status.RETURNED,
    Status.COMPLETED,
    Status.EVALUATED,
)


# Stages off the straight line: (steps taken) to reach them.
_PATHS = {
    Status.DRAFT: (),
    Status.NEGOTIATING: (Status.PROPOSED, Status.NEGOTIATING),
    Status.REFUSED: (Status.PROPOSED, Status.PENDING_APPROVAL, Status.REFUSED),
}


def _steps(target: Status) -> tuple[Status, ...]:
    if target in _PATHS:
        return _PATHS[target]
    return _ORDER[: _ORDER.index(target) + 1]


def _user(session: Session, role: str, slug: str) -> User:
    return session.scalars(select(User).where(User.email == f"{role}@{slug}.demo")).one()


def _offer(session: Session, title: str, subcategory: str, owner: User) -> Listing:
    listing = session.scalars(select(Listing).where(Listing.title == title)).first()
    if listing is None:
        listing = Listing(
            kind="offer",
            category="equipment",
            subcategory=subcategory,
            title=title,
            description="Matériel de la commune, prêté avec convention et état des lieux.",
            quantity=1,
            unit="lot",
            territory_id=owner.territory_id,
            owner_id=owner.id,
            status="published",
            logistics="pickup",
            conditions="loan",
            latitude=owner.territory.latitude,
            longitude=owner.territory.longitude,
        )
        session.add(listing)
        session.commit()
        # Announced like a published listing, so that its suggestions exist before the nightly run.
        hooks.listing_changed(session, listing.id, "published")
    return listing


def load(session: Session) -> str:
    created = 0
    start = dt.date.today() + dt.timedelta(days=45)
    for title, subcategory, owner_slug, requester_slug, target, lessons in SCENARIOS:
        owner = _user(session, "technician", owner_slug)
        requester = _user(session, "technician", requester_slug)
        offer = _offer(session, title, subcategory, owner)
        if session.scalar(select(Agreement.id).where(Agreement.offer_id == offer.id)) is not None:
            continue
        if offer.status != "published":
            continue  # the listings demo already used it
        agreement = services.create(
            session,
            requester,
            offer_id=offer.id,
            terms={"starts_on": start, "ends_on": start + dt.timedelta(days=5), "deposit_eur": 150},
        )
        created += 1
        for step in _steps(target):
            _advance(session, agreement, step, owner_slug, requester_slug, lessons)
    return f"{created} agreement(s) created"


# Each official approves with the decision that authorises them, as a convention names it.
_OWNER_DECISION = {
    "decision_kind": "arrete",
    "decision_reference": "Arrêté 2026-041",
    "decision_date": dt.date(2026, 3, 16),
}
_REQUESTER_DECISION = {
    "decision_kind": "deliberation",
    "decision_reference": "2026-018",
    "decision_date": dt.date(2026, 3, 23),
}


def _advance(session, agreement, step, owner_slug, requester_slug, lessons) -> None:
    def act(user, action, **payload):
        services.transition(
            session, user, agreement.id, action, {"version": agreement.terms_version, **payload}
        )

    requester = _user(session, "technician", requester_slug)
    owner = _user(session, "technician", owner_slug)
    match step:
        case Status.PROPOSED:
            act(requester, "propose")
        case Status.NEGOTIATING:
            start = dt.date.today() + dt.timedelta(days=52)
            terms = {"starts_on": start, "ends_on": start + dt.timedelta(days=3), "deposit_eur": 300}
            act(owner, "counter_propose", terms=terms, comment="Plutôt la semaine suivante, caution 300 €.")
        case Status.PENDING_APPROVAL:
            act(owner, "accept", comment="D'accord pour ces dates.")
        case Status.REFUSED:
            reason = "Matériel réservé au plan communal de sauvegarde cet été."
            act(_user(session, "official", owner_slug), "refuse", reason=reason)
        case Status.APPROVED:
            act(_user(session, "official", owner_slug), "approve", **_OWNER_DECISION)
            act(_user(session, "official", requester_slug), "approve", **_REQUESTER_DECISION)
        case Status.SIGNED:
            act(_user(session, "official", owner_slug), "sign")
            act(_user(session, "official", requester_slug), "sign")
        case Status.IN_PROGRESS:
            act(requester, "start", report="Matériel complet et en bon état.")
        case Status.RETURNED:
            act(owner, "return", report="Rendu complet, propre.")
        case Status.COMPLETED:
            act(requester, "complete")
        case Status.EVALUATED:
            act(
                requester,
                "evaluate",
                satisfaction=5,
                kg_diverted=120.0,
                km_travelled=80.0,
                vehicle="van",
                lessons_learned=lessons,
            )
            act(owner, "evaluate", satisfaction=4, lessons_learned=lessons)
