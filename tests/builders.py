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


def make_listing(
    session: Session, owner: User, kind: str = "offer", category: str = "equipment", **overrides
):
    """A published listing of `owner`, located at its territory unless told otherwise."""
    from mutualisation.listings.models import Listing

    territory = owner.territory
    values = dict(
        kind=kind,
        category=category,
        subcategory=None,
        title=f"{kind} {next(_counter)}",
        territory_id=territory.id,
        owner_id=owner.id,
        status="published",
        latitude=territory.latitude,
        longitude=territory.longitude,
    )
    values.update(overrides)
    listing = Listing(**values)
    session.add(listing)
    session.flush()
    return listing
