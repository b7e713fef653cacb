"""Demo référentiel: evaluated agreements, published experience sheets across themes, with
revisions, a reuse, a comment and a contradiction. Idempotent: by listing and sheet title.

Runs after the agreements demo (it drafts a sheet from the evaluated agreement that demo made).
Everything goes through the services, so the demo obeys the same rules and leaves the same audit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..agreements import services as agreements
from ..agreements.models import Agreement
from ..listings.models import Listing
from . import sheets
from .models import Sheet

# (offer title, subcategory, owner slug, requester slug, the requester's evaluation)
EVALUATED = (
    (
        "Broyeur de végétaux sur remorque",
        "green_chipper",
        "malaunay",
        "loos-en-gohelle",
        {
            "satisfaction": 5,
            "money_saved_eur": 650,
            "kg_diverted": 450,
            "km_travelled": 260,
            "vehicle": "van",
            "lessons_learned": "Former deux agents à l'affûtage des couteaux avant le premier chantier.",
        },
    ),
    (
        "Sonorisation mobile pour fêtes de quartier",
        "event_sound_lighting",
        "loos-en-gohelle",
        "grande-synthe",
        {
            "satisfaction": 4,
            "money_saved_eur": 1200,
            "kg_diverted": 80,
            "km_travelled": 90,
            "vehicle": "car",
            "co2e_method": "shared_use",
            "lifetime_share": 0.05,
            "lessons_learned": "Tester le matériel la veille ; prévoir des rallonges de 25 m.",
        },
    ),
)

SHEETS: tuple[dict[str, Any], ...] = (
    {
        "slug": "loos-en-gohelle",
        "title": "Chantiers participatifs : les habitants et la commune « fifty-fifty »",
        "themes": ["democracy"],
        "context": "Commune de 7 000 habitants du bassin minier, en transition depuis vingt ans.",
        "what_shared": "Une méthode : la commune apporte matériaux et encadrement, les habitants le temps.",
        "method": "1. Un habitant propose un projet.\n2. Un élu et un technicien le co-construisent.\n"
        "3. Une convention fixe qui apporte quoi.\n4. Le chantier a lieu, puis une fête de quartier.",
        "success_conditions": "Un élu référent disponible ; des projets petits et visibles pour commencer.",
        "pitfalls": "Sous-estimer l'assurance des bénévoles.",
        "contacts": "Service démocratie participative, mairie",
    },
    {
        "slug": "le-mene",
        "title": "Une coopérative citoyenne finance les éoliennes du territoire",
        "themes": ["energy", "democracy"],
        "context": "Commune nouvelle rurale de 6 500 habitants visant l'autonomie énergétique.",
        "what_shared": "Les statuts de la SAS citoyenne et le calendrier des réunions publiques.",
        "method": "1. Réunions publiques.\n2. Création d'une SAS à gouvernance locale.\n"
        "3. Souscription ouverte aux habitants.\n4. Mise en service et assemblée annuelle.",
        "success_conditions": "Un portage politique stable sur deux mandats.",
        "pitfalls": "Les délais de raccordement au réseau : compter deux ans.",
        "contacts": "Chargé de mission énergie, mairie",
    },
    {
        "slug": "malaunay",
        "title": "Sobriété énergétique des bâtiments communaux",
        "themes": ["energy"],
        "context": "Commune de 6 000 habitants de la métropole rouennaise.",
        "what_shared": "Le tableau de suivi des consommations et les réglages de chauffage.",
        "method": "1. Relever les compteurs chaque mois.\n2. Abaisser les consignes hors occupation.\n"
        "3. Partager les résultats avec les usagers.",
        "success_conditions": "Un agent référent par bâtiment.",
        "pitfalls": "Oublier les associations qui occupent les salles le soir.",
        "results_text": "Environ un quart de consommation en moins en trois hivers.",
        "contacts": "Service technique, mairie",
    },
    {
        "slug": "grande-synthe",
        "title": "Une restauration scolaire 100 % bio en régie",
        "themes": ["food"],
        "context": "Ville de 23 000 habitants du littoral, restauration scolaire municipale.",
        "what_shared": "Les cahiers des charges des marchés publics et les menus.",
        "method": "1. Passer en régie.\n2. Allotir les marchés par produit.\n3. Former les cuisiniers.",
        "success_conditions": "Une cuisine centrale et une équipe formée.",
        "pitfalls": "Le coût de départ : lisser sur trois ans.",
        "contacts": "Direction de la restauration scolaire, mairie",
    },
    {
        "slug": "loos-en-gohelle",
        "title": "Prêter le matériel événementiel entre communes",
        "themes": ["mutualisation", "circular_economy"],
        "context": "Podiums, barrières et tentes servent quelques jours par an.",
        "what_shared": "Une convention type et une liste de matériel prêtable.",
        "method": "1. Publier l'offre.\n2. Demander six semaines avant.\n3. Convention, état des lieux.",
        "success_conditions": "Un état des lieux photo au départ et au retour.",
        "pitfalls": "La caution : la fixer au prix d'achat des petites pièces.",
        "contacts": "Service des fêtes, mairie",
    },
    {
        "slug": "malaunay",
        "title": "Broyer les déchets verts sur place avec un broyeur partagé",
        "themes": ["circular_economy", "biodiversity"],
        "context": "Les déchets verts des espaces publics partaient en déchetterie.",
        "what_shared": "Un broyeur sur remorque, prêté entre communes.",
        "method": "1. Planifier les tournées d'élagage.\n2. Broyer sur place.\n3. Pailler les massifs.",
        "success_conditions": "Deux agents formés.",
        "pitfalls": "Les couteaux s'émoussent vite sur le bois sec.",
        "contacts": "Service espaces verts, mairie",
    },
    {
        "slug": "le-mene",
        "title": "Un minibus partagé pour la mobilité solidaire en milieu rural",
        "themes": ["mobility"],
        "context": "Villages éloignés des commerces et des services, peu de transports en commun.",
        "what_shared": "Un minibus de neuf places et un planning partagé avec les associations.",
        "method": "1. Recenser les besoins.\n2. Former des chauffeurs.\n3. Ouvrir un planning partagé.",
        "success_conditions": "Des chauffeurs bénévoles en nombre suffisant.",
        "pitfalls": "L'assurance des chauffeurs bénévoles.",
        "contacts": "Centre communal d'action sociale",
    },
)

# (sheet title, editor role, changes): each makes a new version.
REVISIONS = (
    (
        SHEETS[0]["title"],
        "official",
        {"pitfalls": "Sous-estimer l'assurance des bénévoles et le temps d'encadrement."},
    ),
    (
        SHEETS[2]["title"],
        "technician",
        {"results_text": "Environ 25 % de consommation en moins en trois hivers."},
    ),
)
# (sheet title, role, territory slug, kind, body)
REACTIONS = (
    (
        SHEETS[4]["title"],
        "technician",
        "grande-synthe",
        "reuse",
        "Reprise à Grande-Synthe en 2026 pour nos barrières : la convention type a servi telle quelle.",
    ),
    (
        SHEETS[1]["title"],
        "actor",
        "malaunay",
        "comment",
        "Les statuts sont-ils disponibles en format modifiable ?",
    ),
    (
        SHEETS[3]["title"],
        "official",
        "le-mene",
        "contradiction",
        "En milieu rural, la régie n'a pas tenu : trop peu de repas par jour. Nous avons réussi avec un "
        "groupement de commandes entre communes plutôt qu'une régie seule.",
    ),
)


def _user(session: Session, role: str, slug: str) -> User:
    return session.scalars(select(User).where(User.email == f"{role}@{slug}.demo")).one()


def _sheet(session: Session, title: str) -> Sheet | None:
    return session.scalars(select(Sheet).where(Sheet.title == title)).first()


def _evaluated_agreement(session: Session, title, subcategory, owner_slug, requester_slug, figures) -> bool:
    if session.scalar(select(Listing.id).where(Listing.title == title)) is not None:
        return False
    owner, requester = _user(session, "technician", owner_slug), _user(session, "technician", requester_slug)
    offer = _loan_offer(session, owner, title, subcategory)
    start = dt.date.today() + dt.timedelta(days=45)
    agreement = agreements.create(
        session,
        requester,
        offer_id=offer.id,
        terms={"starts_on": start, "ends_on": start + dt.timedelta(days=5)},
    )
    for user, action, payload in _steps_to_evaluation(
        session, owner, requester, owner_slug, requester_slug, figures
    ):
        agreements.transition(
            session, user, agreement.id, action, {"version": agreement.terms_version, **payload}
        )
    return True


def _loan_offer(session: Session, owner, title, subcategory) -> Listing:
    offer = Listing(
        kind="offer",
        category="equipment",
        subcategory=subcategory,
        title=title,
        status="published",
        description="Matériel de la commune, prêté avec convention et état des lieux.",
        quantity=1,
        unit="lot",
        territory_id=owner.territory_id,
        owner_id=owner.id,
        logistics="pickup",
        conditions="loan",
        latitude=owner.territory.latitude,
        longitude=owner.territory.longitude,
    )
    session.add(offer)
    session.commit()
    return offer


def _steps_to_evaluation(session: Session, owner, requester, owner_slug, requester_slug, figures) -> list:
    """Every transition from draft to both parties' evaluations, in order."""
    return [
        (requester, "propose", {}),
        (owner, "accept", {}),
        (_user(session, "official", owner_slug), "approve", {}),
        (_user(session, "official", requester_slug), "approve", {}),
        (_user(session, "official", owner_slug), "sign", {}),
        (_user(session, "official", requester_slug), "sign", {}),
        (requester, "start", {"report": "Matériel complet."}),
        (owner, "return", {"report": "Rendu propre."}),
        (requester, "complete", {}),
        (requester, "evaluate", figures),
        (
            owner,
            "evaluate",
            {"satisfaction": 5, "lessons_learned": "Un état des lieux photo évite tout litige."},
        ),
    ]


