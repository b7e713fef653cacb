"""The demo network: four peer territories, one account per role, an admin.

Each domain may add its own demo content by declaring a `demo_loader` in its `domain.py`;
this module calls them in the order of mutualisation/domains.py. Everything is idempotent: a
second run changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts.models import User
from .accounts.passwords import DEMO_PASSWORD
from .accounts.services import PasswordPolicy, create_user
from .declarations import Domain
from .domains import DOMAINS, demo_loaders
from .territories import gazetteer
from .territories.models import Territory
from .territories.search import normalize

log = logging.getLogger(__name__)

# INSEE code → e-mail slug. The admin belongs to the first territory.
DEMO_TERRITORIES = {
    "62528": "loos-en-gohelle",
    "22046": "le-mene",
    "76402": "malaunay",
    "59271": "grande-synthe",
}
ROLE_NAMES = {
    "technician": "Technicien·ne",
    "official": "Élu·e",
    "actor": "Acteur local",
}
DEMO_ACTOR_ORGANISATIONS = {
    "62528": "Association Chênelet Énergies",
    "22046": "GAEC de la Ville Hingant",
    "76402": "Ferme du Bout du Monde",
    "59271": "Recyclerie de la Porte d'Or",
}


def demo_email(role: str, slug: str) -> str:
    return f"{role}@{slug}.demo"


def ensure_territories(session: Session, codes: list[str]) -> dict[str, Territory]:
    """Make sure `codes` exist, reading only those communes from the gazetteer when missing."""
    found = {t.code: t for t in session.scalars(select(Territory).where(Territory.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    if missing:
        for rec in gazetteer.iter_communes():
            if rec.insee_code in missing:
                territory = Territory(
                    code=rec.insee_code,
                    kind="commune",
                    name=rec.name,
                    search_name=normalize(rec.name),
                    department_code=rec.department_code,
                    department_name=rec.department_name,
                    region_code=rec.region_code,
                    region_name=rec.region_name,
                    population=rec.population,
                    latitude=rec.latitude,
                    longitude=rec.longitude,
                    coordinates_source=rec.coordinates_source,
                    epci_code=rec.epci_siren,
                )
                session.add(territory)
                found[rec.insee_code] = territory
        session.commit()
    return found


def load_demo(session: Session, domains: Sequence[Domain] = DOMAINS) -> str:
    territories = ensure_territories(session, list(DEMO_TERRITORIES))
    policy = PasswordPolicy(allow_demo=True)
    created = 0
    for code, slug in DEMO_TERRITORIES.items():
        town = territories[code].name
        for role, label in ROLE_NAMES.items():
            email = demo_email(role, slug)
            if session.scalar(select(User.id).where(User.email == email)) is None:
                create_user(
                    session,
                    None,
                    email=email,
                    password=DEMO_PASSWORD,
                    role=role,
                    territory_code=code,
                    name=f"{label} de {town}",
                    organisation=DEMO_ACTOR_ORGANISATIONS[code] if role == "actor" else f"Mairie de {town}",
                    policy=policy,
                )
                created += 1
    admin_email = "admin@mutualisation.demo"
    if session.scalar(select(User.id).where(User.email == admin_email)) is None:
        create_user(
            session,
            None,
            email=admin_email,
            password=DEMO_PASSWORD,
            role="admin",
            territory_code="62528",
            name="Animation du réseau",
            organisation="Réseau Mutualisation",
            policy=policy,
        )
        created += 1
    parts = [f"{created} account(s) created"]
    for name, loader in demo_loaders(domains):
        parts.append(f"{name}: {loader(session)}")
    return "; ".join(parts)
