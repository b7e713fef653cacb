"""Builders for test data: `make_*` functions that write through the real models."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from mutualisation.accounts.models import User
from mutualisation.accounts.passwords import hash_password
from mutualisation.territories.models import Territory, TerritoryPostcode
from mutualisation.territories.search import normalize

PASSWORD = "correct horse battery staple"
_HASH = hash_password(PASSWORD)
_counter = itertools.count(1)

KNOWN = {
    "62528": ("Loos-en-Gohelle", "62", 50.4578, 2.7933, ["62750"]),
    "76402": ("Malaunay", "76", 49.5265, 1.0402, ["76770"]),
    "22046": ("Le Mené", "22", 48.2716, -2.5395, ["22330"]),
    "59271": ("Grande-Synthe", "59", 51.0147, 2.3028, ["59760"]),
}


def make_territory(session: Session, code: str = "62528", **overrides) -> Territory:
    existing = session.query(Territory).filter_by(code=code).one_or_none()
    if existing is not None:
        return existing
    name, dep, lat, lon, postcodes = KNOWN.get(code, (f"Commune {code}", code[:2], 47.0, 2.0, []))
    values = dict(
        code=code,
        kind="commune",
        name=name,
        search_name=normalize(name),
        department_code=dep,
        population=7000,
        latitude=lat,
        longitude=lon,
        coordinates_source="town_hall",
    )
    values.update(overrides)
    territory = Territory(**values)
    territory.postcodes = [TerritoryPostcode(postcode=p) for p in postcodes]
    session.add(territory)
    session.flush()
    return territory


def make_user(session: Session, role: str = "technician", territory_code: str = "62528", **overrides) -> User:
    territory = make_territory(session, territory_code)
    n = next(_counter)
    values = dict(
        email=f"{role}{n}@example.org",
        name=f"{role.title()} {n}",
        role=role,
        territory=territory,
        password_hash=_HASH,
    )
    values.update(overrides)
    user = User(**values)
    session.add(user)
    session.flush()
    return user


# The test people by name, `<town>_<role>`: one table, so that every test file calls Loos's
# technician "loos_tech" and builds them the same way.
ROLES_BY_NAME = {
    "admin": ("admin", "62528"),
    "loos_tech": ("technician", "62528"),
    "loos_official": ("official", "62528"),
    "loos_actor": ("actor", "62528"),
    "mal_tech": ("technician", "76402"),
    "mal_official": ("official", "76402"),
    "mal_actor": ("actor", "76402"),
    "mene_official": ("official", "22046"),
}


def make_people(session: Session, *names: str) -> dict[str, User]:
    """The named users of ROLES_BY_NAME, created in the order given."""
    return {name: make_user(session, *ROLES_BY_NAME[name]) for name in names}


def bearer(session: Session, user: User) -> dict[str, str]:
    """The Authorization header of a fresh API token of `user`."""
    from mutualisation.accounts.services import create_token

    _token, clear = create_token(session, user, "tests")
    return {"Authorization": f"Bearer {clear}"}


def login(client, user: User, password: str = PASSWORD):
    """Log in through the real form, CSRF token included."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert token, "login form has no CSRF token"
    return client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token.group(1)}
    )


def csrf_token(client, path: str) -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def make_listing(session: Session, owner: User, kind: str = "offer", **overrides):
    """A published listing of `owner` (equipment by default)."""
    from mutualisation.listings.models import Listing

    n = next(_counter)
    values = dict(
        kind=kind,
        category="equipment",
        subcategory="event_equipment",
        title=f"Podium {n}" if kind == "offer" else f"Besoin de podium {n}",
        description="",
        quantity=1,
        unit="unité",
        territory_id=owner.territory_id,
        owner_id=owner.id,
        status="published",
    )
    # Placed at the territory's point, with the text search reads, as the services would do.
    values.setdefault("latitude", owner.territory.latitude)
    values.setdefault("longitude", owner.territory.longitude)
    values.update(overrides)
    listing = Listing(**values)
    from mutualisation.territories.search import normalize

    listing.search_text = normalize(f"{listing.title} {listing.description}")
    session.add(listing)
    session.flush()  # the database indexes search_text by itself
    return listing


def make_agreement(session: Session, requester: User, offer_owner: User, status: str = "draft", **terms):
    """An agreement of `requester` on an offer of `offer_owner`, driven by the services up to `status`.

    Statuses reachable this way: draft, proposed, pending_approval, approved, signed, in_progress,
    returned, completed. Officials are created as needed.
    """
    import datetime as dt

    from mutualisation.agreements import services

    offer = make_listing(session, offer_owner, "offer")
    base_terms = {"starts_on": dt.date(2030, 6, 1), "ends_on": dt.date(2030, 6, 10), **terms}
    agreement = services.create(session, requester, offer_id=offer.id, terms=base_terms)
    steps = ["proposed", "pending_approval", "approved", "signed", "in_progress", "returned", "completed"]
    if status == "draft":
        return agreement
    services.transition(session, requester, agreement.id, "propose", {"version": 0})
    if status == "proposed":
        return agreement
    services.transition(session, offer_owner, agreement.id, "accept", {"version": 1})
    if agreement.status == status:
        return agreement
    for side_user in (requester, offer_owner):
        if side_user.role != "actor" and agreement.status == "pending_approval":
            official = make_user(session, "official", side_user.territory.code)
            services.transition(session, official, agreement.id, "approve", {"version": 1})
    if agreement.status == status:
        return agreement
    for side_user in (requester, offer_owner):
        signer = (
            side_user
            if side_user.role == "actor"
            else make_user(session, "official", side_user.territory.code)
        )
        services.transition(session, signer, agreement.id, "sign", {"version": 1})
    if agreement.status == status:
        return agreement
    services.transition(session, requester, agreement.id, "start", {"version": 1, "report": "Bon état"})
    if agreement.status == status:
        return agreement
    if agreement.kind == "loan":
        services.transition(session, offer_owner, agreement.id, "return", {"version": 1, "report": "Rendu"})
        if agreement.status == status:
            return agreement
    services.transition(session, requester, agreement.id, "complete", {"version": 1})
    assert status in steps
    return agreement


def make_notification(session: Session, recipient: User, kind: str = "agreement.proposal_received", **params):
    """A notification written through the real `notify` (needs an app context for translations)."""
    from mutualisation.notifications.services import notify

    values = dict(object_type="agreement", object_id=1, link="/agreements/1")
    values.update(params)
    subject = values.pop("subject", "An agreement is proposed to you")
    notification = notify(session, recipient, kind, subject, **values)
    session.flush()
    return notification


def make_neutral_listing(
    session: Session, owner: User, kind: str = "offer", category: str = "equipment", **overrides
):
    """`make_listing` without a subcategory or a quantity, so that only what a test sets is scored."""
    overrides.setdefault("subcategory", None)
    overrides.setdefault("quantity", None)
    return make_listing(session, owner, kind, category=category, **overrides)
