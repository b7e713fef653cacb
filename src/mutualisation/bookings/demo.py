"""The bookings' share of the demo network: three barnums of Loos-en-Gohelle lent several times
over the coming year to the other peer territories, one request still tentative (idempotent)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..agreements import services as agreements
from ..agreements.models import Agreement
from ..listings.editing import create_published
from ..listings.models import Listing

TITLE = "3 barnums 3 x 3 m (prêts à la journée ou au week-end)"
OWNER = "loos-en-gohelle"
# (requester slug, days from today to the handover, days lent, barnums, how far it goes)
LOANS = (
    ("malaunay", 21, 3, 2, "signed"),
    ("grande-synthe", 22, 4, 1, "approved"),
    ("le-mene", 70, 2, 3, "approved"),
    ("malaunay", 140, 3, 1, "approved"),
    ("grande-synthe", 200, 2, 2, "proposed"),  # tentative: it expires with its proposal
)


def _user(session: Session, role: str, slug: str) -> User | None:
    return session.scalar(select(User).where(User.email == f"{role}@{slug}.demo"))


def _offer(session: Session, owner: User) -> Listing:
    listing = session.scalar(select(Listing).where(Listing.owner_id == owner.id, Listing.title == TITLE))
    if listing is not None:
        return listing
    data = {
        "kind": "offer",
        "category": "equipment",
        "subcategory": "event_tents",
        "title": TITLE,
        "description": "Trois barnums pliants 3 x 3 m avec lests, prêtés aux communes du réseau. "
        "Un jour est gardé après chaque retour pour le séchage et la vérification des toiles.",
        "quantity": 3,
        "unit": "barnums",
        "bookable_units": 3,
        "booking_buffer_days": 1,
        "conditions": "loan",
        "logistics": "pickup",
        "deposit_eur": 200,
        "insurance_required": True,
    }
    return create_published(session, owner, data)


def _loan(session: Session, offer: Listing, owner: User, loan: tuple[str, int, int, int, str]) -> None:
    slug, in_days, length, units, target = loan
    requester = _user(session, "technician", slug)
    if requester is None:
        return
    start = dt.date.today() + dt.timedelta(days=in_days)
    terms = {
        "starts_on": start,
        "ends_on": start + dt.timedelta(days=length - 1),
        "lines": [{"description": "Barnum 3 x 3 m avec lests", "quantity": units, "unit": "barnums"}],
        "kind": "loan",
        "deposit_eur": 200,
    }
    agreement = agreements.create(session, requester, offer_id=offer.id, terms=terms)

    def act(user: User | None, action: str) -> None:
        if user is not None:
            agreements.transition(session, user, agreement.id, action, {"version": agreement.terms_version})

    act(requester, "propose")
    if target == "proposed":
        return
    act(owner, "accept")
    for territory in (OWNER, slug):
        act(_user(session, "official", territory), "approve")
    if target == "signed":
        for territory in (OWNER, slug):
            act(_user(session, "official", territory), "sign")


def load(session: Session) -> str:
    owner = _user(session, "technician", OWNER)
    if owner is None:
        return "0 booking(s) created"
    offer = _offer(session, owner)
    if session.scalar(select(Agreement.id).where(Agreement.offer_id == offer.id).limit(1)) is not None:
        return "0 booking(s) created"
    for loan in LOANS:
        _loan(session, offer, owner, loan)
    return f"{len(LOANS)} booking(s) created"
