# ruff: noqa: E501  (French demo texts read better unwrapped)
"""Demo offers and needs of the four peer territories (idempotent: matched on owner and title)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from . import services
from .models import Listing

# (territory slug, owner role, kind, category, subcategory, title, description, extra fields)
DEMO_LISTINGS: list[tuple[str, str, str, str, str, str, str, dict]] = [
    # Loos-en-Gohelle: a pioneer of the participatory energy transition in the mining basin.
    (
        "loos-en-gohelle",
        "technician",
        "offer",
        "service",
        "training",
        "Formation à la transition énergétique participative",
        "Deux journées pour élus et techniciens : la méthode « fifty-fifty », les chantiers citoyens et la rénovation "
        "des cités minières. Animée par l'équipe de la mairie.",
        {"remote_possible": False, "recurring": True},
    ),
    (
        "loos-en-gohelle",
        "official",
        "offer",
        "know_how",
        "participatory_democracy",
        "Savoir-faire : l'implication des habitants « fifty-fifty »",
        "Retour d'expérience sur 20 ans de projets co-construits avec les habitants : méthode, pièges, outils.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "loos-en-gohelle",
        "technician",
        "offer",
        "skill",
        "energy_renewables",
        "Accompagnement d'un projet photovoltaïque sur toiture publique",
        "Notre technicien énergie aide à dimensionner, consulter et suivre une centrale solaire sur un bâtiment communal.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "loos-en-gohelle",
        "technician",
        "offer",
        "equipment",
        "measurement",
        "Prêt d'une caméra thermique",
        "Caméra thermique pour repérer les déperditions des bâtiments, avec notice et mallette. Prêt de 2 semaines.",
        {"quantity": 1, "unit": "caméra", "conditions": "loan", "deposit_eur": 300, "max_distance_km": 250},
    ),
    (
        "loos-en-gohelle",
        "technician",
        "need",
        "equipment",
        "event_tents",
        "Barnums pour la fête de l'écologie",
        "Nous cherchons 6 barnums 3 x 3 m pour un week-end de septembre.",
        {"quantity": 6, "unit": "barnums", "conditions": "loan", "max_distance_km": 150},
    ),
    (
        "loos-en-gohelle",
        "actor",
        "offer",
        "know_how",
        "material_reuse",
        "Réemploi de matériaux de déconstruction",
        "L'association récupère et reconditionne portes, fenêtres et briques des chantiers de rénovation.",
        {"inexhaustible": True},
    ),
    (
        "loos-en-gohelle",
        "official",
        "need",
        "skill",
        "european_funds",
        "Aide au montage d'un dossier FEDER",
        "Pour la rénovation d'une école : nous cherchons une commune ayant déjà obtenu des fonds FEDER.",
        {"remote_possible": True},
    ),
    (
        "loos-en-gohelle",
        "actor",
        "need",
        "service",
        "transport_goods",
        "Transport de matériaux de réemploi",
        "Un camion benne pour une journée, pour déplacer des matériaux vers la ressourcerie.",
        {"logistics": "delivery", "max_distance_km": 80},
    ),
    (
        "loos-en-gohelle",
        "technician",
        "offer",
        "know_how",
        "energy_sufficiency",
        "Extinction nocturne de l'éclairage public",
        "Notre expérience : concertation, arrêtés, économies mesurées et retours des habitants.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "loos-en-gohelle",
        "technician",
        "need",
        "equipment",
        "vehicle_bikes",
        "Vélos cargo pour les services techniques",
        "Nous voulons tester 2 vélos cargo pendant un mois avant d'en acheter.",
        {"quantity": 2, "unit": "vélos", "conditions": "loan"},
    ),
    # Malaunay: a Normandy town known for energy savings and local food.
    (
        "malaunay",
        "technician",
        "need",
        "equipment",
        "green_chipper",
        "Broyeur de végétaux au printemps",
        "Pour broyer les tailles de haies des espaces verts en mars et avril et pailler les massifs.",
        {"quantity": 1, "unit": "broyeur", "conditions": "loan", "max_distance_km": 300, "spring": True},
    ),
    (
        "malaunay",
        "actor",
        "offer",
        "service",
        "composting",
        "Services de compostage par un agriculteur",
        "Ferme maraîchère bio : collecte des biodéchets de la cantine et compostage à la ferme, compost rendu aux jardins.",
        {"recurring": True, "conditions": "cost_sharing", "max_distance_km": 30},
    ),
    (
        "malaunay",
        "official",
        "offer",
        "know_how",
        "energy_sufficiency",
        "Savoir-faire : « commune à énergie positive »",
        "Comment nous avons réduit de moitié la consommation des bâtiments communaux : plan, suivi, financements.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "malaunay",
        "technician",
        "offer",
        "know_how",
        "organic_school_catering",
        "Cantine 100 % bio et locale",
        "Cuisine sur place, approvisionnement local, lutte contre le gaspillage : visite et documents partagés.",
        {"inexhaustible": True},
    ),
    (
        "malaunay",
        "technician",
        "offer",
        "equipment",
        "event_sound_lighting",
        "Sonorisation mobile pour événements",
        "Sono complète (2 enceintes, table de mixage, micros) avec un agent formé si besoin.",
        {"conditions": "loan", "deposit_eur": 500, "insurance_required": True, "max_distance_km": 150},
    ),
    (
        "malaunay",
        "technician",
        "need",
        "skill",
        "data_gis",
        "Appui SIG pour cartographier les haies",
        "Nous cherchons un appui ponctuel pour un inventaire des haies et leur cartographie.",
        {"remote_possible": True},
    ),
    (
        "malaunay",
        "actor",
        "need",
        "equipment",
        "tools_workshop",
        "Outillage pour un atelier de réparation de vélos",
        "Le repair café cherche des outils spécifiques (dérive-chaîne, clés à rayons).",
        {"conditions": "exchange"},
    ),
    (
        "malaunay",
        "official",
        "need",
        "know_how",
        "participatory_budget",
        "Retour d'expérience sur un budget participatif",
        "Nous lançons notre premier budget participatif : comment avez-vous organisé le vote ?",
        {"remote_possible": True},
    ),
    (
        "malaunay",
        "technician",
        "offer",
        "service",
        "maintenance_green_spaces",
        "Fauche tardive des bords de route",
        "Notre équipe peut intervenir avec son matériel sur les communes voisines, en juillet.",
        {"conditions": "cost_sharing", "max_distance_km": 40},
    ),
    (
        "malaunay",
        "technician",
        "offer",
        "equipment",
        "green_weeding",
        "Désherbeur thermique à prêter",
        "Désherbeur à eau chaude utilisé pour le cimetière « zéro phyto ».",
        {"conditions": "loan", "deposit_eur": 200, "qualified_operator_required": True},
    ),
    # Le Mené: a rural Breton commune, a pioneer of citizen energy cooperatives.
    (
        "le-mene",
        "official",
        "offer",
        "know_how",
        "energy_cooperative",
        "Savoir-faire : les coopératives énergétiques citoyennes",
        "Éoliennes citoyennes, réseau de chaleur bois, huilerie : comment les habitants financent et gouvernent.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "le-mene",
        "technician",
        "offer",
        "skill",
        "engineering_buildings",
        "Conseil en réseau de chaleur bois",
        "Notre technicien partage l'étude de faisabilité et l'exploitation d'une chaufferie bois communale.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "le-mene",
        "technician",
        "offer",
        "equipment",
        "vehicle_machinery",
        "Mini-pelle avec chauffeur",
        "Mini-pelle 2,5 t, prêtée avec un agent habilité, pour de petits terrassements.",
        {
            "conditions": "cost_sharing",
            "qualified_operator_required": True,
            "insurance_required": True,
            "max_distance_km": 60,
        },
    ),
    (
        "le-mene",
        "actor",
        "offer",
        "equipment",
        "green_chipper",
        "Broyeur de végétaux agricole",
        "Broyeur à grosses branches sur prise de force, disponible hors saison de récolte.",
        {"conditions": "loan", "deposit_eur": 400, "max_distance_km": 300},
    ),
    (
        "le-mene",
        "technician",
        "need",
        "equipment",
        "event_stage",
        "Podium pour la fête de la transition",
        "Un podium de 40 m² pour un festival en juin.",
        {"conditions": "loan", "max_distance_km": 300},
    ),
    (
        "le-mene",
        "official",
        "need",
        "skill",
        "urban_planning",
        "Appui pour la révision du PLU",
        "Retour d'expérience d'une commune nouvelle ayant fusionné ses documents d'urbanisme.",
        {"remote_possible": True},
    ),
    (
        "le-mene",
        "actor",
        "offer",
        "service",
        "transport_people",
        "Covoiturage solidaire vers les marchés",
        "Le GAEC organise des navettes vers les marchés de producteurs : modèle et outils partagés.",
        {"recurring": True},
    ),
    (
        "le-mene",
        "technician",
        "need",
        "service",
        "mentoring",
        "Tutorat pour une régie agricole communale",
        "Nous aimerions être accompagnés par une commune ayant créé sa régie maraîchère.",
        {"remote_possible": False},
    ),
    (
        "le-mene",
        "technician",
        "offer",
        "know_how",
        "circular_economy",
        "Huilerie et circuits courts",
        "Valorisation du colza local en huile et tourteaux : notre expérience de filière.",
        {"inexhaustible": True},
    ),
    (
        "le-mene",
        "technician",
        "need",
        "equipment",
        "it_audiovisual",
        "Vidéoprojecteur pour réunions publiques",
        "Prêt d'un vidéoprojecteur puissant et d'un écran pour 3 réunions publiques.",
        {"conditions": "loan"},
    ),
    # Grande-Synthe: a town of the Dunkirk coast, committed to social and ecological transition.
    (
        "grande-synthe",
        "technician",
        "offer",
        "equipment",
        "event_stage",
        "Podium mobile et barrières",
        "Podium mobile de 60 m² et 100 barrières de sécurité, livrés et montés par nos agents.",
        {
            "quantity": 1,
            "unit": "podium",
            "conditions": "loan",
            "deposit_eur": 1000,
            "insurance_required": True,
            "logistics": "delivery",
            "max_distance_km": 400,
        },
    ),
    (
        "grande-synthe",
        "official",
        "need",
        "know_how",
        "energy_cooperative",
        "Créer une coopérative citoyenne d'énergie",
        "Les habitants veulent financer des panneaux solaires sur les écoles : statuts, gouvernance, "
        "montage financier, retours d'expérience d'une commune qui l'a fait.",
        {"remote_possible": True},
    ),
    (
        "grande-synthe",
        "technician",
        "offer",
        "equipment",
        "event_barriers",
        "Barrières de sécurité",
        "100 barrières Vauban à prêter pour vos événements.",
        {"quantity": 100, "unit": "barrières", "conditions": "loan", "max_distance_km": 300},
    ),
    (
        "grande-synthe",
        "official",
        "offer",
        "know_how",
        "renaturation",
        "Savoir-faire : la ville nature et les jardins populaires",
        "Plantations massives, jardins partagés et forêt urbaine : démarche et gestion.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "grande-synthe",
        "actor",
        "offer",
        "service",
        "maintenance_repair",
        "Réparation de mobilier et d'électroménager",
        "La recyclerie répare et remet en circulation mobilier et appareils pour les collectivités.",
        {"conditions": "cost_sharing", "max_distance_km": 50},
    ),
    (
        "grande-synthe",
        "actor",
        "need",
        "equipment",
        "vehicle_utility",
        "Camion benne pour collectes d'encombrants",
        "Prêt d'un camion benne un samedi par mois pour les collectes solidaires.",
        {"conditions": "loan", "recurring": True},
    ),
    (
        "grande-synthe",
        "technician",
        "need",
        "skill",
        "legal_procurement",
        "Clauses environnementales dans les marchés",
        "Nous cherchons des exemples de clauses de réemploi dans les marchés de travaux.",
        {"remote_possible": True},
    ),
    (
        "grande-synthe",
        "official",
        "offer",
        "know_how",
        "zero_waste",
        "Territoire zéro déchet : notre feuille de route",
        "Tarification incitative, recycleries, sensibilisation : résultats sur cinq ans.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "grande-synthe",
        "technician",
        "need",
        "equipment",
        "green_mowing",
        "Épareuse pour l'entretien des fossés",
        "Besoin ponctuel d'une épareuse en octobre.",
        {"conditions": "loan", "max_distance_km": 100},
    ),
    (
        "grande-synthe",
        "technician",
        "offer",
        "service",
        "staff_secondment",
        "Mise à disposition d'un animateur nature",
        "Notre animateur peut encadrer des sorties pédagogiques chez vous, deux jours par mois.",
        {"conditions": "cost_sharing", "recurring": True, "max_distance_km": 150},
    ),
    (
        "grande-synthe",
        "actor",
        "offer",
        "service",
        "communication",
        "Ateliers de communication engageante",
        "Conception d'affiches et d'ateliers pour mobiliser les habitants sur le tri.",
        {"remote_possible": False},
    ),
]


def _window(extra: dict) -> dict:
    today = date.today()
    if extra.pop("spring", False):
        year = today.year + (1 if today.month > 4 else 0)
        return {"available_from": date(year, 3, 1), "available_until": date(year, 4, 30)}
    return {"available_from": today, "available_until": today + timedelta(days=365)}


def load(session: Session) -> str:
    users = {u.email: u for u in session.scalars(select(User).where(User.email.like("%.demo")))}
    created = 0
    for slug, role, kind, category, subcategory, title, description, extra in DEMO_LISTINGS:
        owner = users.get(f"{role}@{slug}.demo")
        if owner is None:
            continue
        exists = session.scalar(
            select(Listing.id).where(Listing.owner_id == owner.id, Listing.title == title)
        )
        if exists is not None:
            continue
        extra = dict(extra)
        data = {"kind": kind, "category": category, "subcategory": subcategory, "title": title}
        data |= {"description": description} | _window(extra) | extra
        listing = services.create(session, owner, data)
        services.publish(session, owner, listing.id)
        created += 1
    return f"{created} listing(s) created"
