# ruff: noqa: E501  (French demo texts read better unwrapped)
"""Demo skills that answer the demo's skill needs from another territory (loaded by `demo.py`).

Each one sits in a subcategory close to the need it answers (a shared closeness group of the
taxonomy, e.g. grants and European funds), so the demo shows a close subcategory at work and
every territory's staff find suggestions on their dashboard.
"""

from __future__ import annotations

from typing import Any

ROWS: list[tuple[str, str, str, str, str, str, str, dict[str, Any]]] = [
    (
        "grande-synthe",
        "technician",
        "offer",
        "skill",
        "grants",
        "Montage de dossiers de subventions (ADEME, Région, fonds européens)",
        "Notre chargée de mission financements relit vos dossiers et partage nos modèles de budget et d'indicateurs.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "malaunay",
        "technician",
        "offer",
        "skill",
        "land",
        "Stratégie foncière et zéro artificialisation nette",
        "Retour d'expérience sur notre observatoire du foncier et la sobriété foncière dans le PLU intercommunal.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "loos-en-gohelle",
        "technician",
        "offer",
        "skill",
        "data_open",
        "Données ouvertes et cartographie participative",
        "Nous partageons nos outils libres pour publier des données et cartographier le territoire avec les habitants.",
        {"inexhaustible": True, "remote_possible": True},
    ),
    (
        "le-mene",
        "technician",
        "offer",
        "skill",
        "legal_advice",
        "Conseil juridique : commande publique et SCIC",
        "Notre juriste partage les clauses et montages utilisés pour nos projets d'énergie citoyenne.",
        {"inexhaustible": True, "remote_possible": True},
    ),
]