def _publish_sheets(session: Session) -> int:
    created = 0
    for entry in SHEETS:
        if _sheet(session, entry["title"]) is not None:
            continue
        content = {k: v for k, v in entry.items() if k != "slug"}
        sheet = sheets.create(session, _user(session, "technician", entry["slug"]), content)
        sheets.publish(session, _user(session, "official", entry["slug"]), sheet.id)
        created += 1
    return created


def _sheet_from_agreement(session: Session) -> int:
    """The agreements demo's evaluated agreement becomes a sheet, drafted by a party, published."""
    agreement = session.scalars(
        select(Agreement).where(Agreement.status == "evaluated").order_by(Agreement.id)
    ).first()
    if agreement is None or agreement.id in {
        a for s in session.scalars(select(Sheet)) for a in s.agreement_ids
    }:
        return 0
    author = session.scalars(
        select(User).where(User.territory_id == agreement.beneficiary_territory_id, User.role == "technician")
    ).first()
    official = session.scalars(
        select(User).where(User.territory_id == agreement.beneficiary_territory_id, User.role == "official")
    ).first()
    if author is None or official is None:
        return 0
    sheet = sheets.draft_from_agreement(session, author, agreement.id)
    sheet = sheets.update(
        session,
        author,
        sheet.id,
        {"themes": ["mutualisation"], "method": "1. Demande.\n2. Convention.\n3. Prêt."},
        version=sheet.version,
    )
    sheets.publish(session, official, sheet.id)
    return 1


def load(session: Session) -> str:
    made = sum(_evaluated_agreement(session, *scenario) for scenario in EVALUATED)
    created = _publish_sheets(session) + _sheet_from_agreement(session)
    if created:
        for title, role, changes in REVISIONS:
            sheet = _sheet(session, title)
            assert sheet is not None  # published just above
            editor = _user(session, role, next(s["slug"] for s in SHEETS if s["title"] == title))
            sheets.update(session, editor, sheet.id, changes, version=sheet.version)
        for title, role, slug, kind, body in REACTIONS:
            reacted = _sheet(session, title)
            assert reacted is not None  # published just above
            sheets.react(session, _user(session, role, slug), reacted.id, kind, body)
    return f"{made} evaluated agreement(s), {created} published sheet(s)"
